using System.Net;
using System.Net.Sockets;

namespace Lab.Esp;

/// <summary>IP version of an address, SA or packet (AF_INET, AF_INET6).</summary>
public enum IpFamily : byte
{
    Ipv4 = 4,
    Ipv6 = 6,
}

/// <summary>
/// xfrm_address_t: an IPv4 or IPv6 address held left-aligned in 128 bits (IPv4 in the top 32
/// bits), so that one prefix comparison (addr_match in include/net/xfrm.h) serves both families.
/// </summary>
public readonly record struct XfrmAddress(UInt128 Bits, IpFamily Family)
{
    public static XfrmAddress Parse(string text)
    {
        if (!IPAddress.TryParse(text, out var ip))
            throw new FormatException($"'{text}' is not an IPv4 or IPv6 address");
        var bytes = ip.GetAddressBytes();
        UInt128 v = 0;
        foreach (var b in bytes) v = (v << 8) | b;
        return ip.AddressFamily == AddressFamily.InterNetwork
            ? new XfrmAddress(v << 96, IpFamily.Ipv4)
            : new XfrmAddress(v, IpFamily.Ipv6);
    }

    /// <summary>addr_match: the first <paramref name="prefixLength"/> bits are equal (0 matches all).</summary>
    public bool MatchesPrefix(XfrmAddress prefix, int prefixLength)
    {
        if (Family != prefix.Family) return false;
        if (prefixLength == 0) return true;
        UInt128 mask = UInt128.MaxValue << (128 - prefixLength);
        return ((Bits ^ prefix.Bits) & mask) == 0;
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[16];
        UInt128 v = Bits;
        for (int i = 15; i >= 0; i--) { b[i] = (byte)v; v >>= 8; }
        return Family == IpFamily.Ipv4 ? new IPAddress(b[..4]).ToString() : new IPAddress(b).ToString();
    }
}

/// <summary>struct xfrm_id plus family: what xfrm_state_lookup hashes on (daddr, SPI, protocol).</summary>
public readonly record struct XfrmId(uint Spi, XfrmAddress Daddr, byte Proto)
{
    public const byte IpprotoEsp = 50;
}
