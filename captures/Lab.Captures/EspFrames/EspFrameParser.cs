using System.Buffers.Binary;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;

namespace Lab.Captures.EspFrames;

public enum EspFrameKind
{
    NotEsp,

    /// <summary>IP protocol 50.</summary>
    Esp,

    /// <summary>ESP in UDP (RFC 3948 section 2.2).</summary>
    UdpEncapsulatedEsp,

    /// <summary>A NAT-keepalive: one byte 0xFF on the NAT-T port (RFC 3948 section 2.3).</summary>
    NatKeepalive,

    /// <summary>IKE on the NAT-T port: the non-ESP marker, four zero bytes (RFC 3948 section 2.2).</summary>
    IkeNonEspMarker,
}

/// <summary>Where the ESP packet sits in a frame, with its SPI and low sequence number.</summary>
/// <param name="Kind">What the frame carries.</param>
/// <param name="OuterIpv6">Outer header family.</param>
/// <param name="IpOffset">Offset of the outer IP header in the frame.</param>
/// <param name="IpHeaderLength">Outer IP header length (IPv4 IHL, or 40 plus the IPv6 extension headers before ESP or UDP).</param>
/// <param name="EspOffset">Offset of the SPI in the frame.</param>
/// <param name="EspLength">ESP packet length (SPI to end of ICV), by the IP length fields (Ethernet padding excluded).</param>
/// <param name="Spi">Security parameters index.</param>
/// <param name="SequenceLow">The sequence number field (low 32 bits with ESN).</param>
public readonly record struct EspFrameInfo(EspFrameKind Kind, bool OuterIpv6, int IpOffset, int IpHeaderLength, int EspOffset,
    int EspLength, uint Spi, uint SequenceLow);

/// <summary>
/// Finds the ESP packet in a captured frame, as the kernel's receive path classifies it:
/// protocol 50 goes to xfrm4_rcv/xfrm6_rcv; UDP to the encapsulation port goes through
/// udp_queue_rcv_skb -> xfrm4_udp_encap_rcv (net/ipv4/xfrm4_input.c), which tells ESP from a
/// keepalive and from IKE's non-ESP marker. The link layer, VLAN tags and IPv6 extension
/// headers before ESP (Hop-by-Hop, Routing, Destination Options, a first Fragment) are walked
/// by <see cref="FrameDissector"/>.
/// </summary>
public static class EspFrameParser
{
    /// <summary>An Ethernet frame captured whole.</summary>
    public static EspFrameInfo Parse(ReadOnlySpan<byte> frame, ushort natTraversalPort = EspSecurityAssociation.NatTraversalPort) =>
        Parse(frame, PcapLinkType.Ethernet, natTraversalPort);

    /// <param name="frame">A record of link type <paramref name="linkType"/>.</param>
    /// <param name="allowTruncated">
    /// Accept a packet that a snapshot length cut short once the SPI and sequence number are
    /// there (<c>tcpdump -s 96</c>); <see cref="EspFrameInfo.EspLength"/> is then by the IP length
    /// fields and reaches beyond the frame.
    /// </param>
    public static EspFrameInfo Parse(ReadOnlySpan<byte> frame, PcapLinkType linkType, ushort natTraversalPort = EspSecurityAssociation.NatTraversalPort,
        bool allowTruncated = false)
    {
        var none = default(EspFrameInfo);
        var l = FrameDissector.Dissect(linkType, frame);
        if (l.IpVersion == 0 || !l.HasTransport || (l.Truncated && !allowTruncated)) return none;
        bool v6 = l.IpVersion == 6;
        int ipOff = l.NetworkOffset;
        int hdr = l.TransportOffset - ipOff;
        int ipEnd = l.IpEnd;
        int captured = Math.Min(ipEnd, frame.Length);
        if (hdr > ipEnd - ipOff) return none;
        int espOff = l.TransportOffset;
        var kind = EspFrameKind.Esp;
        if (l.Protocol == IpProtocol.Udp)
        {
            if (ipEnd < espOff + PacketHeaders.UdpLength || captured < espOff + PacketHeaders.UdpLength) return none;
            if (BinaryPrimitives.ReadUInt16BigEndian(frame[(espOff + 2)..]) != natTraversalPort) return none;
            espOff += PacketHeaders.UdpLength;
            int dataLength = ipEnd - espOff;
            var data = frame[espOff..captured];
            if (dataLength == 1 && data.Length == 1 && data[0] == 0xFF)
                return new EspFrameInfo(EspFrameKind.NatKeepalive, v6, ipOff, hdr, espOff, 1, 0, 0);
            if (dataLength >= 4 && data.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(data) == 0)
                return new EspFrameInfo(EspFrameKind.IkeNonEspMarker, v6, ipOff, hdr, espOff, dataLength, 0, 0);
            kind = EspFrameKind.UdpEncapsulatedEsp;
        }
        else if (l.Protocol != IpProtocol.Esp) return none;
        int espLength = ipEnd - espOff;
        if (espLength < EspCipher.HeaderLength || captured - espOff < EspCipher.HeaderLength) return none;
        var esp = frame[espOff..];
        return new EspFrameInfo(kind, v6, ipOff, hdr, espOff, espLength,
            BinaryPrimitives.ReadUInt32BigEndian(esp), BinaryPrimitives.ReadUInt32BigEndian(esp[4..]));
    }
}
