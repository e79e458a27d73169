using Lab.Captures.Pcap;
using Lab.Models.Traffic;

namespace Lab.Cli.Running;

/// <summary>
/// Reads a capture as traffic: one packet per record at its time relative to the first record.
/// Sizes gain the 4-byte FCS that captures do not contain (the simulator's frame sizes include
/// it). The flow is a hash of the Ethernet payload's addresses and ports, so RSS spreads a
/// capture over cores as a NIC would.
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
            list.Add(new ListedPacket((rec.TimestampNanoseconds - first) * 1000, Math.Max(64, rec.OriginalLength + 4), FlowOf(data), list.Count + 1, 0));
        }
        return list;
    }

    static int FlowOf(ReadOnlySpan<byte> frame)
    {
        // IPv4 over Ethernet: source and destination addresses (12 bytes from offset 26) and,
        // for TCP/UDP, the ports just after a 20-byte header. Anything else hashes what is there.
        int start = 26, length = frame.Length >= 38 ? 12 : Math.Max(0, frame.Length - start);
        uint h = 2166136261;
        for (int i = start; i < start + length && i < frame.Length; i++)
        {
            h ^= frame[i];
            h *= 16777619;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}
