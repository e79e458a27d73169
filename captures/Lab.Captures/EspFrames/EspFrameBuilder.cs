using System.Buffers.Binary;
using Lab.Captures.Frames;

namespace Lab.Captures.EspFrames;

/// <summary>
/// Builds the Ethernet frame a Linux sender with the given SA would put on the wire for an
/// inner IP packet: Ethernet, outer IPv4/IPv6 (tunnel) or the inner header with protocol 50
/// (transport), optional UDP encapsulation (RFC 3948), ESP header, IV, encrypted payload and
/// trailer (<see cref="EspTrailer"/>), ICV. Follows net/ipv4/esp4.c and net/ipv6/esp6.c
/// (esp_output, esp_output_udp_encap) and net/xfrm/xfrm_output.c (xfrm4/6 tunnel and
/// transport output) of Linux 6.1. Builds into a caller's span without allocation.
/// </summary>
public sealed class EspFrameBuilder : IDisposable
{
    readonly EspCipher _cipher;

    public EspSecurityAssociation Sa { get; }

    public EspFrameBuilder(EspSecurityAssociation sa)
    {
        sa.Validate();
        Sa = sa;
        _cipher = new EspCipher(sa.KeyMaterial);
    }

    /// <summary>The outer IP packet length (no Ethernet header) for an inner packet of <paramref name="innerLength"/> bytes.</summary>
    public static int OuterPacketLength(EspSecurityAssociation sa, bool outerIpv6, int innerLength, int innerHeaderLength)
    {
        int encap = sa.UdpEncapsulated ? PacketHeaders.UdpLength : 0;
        if (sa.Mode == EspMode.Tunnel)
        {
            int outer = outerIpv6 ? PacketHeaders.Ipv6Length : PacketHeaders.Ipv4Length;
            return outer + encap + EspCipher.PayloadOffset + innerLength + EspTrailer.Length(innerLength) + EspCipher.IcvLength;
        }
        int payload = innerLength - innerHeaderLength;
        return innerHeaderLength + encap + EspCipher.PayloadOffset + payload + EspTrailer.Length(payload) + EspCipher.IcvLength;
    }

