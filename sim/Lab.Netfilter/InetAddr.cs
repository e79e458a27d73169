using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Lab.Netfilter;

/// <summary>
/// The tuple's layer-3 protocol, <c>tuple->src.l3num</c> of struct nf_conntrack_tuple (NFPROTO_IPV4 = 2,
/// NFPROTO_IPV6 = 10 in the kernel). IPv4 is the default (0) so that a default tuple is an IPv4 one.
/// </summary>
public enum L3Family : byte
{
    Ipv4 = 0,
    Ipv6 = 1,
}

/// <summary>
/// An address as <c>union nf_inet_addr</c> holds it: 128 bits, of which an IPv4 address uses the low 32
/// (<see cref="Lo"/> = the address in host order, <see cref="Hi"/> = 0). An IPv6 address is its 16 bytes
/// in network order, the first 8 in <see cref="Hi"/> and the last 8 in <see cref="Lo"/>, so comparing
/// (Hi, Lo) as unsigned numbers is ipv6_addr_cmp's memcmp. The family is the tuple's, not the address's
/// (nf_inet_addr has none either): an IPv4 10.0.0.1 and the IPv6 ::a00:1 are the same bits.
/// </summary>
public readonly struct InetAddr : IEquatable<InetAddr>, IComparable<InetAddr>
{
    public readonly ulong Hi;
    public readonly ulong Lo;

    public InetAddr(ulong hi, ulong lo)
    {
        Hi = hi;
        Lo = lo;
    }

    /// <summary>An IPv4 address in host order.</summary>
    public static implicit operator InetAddr(uint ipv4) => new(0, ipv4);

    /// <summary>The IPv4 address in host order (the low 32 bits).</summary>
    public uint V4 => (uint)Lo;

    public UInt128 Value => new(Hi, Lo);

    public static InetAddr FromValue(UInt128 v) => new((ulong)(v >> 64), (ulong)v);

    /// <summary>
    /// The i-th 32-bit word of the union in network order, as a host-order number (ntohl(all[i])): for IPv6
    /// words 0..3 of the 16 bytes; for IPv4 word 0 is the address (the kernel's all[0]).
    /// </summary>
    public uint Word(int i, L3Family family) => family == L3Family.Ipv4
        ? (i == 0 ? (uint)Lo : 0)
        : (uint)((i < 2 ? Hi : Lo) >> ((i & 1) == 0 ? 32 : 0));

    /// <summary>An IPv6 address from its four 32-bit words in network order (host-order numbers).</summary>
    public static InetAddr FromWords(uint w0, uint w1, uint w2, uint w3) => new((ulong)w0 << 32 | w1, (ulong)w2 << 32 | w3);

    public static InetAddr From(IPAddress a, out L3Family family)
    {
        Span<byte> b = stackalloc byte[16];
        a.TryWriteBytes(b, out int n);
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            family = L3Family.Ipv4;
            return BinaryPrimitives.ReadUInt32BigEndian(b);
        }
        family = L3Family.Ipv6;
        return new(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]));
    }

    public IPAddress ToIPAddress(L3Family family)
    {
        Span<byte> b = stackalloc byte[16];
        if (family == L3Family.Ipv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, V4);
            return new IPAddress(b[..4]);
        }
        BinaryPrimitives.WriteUInt64BigEndian(b, Hi);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Lo);
        return new IPAddress(b);
    }

    /// <summary>
    /// The address as conntrack and nft print it: dotted quad, or IPv6 in RFC 5952's compressed form
    /// (inet_ntop: lower case, the longest run of two or more zero words as ::, the first of equal runs).
    /// .NET's formatter writes the same, including the dotted tail glibc's inet_ntop6 gives ::ffff:0:0/96 and
    /// ::/96 beyond ::1 (::10.0.0.1).
    /// </summary>
    public string Format(L3Family family) => family == L3Family.Ipv4
        ? $"{V4 >> 24}.{(V4 >> 16) & 255}.{(V4 >> 8) & 255}.{V4 & 255}"
        : ToIPAddress(family).ToString();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(InetAddr other) => Hi == other.Hi && Lo == other.Lo;

    public override bool Equals(object? obj) => obj is InetAddr o && Equals(o);

    public override int GetHashCode() => HashCode.Combine(Hi, Lo);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareTo(InetAddr other) => Hi != other.Hi ? Hi.CompareTo(other.Hi) : Lo.CompareTo(other.Lo);

    public static bool operator ==(InetAddr a, InetAddr b) => a.Equals(b);
    public static bool operator !=(InetAddr a, InetAddr b) => !a.Equals(b);
    public static bool operator <(InetAddr a, InetAddr b) => a.CompareTo(b) < 0;
    public static bool operator >(InetAddr a, InetAddr b) => a.CompareTo(b) > 0;
    public static bool operator <=(InetAddr a, InetAddr b) => a.CompareTo(b) <= 0;
    public static bool operator >=(InetAddr a, InetAddr b) => a.CompareTo(b) >= 0;

    public override string ToString() => Hi == 0 && Lo <= uint.MaxValue ? Format(L3Family.Ipv4) : Format(L3Family.Ipv6);
}
