using System.Buffers.Binary;
using Lab.Captures.Pcap;

namespace Lab.Captures.Frames;

/// <summary>Where the layers of one captured record sit (offsets from the record's first byte).</summary>
/// <param name="LinkHeaderLength">The link layer's own header: Ethernet 14, SLL 16, SLL2 20, raw IP 0 (VLAN tags not included); -1 when the link layer was not understood.</param>
/// <param name="EtherType">The network protocol after any VLAN tags (0x0800, 0x86DD, ...); 0 when unknown.</param>
/// <param name="VlanTags">802.1Q/802.1ad tags walked over.</param>
/// <param name="NetworkOffset">Offset of the network header (after the tags); -1 when there is none.</param>
/// <param name="IpVersion">4 or 6 when the network header is a well-formed IP header, else 0.</param>
/// <param name="IpEnd">End of the IP packet by its length fields; may lie beyond the captured bytes (see <see cref="Truncated"/>).</param>
/// <param name="Protocol">The upper-layer protocol, after IPv6 extension headers.</param>
/// <param name="TransportOffset">Offset of the upper-layer header; -1 for a non-first fragment or when the headers before it were not captured.</param>
/// <param name="ExtensionHeaders">IPv6 extension headers walked over (Hop-by-Hop, Routing, Fragment, Destination Options, AH).</param>
/// <param name="Fragment">An IPv4 or IPv6 fragment, first or later.</param>
public readonly record struct FrameLayers(int LinkHeaderLength, ushort EtherType, int VlanTags, int NetworkOffset, int IpVersion,
    int IpEnd, byte Protocol, int TransportOffset, int ExtensionHeaders, bool Fragment, int CapturedLength)
{
    public static readonly FrameLayers None = new(-1, 0, 0, -1, 0, 0, 0, -1, 0, false, 0);

    /// <summary>The IP length fields claim more bytes than were captured (a snapshot length cut the packet).</summary>
    public bool Truncated => IpVersion != 0 && IpEnd > CapturedLength;

    public bool HasTransport => TransportOffset >= 0;
}

/// <summary>
/// Finds the network and transport headers in a captured record without allocating: the link
/// layer by LINKTYPE (Ethernet, Linux cooked SLL and SLL2, raw IP; others through
/// <see cref="PacketDotNetLinkLayer"/>), then IEEE 802.1Q and 802.1ad (QinQ) tags, then IPv4
/// or IPv6 with the extension headers RFC 8200 section 4 puts before the upper layer (as
/// ipv6_skip_exthdr in net/ipv6/exthdrs_core.c walks them: Hop-by-Hop, Routing, Destination
/// Options, Fragment, AH).
/// </summary>
public static class FrameDissector
{
    /// <summary>More tags than any real network stacks (the kernel's VLAN devices nest without limit; 8 is plenty).</summary>
    const int MaximumVlanTags = 8;

    /// <summary>The kernel's ipv6_skip_exthdr has no limit either; a bound keeps hostile input cheap.</summary>
    const int MaximumExtensionHeaders = 16;

    public static FrameLayers Dissect(PcapLinkType linkType, ReadOnlySpan<byte> d)
    {
        int linkLength;
        ushort type;
        switch (linkType)
        {
            case PcapLinkType.Ethernet:
                if (d.Length < LinkLayer.EthernetHeaderLength) return FrameLayers.None with { CapturedLength = d.Length };
                type = BinaryPrimitives.ReadUInt16BigEndian(d[12..]);
                linkLength = LinkLayer.EthernetHeaderLength;
                break;
            case PcapLinkType.LinuxSll:
                if (d.Length < LinkLayer.SllHeaderLength) return FrameLayers.None with { CapturedLength = d.Length };
                type = BinaryPrimitives.ReadUInt16BigEndian(d[14..]);
                linkLength = LinkLayer.SllHeaderLength;
                break;
            case PcapLinkType.LinuxSll2:
                if (d.Length < LinkLayer.Sll2HeaderLength) return FrameLayers.None with { CapturedLength = d.Length };
                type = BinaryPrimitives.ReadUInt16BigEndian(d);
                linkLength = LinkLayer.Sll2HeaderLength;
                break;
            case PcapLinkType.RawIp:
            case PcapLinkType.RawIpv4:
            case PcapLinkType.RawIpv6:
                linkLength = 0;
                type = EtherTypeOfVersion(d);
                break;
            default:
                if (!PacketDotNetLinkLayer.TryFindIp(linkType, d, out linkLength)) return FrameLayers.None with { CapturedLength = d.Length };
                type = EtherTypeOfVersion(d[linkLength..]);
                break;
        }
        int off = linkLength;
        int tags = 0;
        while (EtherType.IsVlanTag(type) && tags < MaximumVlanTags && off + 4 <= d.Length)
        {
            type = BinaryPrimitives.ReadUInt16BigEndian(d[(off + 2)..]);
            off += 4;
            tags++;
        }
        var layers = new FrameLayers(linkLength, type, tags, off, 0, 0, 0, -1, 0, false, d.Length);
        if (type == EtherType.Ipv4) return Ipv4(d, layers);
        if (type == EtherType.Ipv6) return Ipv6(d, layers);
        return layers;
    }