    /// <summary>
    /// Encrypts <paramref name="inner"/> (a whole IPv4 or IPv6 packet) with sequence number
    /// <paramref name="sequence"/> and writes the Ethernet frame; returns its length.
    /// </summary>
    /// <param name="iv">The explicit IV; by default the sequence number (unique per SA).</param>
    public int Build(Span<byte> frame, ReadOnlySpan<byte> inner, ulong sequence, ulong? iv = null)
    {
        bool outerV6 = Sa.OuterIsIpv6(inner);
        int innerHeader = InnerHeaderLength(inner);
        int outerLength = OuterPacketLength(Sa, outerV6, inner.Length, innerHeader);
        int total = PacketHeaders.EthernetLength + outerLength;
        if (frame.Length < total) throw new ArgumentException($"frame buffer of {frame.Length} bytes, {total} needed", nameof(frame));
        PacketHeaders.WriteEthernet(frame, Sa.DestinationMac, Sa.SourceMac, outerV6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.Slice(PacketHeaders.EthernetLength, outerLength);
        byte outerProtocol = Sa.UdpEncapsulated ? IpProtocol.Udp : IpProtocol.Esp;

        int ipHeader;
        ReadOnlySpan<byte> payload;
        byte nextHeader;
        if (Sa.Mode == EspMode.Tunnel)
        {
            ipHeader = WriteTunnelHeader(ip, inner, outerV6, outerProtocol, outerLength, sequence);
            payload = inner;
            nextHeader = (inner[0] >> 4) == 6 ? IpProtocol.Ipv6InIp : IpProtocol.Ipv4InIp;
        }
        else
        {
            if (outerV6 && IsIpv6ExtensionHeader(inner[6]))
                throw new ArgumentException($"transport mode over IPv6 with extension header {inner[6]} is not supported");
            ipHeader = innerHeader;
            inner[..innerHeader].CopyTo(ip);
            nextHeader = outerV6 ? inner[6] : inner[9];
            payload = inner[innerHeader..];
            if (outerV6)
            {
                ip[6] = outerProtocol;
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(outerLength - PacketHeaders.Ipv6Length));
            }
            else
            {
                ip[9] = outerProtocol;
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)outerLength);
                PacketHeaders.FixIpv4Checksum(ip);
            }
        }

        int at = ipHeader;
        if (Sa.UdpEncapsulated) at += PacketHeaders.WriteUdp(ip[at..], Sa.EncapSourcePort!.Value, Sa.EncapDestinationPort!.Value, outerLength - ipHeader - PacketHeaders.UdpLength);
        var esp = ip[at..];
        payload.CopyTo(esp[EspCipher.PayloadOffset..]);
        int plain = payload.Length + EspTrailer.Write(esp[(EspCipher.PayloadOffset + payload.Length)..], payload.Length, nextHeader);
        _cipher.Seal(esp, plain, Sa.Spi, sequence, Sa.Esn, iv ?? sequence);

        // RFC 3948 section 2.1: the UDP checksum SHOULD be zero over IPv4 (esp_output_udp_encap
        // leaves it 0). IPv6 forbids a zero UDP checksum (RFC 8200 section 8.1), so compute it.
        if (Sa.UdpEncapsulated && outerV6)
            PacketHeaders.FinishTransportChecksum(ip[ipHeader..], IpProtocol.Udp, ip[8..24], ip[24..40]);
        return total;
    }

    int WriteTunnelHeader(Span<byte> ip, ReadOnlySpan<byte> inner, bool outerV6, byte protocol, int outerLength, ulong sequence)
    {
        // RFC 6040 normal mode as Linux's INET_ECN_encapsulate does: copy DSCP and ECT, CE becomes ECT(0).
        byte innerTos = (inner[0] >> 4) == 6 ? (byte)((BinaryPrimitives.ReadUInt16BigEndian(inner) >> 4) & 0xFF) : inner[1];
        byte tos = (innerTos & 3) == 3 ? (byte)((innerTos & 0xFC) | 2) : innerTos;
        if (outerV6)
            return PacketHeaders.WriteIpv6(ip, Sa.TunnelSource!, Sa.TunnelDestination!, protocol, outerLength - PacketHeaders.Ipv6Length, Sa.OuterTtl, tos);
        // xfrm4 tunnel output copies DF from an inner IPv4 header; the ID is any value, here the
        // low sequence bits so that frames are reproducible.
        bool df = (inner[0] >> 4) == 4 && (inner[6] & 0x40) != 0;
        return PacketHeaders.WriteIpv4(ip, Sa.TunnelSource!, Sa.TunnelDestination!, protocol, outerLength - PacketHeaders.Ipv4Length,
            Sa.OuterTtl, tos, (ushort)sequence, df);
    }

    static int InnerHeaderLength(ReadOnlySpan<byte> inner)
    {
        if (inner.Length < 1) throw new ArgumentException("empty inner packet");
        int version = inner[0] >> 4;
        if (version == 4)
        {
            int ihl = (inner[0] & 0x0F) * 4;
            if (ihl < 20 || inner.Length < ihl) throw new ArgumentException("inner IPv4 header truncated");
            return ihl;
        }
        if (version == 6)
        {
            if (inner.Length < PacketHeaders.Ipv6Length) throw new ArgumentException("inner IPv6 header truncated");
            return PacketHeaders.Ipv6Length;
        }
        throw new ArgumentException($"inner packet of IP version {version}");
    }

    /// <summary>RFC 8200 section 4 and IANA's IPv6 extension header list.</summary>
    internal static bool IsIpv6ExtensionHeader(byte nextHeader) =>
        nextHeader is 0 or 43 or 44 or 50 or 51 or 60 or 135 or 139 or 140 or 253 or 254;

    public void Dispose() => _cipher.Dispose();
}
