namespace Lab.Benchmarking;

/// <summary>
/// Combines R runs of the same suites (<c>lab bench --runs R</c>) into one set of measurements:
/// per benchmark, the ratio to the reference is the median of the R per-run ratios (each run's
/// benchmark over that run's reference), the reference time the median of its R medians, and
/// <see cref="BenchMeasurement.RunNoise"/> the spread of the per-run ratios
/// (<see cref="RunNoiseModel.Estimate"/>). The within-run standard error kept is the median of the
/// runs' relative standard errors: the interval of one run, not narrowed by R.
/// </summary>
public static class BenchRunMerge
{
    public static IReadOnlyList<BenchMeasurement> Merge(IReadOnlyList<IReadOnlyList<BenchMeasurement>> runs)
    {
        if (runs.Count == 1) return runs[0];
        var perRun = runs.Select(r => BenchRatios.Rate(r).ToDictionary(x => x.Key, StringComparer.Ordinal)).ToList();
        var references = new Dictionary<string, BenchMeasurement>(StringComparer.Ordinal);
        var merged = new List<BenchMeasurement>();
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in runs)
        {
            foreach (var m in r)
            {
                if (seen.Add(m.Key)) order.Add(m.Key);
            }
        }
        var all = runs.SelectMany(r => r).GroupBy(m => m.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        // References first: the others are scaled by them.
        foreach (var key in order)
        {
            var ms = all[key];
            if (!ms[0].IsReference) continue;
            references[ms[0].Suite] = Combine(ms, RobustStatistics.Median([.. ms.Select(m => m.MedianNs)]), null);
        }
        foreach (var key in order)
        {
            var ms = all[key];
            if (ms[0].IsReference)
            {
                merged.Add(references[ms[0].Suite]);
                continue;
            }
            var ratios = perRun.Where(d => d.ContainsKey(key)).Select(d => d[key].Ratio).ToList();
            if (ratios.Count == 0 || !references.TryGetValue(ms[0].Suite, out var reference))
            {
                merged.Add(Combine(ms, RobustStatistics.Median([.. ms.Select(m => m.MedianNs)]), null));
                continue;
            }
            merged.Add(Combine(ms, reference.MedianNs * RobustStatistics.Median(ratios), RunNoiseModel.Estimate(ratios)));
        }
        return merged;
    }

    static BenchMeasurement Combine(List<BenchMeasurement> ms, double median, double? noise)
    {
        double relSe = RobustStatistics.Median([.. ms.Select(m => m.RelativeStdErr)]);
        var allocs = ms.Where(m => m.AllocatedBytes is not null).Select(m => m.AllocatedBytes!.Value).ToArray();
        return ms[0] with
        {
            MedianNs = median,
            MeanNs = RobustStatistics.Median([.. ms.Select(m => m.MeanNs)]),
            StdErrNs = relSe * median,
            N = ms.Min(m => m.N),
            AllocatedBytes = allocs.Length == 0 ? null : RobustStatistics.Median(allocs),
            Runs = ms.Count,
            RunNoise = noise,
        };
    }
}
