using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lab.Captures.Frames;

/// <summary>
/// Builds wire-exact IP packets and Ethernet frames into a caller's span (no allocation):
/// headers, lengths and checksums (IPv4 header, UDP and TCP over the pseudo-header) all
/// filled in. Returns the number of bytes written.
/// </summary>
public static class FrameBuilder
{
    /// <summary>An IPv4 or IPv6 header for <paramref name="payloadLength"/> bytes of <paramref name="protocol"/>.</summary>
    public static int WriteIpHeader(Span<byte> d, IPAddress source, IPAddress destination, byte protocol, int payloadLength,
        byte ttl = 64, byte tos = 0, ushort identification = 0, bool dontFragment = false) =>
        source.AddressFamily == AddressFamily.InterNetworkV6
            ? PacketHeaders.WriteIpv6(d, source, destination, protocol, payloadLength, ttl, tos)
            : PacketHeaders.WriteIpv4(d, source, destination, protocol, payloadLength, ttl, tos, identification, dontFragment);

    public static int UdpPacketLength(in FlowAddresses flow, int payloadLength) =>
        (flow.IsIpv6 ? PacketHeaders.Ipv6Length : PacketHeaders.Ipv4Length) + PacketHeaders.UdpLength + payloadLength;

    /// <summary>An IP packet carrying one UDP datagram.</summary>
    public static int WriteUdpPacket(Span<byte> d, in FlowAddresses flow, ReadOnlySpan<byte> payload, ushort identification = 0)
    {
        int ipLen = WriteIpHeader(d, flow.Source, flow.Destination, IpProtocol.Udp, PacketHeaders.UdpLength + payload.Length,
            flow.Ttl, flow.Tos, identification, flow.DontFragment);
        var udp = d.Slice(ipLen, PacketHeaders.UdpLength + payload.Length);
        PacketHeaders.WriteUdp(udp, flow.SourcePort, flow.DestinationPort, payload.Length);
        payload.CopyTo(udp[PacketHeaders.UdpLength..]);
        FinishChecksum(d, ipLen, udp, IpProtocol.Udp);
        return ipLen + udp.Length;
    }

    /// <summary>An IP packet carrying one TCP segment.</summary>
    public static int WriteTcpPacket(Span<byte> d, in FlowAddresses flow, uint sequence, uint acknowledgment, TcpFlags flags,
        ushort window, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options = default, ushort identification = 0, ushort urgentPointer = 0)
    {
        int tcpHeader = PacketHeaders.TcpLength + ((options.Length + 3) & ~3);
        int ipLen = WriteIpHeader(d, flow.Source, flow.Destination, IpProtocol.Tcp, tcpHeader + payload.Length,
            flow.Ttl, flow.Tos, identification, flow.DontFragment);
        var tcp = d.Slice(ipLen, tcpHeader + payload.Length);
        PacketHeaders.WriteTcp(tcp, flow.SourcePort, flow.DestinationPort, sequence, acknowledgment, flags, window, options, urgentPointer);
        payload.CopyTo(tcp[tcpHeader..]);
        FinishChecksum(d, ipLen, tcp, IpProtocol.Tcp);
        return ipLen + tcp.Length;
    }

    public static int WriteUdpFrame(Span<byte> d, in FlowAddresses flow, ReadOnlySpan<byte> payload, ushort identification = 0)
    {
        PacketHeaders.WriteEthernet(d, flow.DestinationMac, flow.SourceMac, flow.IsIpv6 ? EtherType.Ipv6 : EtherType.Ipv4);
        return PacketHeaders.EthernetLength + WriteUdpPacket(d[PacketHeaders.EthernetLength..], flow, payload, identification);
    }

    public static int WriteTcpFrame(Span<byte> d, in FlowAddresses flow, uint sequence, uint acknowledgment, TcpFlags flags,
        ushort window, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options = default, ushort identification = 0)
    {
        PacketHeaders.WriteEthernet(d, flow.DestinationMac, flow.SourceMac, flow.IsIpv6 ? EtherType.Ipv6 : EtherType.Ipv4);
        return PacketHeaders.EthernetLength + WriteTcpPacket(d[PacketHeaders.EthernetLength..], flow, sequence, acknowledgment,
            flags, window, payload, options, identification);
    }

    /// <summary>Puts an Ethernet header in front of an IP packet (EtherType from its version nibble).</summary>
    public static int WriteEthernetFrame(Span<byte> d, MacAddress destination, MacAddress source, ReadOnlySpan<byte> ipPacket)
    {
        ushort type = (ipPacket[0] >> 4) == 6 ? EtherType.Ipv6 : EtherType.Ipv4;
        PacketHeaders.WriteEthernet(d, destination, source, type);
        ipPacket.CopyTo(d[PacketHeaders.EthernetLength..]);
        return PacketHeaders.EthernetLength + ipPacket.Length;
    }

    /// <summary>
    /// Puts a VLAN tag (IEEE 802.1Q: TPID 0x8100 C-tag; 802.1ad: 0x88A8 S-tag) after the MAC
    /// addresses of an Ethernet frame of <paramref name="length"/> bytes; a second call puts the
    /// outer tag of a QinQ frame. Returns the frame's new length.
    /// </summary>
    public static int InsertVlanTag(Span<byte> frame, int length, ushort tpid, ushort vlanId, byte priority = 0)
    {
        if (vlanId > 4095) throw new ArgumentOutOfRangeException(nameof(vlanId), "12 bits");
        frame[12..length].CopyTo(frame[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], tpid);
        BinaryPrimitives.WriteUInt16BigEndian(frame[14..], (ushort)((priority << 13) | vlanId));
        return length + 4;
    }

    /// <summary>
    /// Puts an IPv6 extension header (Hop-by-Hop or Destination Options with PadN, or an atomic
    /// Fragment header: offset 0, no more fragments, RFC 8200 section 4.5) between the fixed
    /// header of the IPv6 packet at <paramref name="ipOffset"/> and what followed it; the next
    /// header chain and the payload length are updated. Returns the frame's new length.
    /// </summary>
    public static int InsertIpv6ExtensionHeader(Span<byte> frame, int length, int ipOffset, byte type, int headerLength = 8)
    {
        var ip = frame[ipOffset..];
        if ((ip[0] >> 4) != 6) throw new ArgumentException("not an IPv6 packet at that offset", nameof(ipOffset));
        int at = ipOffset + PacketHeaders.Ipv6Length;
        frame[at..length].CopyTo(frame[(at + headerLength)..]);
        byte next = ip[6];
        int written = type switch
        {
            IpProtocol.HopByHopOptions or IpProtocol.DestinationOptions => PacketHeaders.WriteIpv6Options(frame[at..], next, headerLength),
            IpProtocol.Fragment when headerLength == 8 => PacketHeaders.WriteIpv6Fragment(frame[at..], next, 0, false, 0x1AB),
            _ => throw new ArgumentException("Hop-by-Hop (0), Destination Options (60) or Fragment (44, 8 bytes)", nameof(type)),
        };
        ip[6] = type;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]) + written));
        return length + written;
    }

    static void FinishChecksum(Span<byte> ip, int ipHeaderLength, Span<byte> segment, byte protocol)
    {
        if (ipHeaderLength == PacketHeaders.Ipv6Length)
            PacketHeaders.FinishTransportChecksum(segment, protocol, ip[8..24], ip[24..40]);
        else
            PacketHeaders.FinishTransportChecksum(segment, protocol, ip[12..16], ip[16..20]);
    }
}
