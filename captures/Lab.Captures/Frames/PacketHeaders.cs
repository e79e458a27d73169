using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lab.Captures.Frames;

/// <summary>
/// Writers for single headers into a caller's span. Each returns the bytes written. Field
/// layouts: Ethernet II (IEEE 802.3 clause 3.1.1), IPv4 (RFC 791 section 3.1), IPv6
/// (RFC 8200 section 3), UDP (RFC 768), TCP (RFC 9293 section 3.1).
/// </summary>
public static class PacketHeaders
{
    public const int EthernetLength = 14;
    public const int Ipv4Length = 20;
    public const int Ipv6Length = 40;
    public const int UdpLength = 8;
    public const int TcpLength = 20;

    public static int WriteEthernet(Span<byte> d, MacAddress destination, MacAddress source, ushort etherType)
    {
        destination.WriteTo(d);
        source.WriteTo(d[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], etherType);
        return EthernetLength;
    }

    /// <summary>An IPv4 header without options; the header checksum is filled in.</summary>
    /// <param name="tos">The whole TOS byte (DSCP and ECN).</param>
    public static int WriteIpv4(Span<byte> d, IPAddress source, IPAddress destination, byte protocol, int payloadLength,
        byte ttl = 64, byte tos = 0, ushort identification = 0, bool dontFragment = false)
    {
        if (source.AddressFamily != AddressFamily.InterNetwork || destination.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException("IPv4 header needs IPv4 addresses");
        int total = Ipv4Length + payloadLength;
        if (total > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(payloadLength), "IPv4 total length above 65535");
        d[0] = 0x45;
        d[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)total);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], dontFragment ? (ushort)0x4000 : (ushort)0);
        d[8] = ttl;
        d[9] = protocol;
        d[10] = 0;
        d[11] = 0;
        source.TryWriteBytes(d[12..16], out _);
        destination.TryWriteBytes(d[16..20], out _);
        BinaryPrimitives.WriteUInt16BigEndian(d[10..], InternetChecksum.Compute(d[..Ipv4Length]));
        return Ipv4Length;
    }

    /// <summary>Recomputes the header checksum of an IPv4 header in place (any IHL).</summary>
    public static void FixIpv4Checksum(Span<byte> header)
    {
        int ihl = (header[0] & 0x0F) * 4;
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header[..ihl]));
    }

    public static int WriteIpv6(Span<byte> d, IPAddress source, IPAddress destination, byte nextHeader, int payloadLength,
        byte hopLimit = 64, byte trafficClass = 0, uint flowLabel = 0)
    {
        if (source.AddressFamily != AddressFamily.InterNetworkV6 || destination.AddressFamily != AddressFamily.InterNetworkV6)
            throw new ArgumentException("IPv6 header needs IPv6 addresses");
        if (payloadLength > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(payloadLength), "IPv6 payload above 65535 needs a jumbogram");
        BinaryPrimitives.WriteUInt32BigEndian(d, (6u << 28) | ((uint)trafficClass << 20) | (flowLabel & 0xFFFFF));
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], (ushort)payloadLength);
        d[6] = nextHeader;
        d[7] = hopLimit;
        source.TryWriteBytes(d[8..24], out _);
        destination.TryWriteBytes(d[24..40], out _);
        return Ipv6Length;
    }

    /// <summary>
    /// An IPv6 Hop-by-Hop or Destination Options header (RFC 8200 sections 4.3 and 4.6) of
    /// <paramref name="length"/> bytes (a multiple of 8, at least 8) filled with one PadN option
    /// (RFC 8200 section 4.2), which every node skips.
    /// </summary>
    public static int WriteIpv6Options(Span<byte> d, byte nextHeader, int length = 8)
    {
        if (length < 8 || length % 8 != 0 || length > 2048) throw new ArgumentOutOfRangeException(nameof(length), "8 to 2048 bytes, a multiple of 8");
        d[0] = nextHeader;
        d[1] = (byte)(length / 8 - 1);
        d[2] = 1;                       // PadN
        d[3] = (byte)(length - 4);      // its data length
        d.Slice(4, length - 4).Clear();
        return length;
    }

    /// <summary>An IPv6 Fragment header (RFC 8200 section 4.5); offset in bytes, a multiple of 8.</summary>
    public static int WriteIpv6Fragment(Span<byte> d, byte nextHeader, int offset, bool moreFragments, uint identification)
    {
        if (offset < 0 || offset % 8 != 0 || offset > 0xFFF8) throw new ArgumentOutOfRangeException(nameof(offset));
        d[0] = nextHeader;
        d[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset | (moreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], identification);
        return 8;
    }

    /// <summary>A UDP header; call <see cref="FinishTransportChecksum"/> once the payload is in place.</summary>
    public static int WriteUdp(Span<byte> d, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        int len = UdpLength + payloadLength;
        if (len > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(payloadLength), "UDP length above 65535");
        BinaryPrimitives.WriteUInt16BigEndian(d, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], (ushort)len);
        d[6] = 0;
        d[7] = 0;
        return UdpLength;
    }

    /// <summary>A TCP header with <paramref name="options"/> (padded with zeros, End of Option List, to a 4-byte multiple).</summary>
    public static int WriteTcp(Span<byte> d, ushort sourcePort, ushort destinationPort, uint sequence, uint acknowledgment,
        TcpFlags flags, ushort window, ReadOnlySpan<byte> options = default, ushort urgentPointer = 0)
    {
        int optLen = (options.Length + 3) & ~3;
        int hlen = TcpLength + optLen;
        if (hlen > 60) throw new ArgumentOutOfRangeException(nameof(options), "TCP options above 40 bytes");
        BinaryPrimitives.WriteUInt16BigEndian(d, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], acknowledgment);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], (ushort)(((hlen / 4) << 12) | ((int)flags & 0x1FF)));
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], window);
        d[16] = 0;
        d[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(d[18..], urgentPointer);
        options.CopyTo(d[20..]);
        d.Slice(20 + options.Length, optLen - options.Length).Clear();
        return hlen;
    }

    /// <summary>
    /// Fills the checksum of a UDP datagram or TCP segment (header + payload, in place) over the
    /// pseudo-header. A computed UDP checksum of zero is sent as 0xFFFF (RFC 768).
    /// </summary>
    public static void FinishTransportChecksum(Span<byte> segment, byte protocol, ReadOnlySpan<byte> sourceAddress, ReadOnlySpan<byte> destinationAddress)
    {
        int at = protocol == IpProtocol.Udp ? 6 : protocol == IpProtocol.Tcp ? 16 : throw new ArgumentException("UDP or TCP only", nameof(protocol));
        segment[at] = 0;
        segment[at + 1] = 0;
        ulong sum = InternetChecksum.PseudoHeader(sourceAddress, destinationAddress, protocol, segment.Length);
        ushort c = InternetChecksum.Finish(InternetChecksum.Add(sum, segment));
        if (c == 0 && protocol == IpProtocol.Udp) c = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(segment[at..], c);
    }
}

[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x001,
    Syn = 0x002,
    Rst = 0x004,
    Psh = 0x008,
    Ack = 0x010,
    Urg = 0x020,
    Ece = 0x040,
    Cwr = 0x080,
}
