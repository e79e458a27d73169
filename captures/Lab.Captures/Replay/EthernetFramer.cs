using System.Buffers.Binary;
using System.Globalization;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Core;

namespace Lab.Captures.Replay;

/// <summary>
/// Turns a capture's records into Ethernet frames for AF_PACKET. Ethernet records go out as
/// they are (or with the addresses the user gave). A record without an Ethernet header (Linux
/// cooked SLL or SLL2 from <c>tcpdump -i any</c>, raw IP, or a link type PacketDotNet
/// dissects) gets a synthesised 14-byte header, as tcprewrite --dlt=enet does: the EtherType
/// is the cooked header's protocol (VLAN tags libpcap re-inserted stay in place) or the IP
/// version's; the source is the address given, else the cooked header's sender address when it
/// is 6 bytes long, else the sending interface's own; the destination is the address given,
/// else broadcast, which every receiver accepts for local delivery (a router forwards only
/// frames to its own address: give it with --dst-mac). Cooked records whose protocol is not an
/// EtherType (802.2 LLC, CAN, netlink) cannot be framed and are skipped and counted. Nothing
/// is allocated per record, except for link types dissected by PacketDotNet.
/// </summary>
public sealed class EthernetFramer
{
    readonly string _captureName;
    readonly byte[] _scratch;

    public EthernetFramer(string captureName, MacAddress interfaceAddress, MacAddress? destination = null, MacAddress? source = null,
        int maximumRecordLength = 1 << 20)
    {
        _captureName = captureName;
        InterfaceAddress = interfaceAddress;
        Destination = destination;
        Source = source;
        _scratch = new byte[LinkLayer.EthernetHeaderLength + maximumRecordLength];
    }

    public MacAddress InterfaceAddress { get; }
    public MacAddress? Destination { get; }
    public MacAddress? Source { get; }

    /// <summary>Records that went out with a synthesised Ethernet header.</summary>
    public long Synthesised { get; private set; }

    /// <summary>Ethernet records whose addresses were rewritten.</summary>
    public long Rewritten { get; private set; }

    /// <summary>Records that could not be made into Ethernet frames.</summary>
    public long Skipped { get; private set; }

    /// <summary>Link types seen that were not Ethernet (for the report).</summary>
    public IReadOnlyCollection<PcapLinkType> SynthesisedLinkTypes => _linkTypes;

    readonly HashSet<PcapLinkType> _linkTypes = [];

    /// <summary>True when records of this link type can be made into Ethernet frames.</summary>
    public static bool CanFrame(PcapLinkType type) => LinkLayer.IsNative(type) || PacketDotNetLinkLayer.Name(type) is not null;

    /// <summary>Throws <see cref="LabInputException"/> for interfaces whose records could never be sent.</summary>
    public static void CheckInterfaces(string captureName, IReadOnlyList<CaptureInterface> interfaces)
    {
        for (int i = 0; i < interfaces.Count; i++)
        {
            if (!CanFrame(interfaces[i].LinkType))
                throw new LabInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{captureName}: interface {i}: expected a link type that can be replayed over Ethernet (1 Ethernet, 113 Linux cooked SLL, 276 SLL2, 101/228/229 raw IP, or one PacketDotNet dissects), found {(uint)interfaces[i].LinkType}"));
        }
    }

    /// <summary>The frame to send for a record; false when the record is skipped.</summary>
    public bool TryFrame(in PcapRecord record, ReadOnlySpan<byte> data, out ReadOnlySpan<byte> frame)
    {
        var type = record.LinkType;
        if (type == PcapLinkType.Ethernet)
        {
            if ((Destination is null && Source is null) || data.Length < LinkLayer.EthernetHeaderLength)
            {
                frame = data;
                return true;
            }
            data.CopyTo(_scratch);
            Destination?.WriteTo(_scratch);
            Source?.WriteTo(_scratch.AsSpan(6));
            Rewritten++;
            frame = _scratch.AsSpan(0, data.Length);
            return true;
        }
        ushort etherType;
        int payload;
        switch (type)
        {
            case PcapLinkType.LinuxSll:
                payload = LinkLayer.SllHeaderLength;
                etherType = data.Length >= payload ? BinaryPrimitives.ReadUInt16BigEndian(data[14..]) : (ushort)0;
                break;
            case PcapLinkType.LinuxSll2:
                payload = LinkLayer.Sll2HeaderLength;
                etherType = data.Length >= payload ? BinaryPrimitives.ReadUInt16BigEndian(data) : (ushort)0;
                break;
            case PcapLinkType.RawIp:
            case PcapLinkType.RawIpv4:
            case PcapLinkType.RawIpv6:
                payload = 0;
                etherType = VersionEtherType(data);
                break;
            default:
                if (!CanFrame(type))
                    throw new LabInputException(string.Create(CultureInfo.InvariantCulture,
                        $"{_captureName}: offset {record.FileOffset}: interface {record.InterfaceId}: expected a link type that can be replayed over Ethernet, found {(uint)type}"));
                if (!PacketDotNetLinkLayer.TryFindIp(type, data, out payload)) payload = data.Length;
                etherType = payload < data.Length ? VersionEtherType(data[payload..]) : (ushort)0;
                break;
        }
        if (etherType < EtherType.Minimum || data.Length - payload > _scratch.Length - LinkLayer.EthernetHeaderLength)
        {
            Skipped++;
            frame = default;
            return false;
        }
        var s = _scratch.AsSpan();
        (Destination ?? MacAddress.Broadcast).WriteTo(s);
        if (Source is { } src) src.WriteTo(s[6..]);
        else if (LinkLayer.TryGetCookedSource(type, data, out var cooked)) cooked.CopyTo(s[6..]);
        else InterfaceAddress.WriteTo(s[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(s[12..], etherType);
        data[payload..].CopyTo(s[LinkLayer.EthernetHeaderLength..]);
        if (_linkTypes.Count == 0 || !_linkTypes.Contains(type)) _linkTypes.Add(type);
        Synthesised++;
        frame = s[..(LinkLayer.EthernetHeaderLength + data.Length - payload)];
        return true;
    }

    static ushort VersionEtherType(ReadOnlySpan<byte> ip) =>
        ip.Length == 0 ? (ushort)0 : (ip[0] >> 4) switch { 4 => EtherType.Ipv4, 6 => EtherType.Ipv6, _ => (ushort)0 };
}
