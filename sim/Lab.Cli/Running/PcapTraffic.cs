using System.Globalization;
using Lab.Captures.Pcap;
using Lab.Engine;
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
            list.Add(new ListedPacket(0, Math.Max(64, rec.OriginalLength + 4), FlowOf(reader.Data), list.Count + 1, 0));
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
