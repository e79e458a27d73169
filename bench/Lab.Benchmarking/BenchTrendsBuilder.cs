using Lab.Core;
using Lab.Reports.Bench;

namespace Lab.Benchmarking;

/// <summary>
/// Turns recorded runs (<see cref="BenchStore.Runs"/>) into what <c>lab report --bench</c> draws:
/// per suite, the last <c>N</c> runs that measured it (with its reference) and each benchmark's
/// ratio per run with its 95% interval. The interval is Student t on the ratio's relative
/// standard error in log space, as <see cref="BenchComparer"/> treats a change:
/// ratio · exp(±t(0.975, df) · rse); a run without a noise estimate (one dry iteration) has none.
/// The first-to-latest change is <see cref="BenchComparer.Compare"/> of those two runs.
/// </summary>
public static class BenchTrendsBuilder
{
    /// <param name="runs">Oldest first, already filtered by mode.</param>
    /// <param name="suite">Only this suite; must be one the runs measured.</param>
    /// <param name="last">Runs per suite (the latest ones).</param>
    /// <param name="store">The store's path, for messages and the report.</param>
    /// <param name="modes">The modes the runs were filtered to, for messages and the report ("full, quick").</param>
    public static BenchTrends Build(IReadOnlyList<BenchRun> runs, string? suite, int last, string store, string modes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(last, 1);
        var rated = runs.Select(r => (Run: r, Rated: r.Rated())).ToList();
        var suites = new List<string>();
        foreach (var (_, list) in rated)
            foreach (var m in list)
                if (!suites.Contains(m.M.Suite)) suites.Add(m.M.Suite);
        if (suites.Count == 0)
            throw new LabInputException($"no {modes} benchmark runs recorded in {store}") { Remedies = [Remedy.RecordBenchRuns] };
        if (suite is not null && !suites.Contains(suite))
            throw new ParameterException("suite", $"expected one of {string.Join(", ", suites)} (the suites of the {modes} runs in {store}), found '{suite}'");

        var chosen = new List<(string Suite, List<(BenchRun Run, IReadOnlyList<RatedMeasurement> Rated)> Runs)>();
        foreach (var s in suites)
        {
            if (suite is not null && s != suite) continue;
            var withSuite = rated.Where(x => x.Rated.Any(m => m.M.Suite == s)).ToList();
            if (withSuite.Count > last) withSuite = withSuite.GetRange(withSuite.Count - last, last);
            chosen.Add((s, withSuite));
        }
        var labels = Labels(chosen.SelectMany(c => c.Runs.Select(x => x.Run)));

        var result = new List<BenchTrendSuite>();
        foreach (var (s, suiteRuns) in chosen)
        {
            var trendRuns = suiteRuns.Select(x => new BenchTrendRun(labels[x.Run.RunId], x.Run.RunId, x.Run.Date, x.Run.Commit,
                x.Run.Mode.ToString().ToLowerInvariant(), x.Run.Machine, x.Run.Optimized, x.Run.Slowdown)).ToList();
            var keys = new List<string>();
            foreach (var (_, list) in suiteRuns)
                foreach (var m in list)
                    if (m.M.Suite == s && !m.M.IsReference && !keys.Contains(m.Key)) keys.Add(m.Key);
            var series = new List<BenchTrendSeries>();
            foreach (var key in keys)
            {
                var points = suiteRuns.Select(x => x.Rated.FirstOrDefault(m => m.Key == key)).ToList();
                series.Add(Series(points));
            }
            result.Add(new BenchTrendSuite(s, trendRuns, series));
        }
        return new BenchTrends(store, modes, result);
    }

    static BenchTrendSeries Series(IReadOnlyList<RatedMeasurement?> points)
    {
        int n = points.Count;
        var ratios = new double[n];
        var low = new double[n];
        var high = new double[n];
        int first = -1, latest = -1;
        RatedMeasurement any = points.First(p => p is not null)!;
        for (int i = 0; i < n; i++)
        {
            if (points[i] is not { } p)
            {
                ratios[i] = low[i] = high[i] = double.NaN;
                continue;
            }
            if (first < 0) first = i;
            latest = i;
            double half = HalfWidth(p.RatioRelStdErr, p.RatioDegreesOfFreedom);
            ratios[i] = p.Ratio;
            low[i] = p.Ratio * Math.Exp(-half);
            high[i] = p.Ratio * Math.Exp(half);
        }
        BenchTrendChange? change = null;
        if (latest > first)
        {
            var a = points[first]!;
            var b = points[latest]!;
            var d = BenchComparer.Compare([a], [b], threshold: 0).Deltas.Single(x => x.Key == any.Key);
            bool noiseKnown = Math.Min(a.RatioDegreesOfFreedom, b.RatioDegreesOfFreedom) >= 1 && (a.RatioRelStdErr > 0 || b.RatioRelStdErr > 0);
            string beyond = !noiseKnown ? "n/a" : d.Verdict switch
            {
                BenchVerdict.Slower => "slower",
                BenchVerdict.Faster => "faster",
                _ => "no",
            };
            change = new BenchTrendChange(first, latest, d.Change, d.Noise, beyond);
        }
        return new BenchTrendSeries(BenchReport.Name(any.M), any.M.OpUnit, ratios, low, high) { Change = change };
    }

    /// <summary>Half-width of the 95% interval of log(ratio): t(0.975, df) · rse; 0 without a noise estimate.</summary>
    public static double HalfWidth(double relStdErr, int degreesOfFreedom) =>
        degreesOfFreedom >= 1 && relStdErr > 0 && double.IsFinite(relStdErr) ? Lab.Results.StudentT95.Critical(degreesOfFreedom) * relStdErr : 0;

    /// <summary>The short commit (7 characters) per run, oldest first; further runs of the same commit get " (2)", " (3)".</summary>
    static Dictionary<string, string> Labels(IEnumerable<BenchRun> runs)
    {
        var unique = new Dictionary<string, BenchRun>(StringComparer.Ordinal);
        foreach (var r in runs) unique.TryAdd(r.RunId, r);
        var ordered = unique.Values.OrderBy(r => r.Date).ThenBy(r => r.RunId, StringComparer.Ordinal).ToList();
        var perCommit = new Dictionary<string, int>(StringComparer.Ordinal);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in ordered)
        {
            string shortCommit = r.Commit.Length > 7 ? r.Commit[..7] : r.Commit;
            int k = perCommit.TryGetValue(shortCommit, out int seen) ? seen + 1 : 1;
            perCommit[shortCommit] = k;
            labels[r.RunId] = k == 1 ? shortCommit : $"{shortCommit} ({k})";
        }
        return labels;
    }
}
