using System.Globalization;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// One CPU's row of /proc/net/softnet_stat (net/core/net-procfs.c, softnet_seq_show, 6.18): <see cref="Processed"/>
/// packets taken off the backlog or a NAPI poll into __netif_receive_skb (sd->processed, one per receive, so two per
/// packet the meter's router forwards: r0 and the sink's s0), <see cref="Dropped"/> packets enqueue_to_backlog refused
/// because the CPU's backlog held netdev_max_backlog packets (sd->dropped), and <see cref="TimeSqueeze"/> net_rx_action
/// rounds that ended with work left (netdev_budget or netdev_budget_usecs used up, sd->time_squeeze).
/// </summary>
public readonly record struct SoftnetCpu(int Cpu, long Processed, long Dropped, long TimeSqueeze)
{
    public static SoftnetCpu operator -(SoftnetCpu a, SoftnetCpu b) =>
        new(a.Cpu, a.Processed - b.Processed, a.Dropped - b.Dropped, a.TimeSqueeze - b.TimeSqueeze);

    public static SoftnetCpu operator +(SoftnetCpu a, SoftnetCpu b) =>
        new(a.Cpu, a.Processed + b.Processed, a.Dropped + b.Dropped, a.TimeSqueeze + b.TimeSqueeze);
}

/// <summary>A reading of /proc/net/softnet_stat: one row per online CPU.</summary>
public sealed record SoftnetStat(IReadOnlyList<SoftnetCpu> Cpus)
{
    public const string Path = "/proc/net/softnet_stat";

    /// <summary>The reading, or null where the file is missing (not Linux).</summary>
    public static SoftnetStat? TryRead() => File.Exists(Path) ? Parse(File.ReadAllText(Path)) : null;

    /// <summary>
    /// Parses the file: hexadecimal columns, the first three processed, dropped and time_squeeze; the 13th (since 5.10)
    /// the CPU's index, which is the row's position on older kernels (rows of offline CPUs are left out there too, so
    /// a position is only a guess without it).
    /// </summary>
    public static SoftnetStat Parse(string text)
    {
        var rows = new List<SoftnetCpu>();
        int lineNo = 0;
        foreach (string line in text.Split('\n'))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3) throw new FormatException($"{Path}:{lineNo}: expected at least 3 hexadecimal columns, found '{line}'");
            long H(int i) => long.TryParse(f[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long v)
                ? v : throw new FormatException($"{Path}:{lineNo}: column {i + 1}: expected a hexadecimal count, found '{f[i]}'");
            int cpu = f.Length >= 13 ? (int)H(12) : rows.Count;
            rows.Add(new SoftnetCpu(cpu, H(0), H(1), H(2)));
        }
        return new SoftnetStat(rows);
    }

    /// <summary>Per-CPU differences (this minus <paramref name="earlier"/>), matched by CPU index.</summary>
    public IReadOnlyList<SoftnetCpu> Since(SoftnetStat earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var before = earlier.Cpus.ToDictionary(c => c.Cpu);
        return [.. Cpus.Where(c => before.ContainsKey(c.Cpu)).Select(c => c - before[c.Cpu])];
    }
}
