using System.Globalization;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Core;
using Lab.Models.Traffic;

namespace Lab.Simulation.Running;

/// <summary>
/// Reads a capture (pcap or pcapng, any link type <see cref="FrameDissector"/> knows) as
/// traffic: one packet per record at its time relative to the first record. Sizes are those of
/// the packet as an Ethernet frame (a cooked or raw-IP capture's link header replaced by 14
/// bytes) plus the 4-byte FCS that captures do not contain (the simulator's frame sizes include
/// it). The flow is <see cref="FrameFlow"/>'s hash, so RSS spreads a capture over cores as a NIC would.
/// </summary>
public static class PcapTraffic
{
    /// <summary>Why the file is not a pcap this lab reads (its header: magic, version, link type), or null; for `lab check`.</summary>
    public static string? HeaderProblem(string path)
    {
        try
        {
            using var reader = PcapReader.Open(path);
            return null;
        }
        catch (LabInputException e)
        {
            string m = e.Message;
            return m.StartsWith(path + ": ", StringComparison.Ordinal) ? m[(path.Length + 2)..] : m;
        }
    }

    /// <summary>The simulator's clock is in picoseconds: a capture may span at most this many nanoseconds (106 days).</summary>
    const long MaxSpanNanoseconds = long.MaxValue / 1000;

    public static IReadOnlyList<ListedPacket> Load(string path)
    {
        using var reader = PcapReader.Open(path);
        var list = new List<ListedPacket>();
        var times = new List<long>();
        while (reader.TryReadNext(out var rec))
        {
            if (rec.OriginalLength > PcapFormat.MaximumSnapLength)
                throw new LabInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: offset {rec.FileOffset + 12}: record {reader.RecordCount}: expected an original length of at most {PcapFormat.MaximumSnapLength} bytes, found {rec.OriginalLength}"));
            times.Add(rec.TimestampNanoseconds);
            var data = reader.Data;
            var layers = FrameDissector.Dissect(rec.LinkType, data);
            int size = LinkLayer.EthernetEquivalentLength(layers, rec.OriginalLength) + 4;
            list.Add(new ListedPacket(0, Math.Max(64, size), FrameFlow.Hash(data, layers), list.Count + 1, 0));
        }
        if (list.Count == 0) return list;
        // Times count from the earliest record (usually the first; a capture from several CPUs may step back a little).
        long first = times.Min();
        for (int i = 0; i < list.Count; i++)
        {
            long span = times[i] - first;
            if (span > MaxSpanNanoseconds)
                throw new LabInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: record {i + 1}: expected timestamps within {MaxSpanNanoseconds / 86_400_000_000_000L} days of the earliest record, found one {span / 86_400_000_000_000L} days later"));
            list[i] = list[i] with { At = span * 1000 };
        }
        return list;
    }
}
