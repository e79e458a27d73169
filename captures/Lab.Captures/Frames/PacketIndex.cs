using System.Buffers.Binary;

namespace Lab.Captures.Frames;

/// <summary>
/// A packet number carried in the first bytes of an inner UDP payload, so that the kernel
/// validation can tell which simulated packet came out of the kernel (or was dropped):
/// bytes 0-7 the index (big endian), bytes 8-11 the marker "LABX" so that unrelated traffic
/// (IPv6 neighbour discovery on a fresh veth, say) is never mistaken for an indexed packet.
/// </summary>
public static class PacketIndex
{
    public const int Length = 12;
    public const uint Marker = 0x4C414258; // "LABX"

    public static void Write(Span<byte> udpPayload, ulong index)
    {
        if (udpPayload.Length < Length) throw new ArgumentException($"the payload needs at least {Length} bytes for a packet index", nameof(udpPayload));
        BinaryPrimitives.WriteUInt64BigEndian(udpPayload, index);
        BinaryPrimitives.WriteUInt32BigEndian(udpPayload[8..], Marker);
    }

    public static bool TryRead(ReadOnlySpan<byte> udpPayload, out ulong index)
    {
        index = 0;
        if (udpPayload.Length < Length || BinaryPrimitives.ReadUInt32BigEndian(udpPayload[8..]) != Marker) return false;
        index = BinaryPrimitives.ReadUInt64BigEndian(udpPayload);
        return true;
    }

    /// <summary>The index in a UDP datagram inside an IPv4 or IPv6 packet (no IPv6 extension headers).</summary>
    public static bool TryReadFromIpPacket(ReadOnlySpan<byte> ip, out ulong index)
    {
        index = 0;
        if (ip.Length < 1) return false;
        int version = ip[0] >> 4;
        int l4;
        if (version == 4)
        {
            if (ip.Length < PacketHeaders.Ipv4Length || ip[9] != IpProtocol.Udp) return false;
            // Only first fragments carry the UDP header.
            if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) != 0) return false;
            l4 = (ip[0] & 0x0F) * 4;
        }
        else if (version == 6)
        {
            if (ip.Length < PacketHeaders.Ipv6Length || ip[6] != IpProtocol.Udp) return false;
            l4 = PacketHeaders.Ipv6Length;
        }
        else return false;
        if (ip.Length < l4 + PacketHeaders.UdpLength) return false;
        return TryRead(ip[(l4 + PacketHeaders.UdpLength)..], out index);
    }

    /// <summary>The index in an Ethernet frame carrying IPv4 or IPv6 (no VLAN tag).</summary>
    public static bool TryReadFromFrame(ReadOnlySpan<byte> frame, out ulong index)
    {
        index = 0;
        if (frame.Length < PacketHeaders.EthernetLength) return false;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (type != EtherType.Ipv4 && type != EtherType.Ipv6) return false;
        return TryReadFromIpPacket(frame[PacketHeaders.EthernetLength..], out index);
    }
}
