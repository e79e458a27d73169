using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Models.Traffic;

namespace Lab.Cli.Running;

/// <summary>
/// Reads a capture (pcap or pcapng, any link type <see cref="FrameDissector"/> knows) as
/// traffic: one packet per record at its time relative to the first record. Sizes are those of
/// the packet as an Ethernet frame (a cooked or raw-IP capture's link header replaced by 14
/// bytes) plus the 4-byte FCS that captures do not contain (the simulator's frame sizes include
/// it). The flow is <see cref="FrameFlow"/>'s hash, so RSS spreads a capture over cores as a NIC would.
/// </summary>
public static class PcapTraffic
{
    public static IReadOnlyList<ListedPacket> Load(string path)
    {
        using var reader = PcapReader.Open(path);
        var list = new List<ListedPacket>();
        long first = -1;
        while (reader.TryReadNext(out var rec))
        {
            if (first < 0) first = rec.TimestampNanoseconds;
            var data = reader.Data;
            var layers = FrameDissector.Dissect(rec.LinkType, data);
            int size = LinkLayer.EthernetEquivalentLength(layers, rec.OriginalLength) + 4;
            list.Add(new ListedPacket((rec.TimestampNanoseconds - first) * 1000, Math.Max(64, size), FrameFlow.Hash(data, layers), list.Count + 1, 0));
        }
        return list;
    }
}
