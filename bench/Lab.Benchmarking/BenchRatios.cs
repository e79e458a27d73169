namespace Lab.Benchmarking;

/// <summary>
/// Ratios to the reference benchmark. Absolute times differ between machines and, on a shared
/// machine, between runs; a benchmark's time divided by a fixed workload's time measured in the
/// same run cancels most of that (clock speed, load from other tenants while the suite ran).
/// </summary>
public static class BenchRatios
{
    public static IReadOnlyList<RatedMeasurement> Rate(IReadOnlyList<BenchMeasurement> measurements)
    {
        var references = new Dictionary<string, BenchMeasurement>(StringComparer.Ordinal);
        foreach (var m in measurements)
        {
            if (m.IsReference && m.MedianNs > 0) references[m.Suite] = m;
        }
        var rated = new List<RatedMeasurement>();
        foreach (var m in measurements)
        {
            if (!references.TryGetValue(m.Suite, out var r)) continue;
            double ratio = m.MedianNs / r.MedianNs;
            // The reference against itself is exactly 1 with no error.
            double rse = ReferenceEquals(m, r) ? 0 : Math.Sqrt(m.RelativeStdErr * m.RelativeStdErr + r.RelativeStdErr * r.RelativeStdErr);
            rated.Add(new RatedMeasurement(m, ratio, rse, Math.Max(0, Math.Min(m.N, r.N) - 1)));
        }
        return rated;
    }
}
