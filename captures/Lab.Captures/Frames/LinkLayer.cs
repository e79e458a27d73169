using System.Buffers.Binary;
using Lab.Captures.Pcap;

namespace Lab.Captures.Frames;

/// <summary>
/// Link-layer headers of the LINKTYPE_ values the lab reads (tcpdump.org linktypes.html and
/// its LINKTYPE_LINUX_SLL / LINKTYPE_LINUX_SLL2 pages; libpcap pcap/sll.h). A Linux cooked
/// header replaces the Ethernet header in captures on "any" (and on devices without one): it
/// keeps the packet type, the ARPHRD_ type, the sender's link-layer address and the protocol.
/// </summary>
public static class LinkLayer
{
    public const int EthernetHeaderLength = 14;

    /// <summary>SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.</summary>
    public const int SllHeaderLength = 16;

    /// <summary>SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.</summary>
    public const int Sll2HeaderLength = 20;

    /// <summary>The link types dissected without PacketDotNet (and replayed over Ethernet).</summary>
    public static bool IsNative(PcapLinkType type) => type is PcapLinkType.Ethernet or PcapLinkType.LinuxSll or PcapLinkType.LinuxSll2
        or PcapLinkType.RawIp or PcapLinkType.RawIpv4 or PcapLinkType.RawIpv6;

    /// <summary>A name a person recognises, with the number.</summary>
    public static string Describe(PcapLinkType type) => type switch
    {
        PcapLinkType.Ethernet => "1 (Ethernet)",
        PcapLinkType.RawIp => "101 (raw IP)",
        PcapLinkType.LinuxSll => "113 (Linux cooked SLL)",
        PcapLinkType.RawIpv4 => "228 (raw IPv4)",
        PcapLinkType.RawIpv6 => "229 (raw IPv6)",
        PcapLinkType.LinuxSll2 => "276 (Linux cooked SLL2)",
        _ => PacketDotNetLinkLayer.Name(type) is string name ? $"{(uint)type} ({name}, via PacketDotNet)" : $"{(uint)type}",
    };

    /// <summary>
    /// The sender's link-layer address from a cooked header when it is a 6-byte (Ethernet-like)
    /// address; libpcap fills sll_addr with the source address for packets in both directions.
    /// </summary>
    public static bool TryGetCookedSource(PcapLinkType type, ReadOnlySpan<byte> d, out ReadOnlySpan<byte> address)
    {
        address = default;
        if (type == PcapLinkType.LinuxSll && d.Length >= SllHeaderLength && BinaryPrimitives.ReadUInt16BigEndian(d[4..]) == 6)
            address = d.Slice(6, 6);
        else if (type == PcapLinkType.LinuxSll2 && d.Length >= Sll2HeaderLength && d[11] == 6)
            address = d.Slice(12, 6);
        return !address.IsEmpty;
    }

    /// <summary>
    /// The length of the record as an Ethernet frame (without FCS): the link header replaced by
    /// 14 bytes, VLAN tags kept. Used for the wire size of a non-Ethernet capture's packets.
    /// </summary>
    public static int EthernetEquivalentLength(in FrameLayers layers, int originalLength)
    {
        if (layers.LinkHeaderLength < 0) return originalLength;
        return originalLength - layers.LinkHeaderLength + EthernetHeaderLength;
    }
}
