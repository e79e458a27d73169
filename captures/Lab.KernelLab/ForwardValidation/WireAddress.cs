using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>
/// An IPv4 or IPv6 address of a forward trace, as the kernel's union nf_inet_addr holds it: an IPv4
/// address is the low 32 bits in host order, an IPv6 address its 16 bytes in network order read as one
/// big-endian number. The family travels with it (unlike nf_inet_addr), so that ::a00:1 and 10.0.0.1 differ.
/// </summary>
public readonly record struct WireAddress(UInt128 Bits, bool Ipv6)
{
    /// <summary>An IPv4 address in host order.</summary>
    public static implicit operator WireAddress(uint ipv4) => new(ipv4, false);

    /// <summary>The IPv4 address in host order (the low 32 bits); meaningless for IPv6.</summary>
    public uint V4 => (uint)Bits;

    public static WireAddress From(IPAddress a)
    {
        ArgumentNullException.ThrowIfNull(a);
        Span<byte> b = stackalloc byte[16];
        a.TryWriteBytes(b, out int n);
        return a.AddressFamily == AddressFamily.InterNetworkV6
            ? new WireAddress(BinaryPrimitives.ReadUInt128BigEndian(b), true)
            : new WireAddress(BinaryPrimitives.ReadUInt32BigEndian(b), false);
    }

    public static WireAddress Parse(string text) => From(IPAddress.Parse(text));

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        if (!Ipv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, V4);
            return new IPAddress(b[..4]);
        }
        BinaryPrimitives.WriteUInt128BigEndian(b, Bits);
        return new IPAddress(b);
    }

    /// <summary>Whether the address lies in <paramref name="network"/>/<paramref name="bits"/> of the same family.</summary>
    public bool In(WireAddress network, int bits)
    {
        if (network.Ipv6 != Ipv6) return false;
        int width = Ipv6 ? 128 : 32;
        return bits == 0 || (Bits ^ network.Bits) >> (width - bits) == 0;
    }

    /// <summary>Orders addresses of one family as numbers (an IPv4 one before any IPv6 one), as a NAT pool's bounds are compared.</summary>
    public static bool operator <(WireAddress a, WireAddress b) => (a.Ipv6, a.Bits).CompareTo((b.Ipv6, b.Bits)) < 0;

    public static bool operator >(WireAddress a, WireAddress b) => b < a;

    public static bool operator <=(WireAddress a, WireAddress b) => !(b < a);

    public static bool operator >=(WireAddress a, WireAddress b) => !(a < b);

    /// <summary>The address as conntrack and ip print it (IPv6 compressed, RFC 5952).</summary>
    public override string ToString() => ToIPAddress().ToString();
}
