using System.Buffers.Binary;
using Lab.Captures.Frames;

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
/// <param name="IpHeaderLength">Outer IP header length (IPv4 IHL, or 40).</param>
/// <param name="EspOffset">Offset of the SPI in the frame.</param>
/// <param name="EspLength">ESP packet length (SPI to end of ICV), by the IP length fields (Ethernet padding excluded).</param>
/// <param name="Spi">Security parameters index.</param>
/// <param name="SequenceLow">The sequence number field (low 32 bits with ESN).</param>
public readonly record struct EspFrameInfo(EspFrameKind Kind, bool OuterIpv6, int IpOffset, int IpHeaderLength, int EspOffset,
    int EspLength, uint Spi, uint SequenceLow);

/// <summary>
/// Finds the ESP packet in an Ethernet frame, as the kernel's receive path classifies it:
/// protocol 50 goes to xfrm4_rcv/xfrm6_rcv; UDP to the encapsulation port goes through
/// udp_queue_rcv_skb -> xfrm4_udp_encap_rcv (net/ipv4/xfrm4_input.c), which tells ESP from a
/// keepalive and from IKE's non-ESP marker. IPv6 extension headers are not walked.
/// </summary>
public static class EspFrameParser
{
    public static EspFrameInfo Parse(ReadOnlySpan<byte> frame, ushort natTraversalPort = EspSecurityAssociation.NatTraversalPort)
    {
        var none = default(EspFrameInfo);
        if (frame.Length < PacketHeaders.EthernetLength) return none;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int ipOff = PacketHeaders.EthernetLength;
        var ip = frame[ipOff..];
        bool v6;
        int hdr, ipLength;
        byte protocol;
        if (type == EtherType.Ipv4 && ip.Length >= PacketHeaders.Ipv4Length && (ip[0] >> 4) == 4)
        {
            v6 = false;
            hdr = (ip[0] & 0x0F) * 4;
            ipLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            protocol = ip[9];
            if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) != 0) return none; // not a first fragment
        }
        else if (type == EtherType.Ipv6 && ip.Length >= PacketHeaders.Ipv6Length && (ip[0] >> 4) == 6)
        {
            v6 = true;
            hdr = PacketHeaders.Ipv6Length;
            ipLength = PacketHeaders.Ipv6Length + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            protocol = ip[6];
        }
        else return none;
        if (ipLength > ip.Length || hdr > ipLength) return none;
        int espOff = hdr;
        var kind = EspFrameKind.Esp;
        if (protocol == IpProtocol.Udp)
        {
            if (ipLength < hdr + PacketHeaders.UdpLength) return none;
            var udp = ip[hdr..ipLength];
            if (BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) != natTraversalPort) return none;
            var data = udp[PacketHeaders.UdpLength..];
            espOff = hdr + PacketHeaders.UdpLength;
            if (data.Length == 1 && data[0] == 0xFF)
                return new EspFrameInfo(EspFrameKind.NatKeepalive, v6, ipOff, hdr, ipOff + espOff, 1, 0, 0);
            if (data.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(data) == 0)
                return new EspFrameInfo(EspFrameKind.IkeNonEspMarker, v6, ipOff, hdr, ipOff + espOff, data.Length, 0, 0);
            kind = EspFrameKind.UdpEncapsulatedEsp;
        }
        else if (protocol != IpProtocol.Esp) return none;
        int espLength = ipLength - espOff;
        if (espLength < EspCipher.HeaderLength) return none;
        var esp = ip[espOff..];
        return new EspFrameInfo(kind, v6, ipOff, hdr, ipOff + espOff, espLength,
            BinaryPrimitives.ReadUInt32BigEndian(esp), BinaryPrimitives.ReadUInt32BigEndian(esp[4..]));
    }
}
