namespace Lab.Reports.Bench;

/// <summary>
/// One saved benchmark run as the trend report shows it. <see cref="Label"/> is the x-axis tick:
/// the commit's short hash, with " (2)", " (3)" for further runs of the same commit.
/// </summary>
public sealed record BenchTrendRun(string Label, string RunId, DateTimeOffset Date, string Commit, string Mode, string Machine, bool Optimized, bool Slowdown);

/// <summary>
/// The change of a benchmark's ratio from the first run that has it to the latest, as
/// <c>lab bench --compare</c> computes it between two runs.
/// </summary>
/// <param name="FirstRun">Index into the suite's runs.</param>
/// <param name="LatestRun">Index into the suite's runs.</param>
/// <param name="Change">latest / first - 1 (0.25 = 25% slower).</param>
/// <param name="Noise">Half-width of the 95% interval of the change (0 when the runs gave no noise estimate).</param>
/// <param name="BeyondNoise">"slower" or "faster" when the whole 95% interval is on that side of zero, else "no".</param>
public sealed record BenchTrendChange(int FirstRun, int LatestRun, double Change, double Noise, string BeyondNoise);

/// <summary>
/// One benchmark's ratio to its suite's reference in each run of the suite (oldest first; NaN
/// where a run did not measure it), with the 95% interval of each ratio (equal to the ratio
/// where a run gave no noise estimate, e.g. a dry run).
/// </summary>
public sealed record BenchTrendSeries(string Benchmark, string OpUnit, double[] Ratios, double[] Low, double[] High)
{
    /// <summary>First to latest; null when only one run has the benchmark.</summary>
    public BenchTrendChange? Change { get; init; }
}

/// <summary>A suite's runs (those that measured it with its reference, oldest first) and its benchmarks' series; the reference itself is left out (its ratio is 1).</summary>
public sealed record BenchTrendSuite(string Suite, IReadOnlyList<BenchTrendRun> Runs, IReadOnlyList<BenchTrendSeries> Series);

/// <summary>What <c>lab report --bench</c> shows: the suites' trends read from the results store at <see cref="Store"/>.</summary>
/// <param name="Modes">Which run modes were included, for the report's parameters ("full, quick").</param>
public sealed record BenchTrends(string Store, string Modes, IReadOnlyList<BenchTrendSuite> Suites)
{
    /// <summary>Every run shown in any suite, oldest first, once.</summary>
    public IReadOnlyList<BenchTrendRun> AllRuns()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var all = new List<BenchTrendRun>();
        foreach (var s in Suites)
            foreach (var r in s.Runs)
                if (seen.Add(r.RunId)) all.Add(r);
        all.Sort((a, b) => a.Date != b.Date ? a.Date.CompareTo(b.Date) : string.CompareOrdinal(a.RunId, b.RunId));
        return all;
    }
}