    static ushort EtherTypeOfVersion(ReadOnlySpan<byte> ip) =>
        ip.Length == 0 ? (ushort)0 : (ip[0] >> 4) switch { 4 => EtherType.Ipv4, 6 => EtherType.Ipv6, _ => (ushort)0 };

    static FrameLayers Ipv4(ReadOnlySpan<byte> d, FrameLayers l)
    {
        int off = l.NetworkOffset;
        if (d.Length - off < PacketHeaders.Ipv4Length || (d[off] >> 4) != 4) return l;
        int ihl = (d[off] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(d[(off + 2)..]);
        if (ihl < PacketHeaders.Ipv4Length || total < ihl) return l;
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(d[(off + 6)..]);
        bool isFragment = (fragment & 0x3FFF) != 0;        // MF set or an offset
        bool first = (fragment & 0x1FFF) == 0;
        int transport = first && off + ihl <= d.Length ? off + ihl : -1;
        return l with { IpVersion = 4, IpEnd = off + total, Protocol = d[off + 9], TransportOffset = transport, Fragment = isFragment };
    }

    static FrameLayers Ipv6(ReadOnlySpan<byte> d, FrameLayers l)
    {
        int off = l.NetworkOffset;
        if (d.Length - off < PacketHeaders.Ipv6Length || (d[off] >> 4) != 6) return l;
        int end = off + PacketHeaders.Ipv6Length + BinaryPrimitives.ReadUInt16BigEndian(d[(off + 4)..]);
        byte next = d[off + 6];
        int at = off + PacketHeaders.Ipv6Length;
        int count = 0;
        bool fragment = false;
        l = l with { IpVersion = 6, IpEnd = end };
        while (count < MaximumExtensionHeaders && next is IpProtocol.HopByHopOptions or IpProtocol.Routing or IpProtocol.DestinationOptions
                   or IpProtocol.Fragment or IpProtocol.Ah)
        {
            if (at + 2 > d.Length || at + 2 > end) return l with { Protocol = next, TransportOffset = -1, ExtensionHeaders = count, Fragment = fragment };
            int length = next switch
            {
                IpProtocol.Fragment => 8,
                IpProtocol.Ah => (d[at + 1] + 2) * 4,
                _ => (d[at + 1] + 1) * 8,
            };
            if (next == IpProtocol.Fragment)
            {
                if (at + 4 > d.Length) return l with { Protocol = next, TransportOffset = -1, ExtensionHeaders = count, Fragment = true };
                fragment = true;
                // A later fragment's payload continues some earlier upper-layer header: nothing to read here.
                if ((BinaryPrimitives.ReadUInt16BigEndian(d[(at + 2)..]) & 0xFFF8) != 0)
                    return l with { Protocol = d[at], TransportOffset = -1, ExtensionHeaders = count + 1, Fragment = true };
            }
            next = d[at];
            at += length;
            count++;
        }
        int transport = at <= d.Length && at <= end ? at : -1;
        return l with { Protocol = next, TransportOffset = transport, ExtensionHeaders = count, Fragment = fragment };
    }
}
