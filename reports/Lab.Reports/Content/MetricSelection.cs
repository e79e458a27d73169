using Lab.Core;
using Lab.Reports.Reading;

namespace Lab.Reports.Content;

/// <summary>
/// Which metrics go on the slides (and into the sweep tables): the ones named with
/// <c>lab report --metrics</c>, else the scenario's key metrics (summary.json key_metrics, declared by
/// its models) that vary across a sweep. Every other metric keeps its figure in report.html and report.md.
/// </summary>
public static class MetricSelection
{
    /// <summary>For results folders written before key_metrics existed.</summary>
    public static readonly string[] Fallback = ["delivered_pps", "loss_ratio", "latency_p99_us", "drops_total"];

    /// <summary>
    /// Checks <paramref name="requested"/> against the metrics the results have: an unknown name
    /// is bad input (exit 2) and the message lists the available ones.
    /// </summary>
    public static void Validate(IReadOnlyList<string> requested, IReadOnlyList<ResultsSet> results, ResultsSet? baseline)
    {
        var available = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in results.Append(baseline))
            if (r is not null) foreach (var p in r.Summary.Points) available.UnionWith(p.Metrics.Keys);
        var unknown = requested.Where(m => !available.Contains(m)).ToList();
        if (requested.Count == 0)
            throw new ParameterException("metrics", $"expected a comma-separated list of metric names, found none; available: {string.Join(", ", available)}");
        if (unknown.Count > 0)
            throw new ParameterException("metrics", $"no metric {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the results; available: {string.Join(", ", available)}");
    }

    /// <summary>The selected metrics of one section, in order, each present in it.</summary>
    public static IReadOnlyList<string> For(Comparison c, IReadOnlyList<string>? requested)
    {
        var names = c.MetricNames();
        if (requested is not null) return requested.Where(names.Contains).ToList();
        var keys = c.After.Summary.KeyMetrics.Count > 0 ? c.After.Summary.KeyMetrics : Fallback;
        bool sweep = c.After.Summary.Points.Count > 1;
        var chosen = keys.Where(m => names.Contains(m) && (!sweep || SweepFigures.Varies(c, m))).ToList();
        if (chosen.Count == 0 && names.Contains("delivered_pps")) chosen.Add("delivered_pps");
        return chosen;
    }
}
