using Lab.Results;
using Lab.Reports.Reading;

namespace Lab.Reports.Content;

/// <summary>
/// The results a section shows: <see cref="After"/> alone, or against <see cref="Before"/> (the
/// --compare baseline). Points are matched by their swept parameter values.
/// </summary>
public sealed record Comparison(ResultsSet After, ResultsSet? Before)
{
    public bool Comparing => Before is not null;

    public SweepPoint? BeforePoint(SweepPoint after)
    {
        if (Before is null) return null;
        foreach (var p in Before.Summary.Points) if (p.Key == after.Key) return p;
        return null;
    }

    /// <summary>Points of <see cref="Before"/> that <see cref="After"/> lacks: listed, never silently dropped.</summary>
    public IReadOnlyList<SweepPoint> UnmatchedBefore()
    {
        if (Before is null) return [];
        var keys = After.Summary.Points.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        return Before.Summary.Points.Where(p => !keys.Contains(p.Key)).ToList();
    }

    /// <summary>The metric's summary at a point of After and, when comparing, at the matching point of Before.</summary>
    public (MetricSummary? After, MetricSummary? Before) Metric(SweepPoint point, string metric)
    {
        point.Metrics.TryGetValue(metric, out var after);
        MetricSummary? before = null;
        BeforePoint(point)?.Metrics.TryGetValue(metric, out before);
        return (after, before);
    }

    /// <summary>Metric names present in any point of After (or Before), ordinal order.</summary>
    public IReadOnlyList<string> MetricNames()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in After.Summary.Points) names.UnionWith(p.Metrics.Keys);
        if (Before is not null) foreach (var p in Before.Summary.Points) names.UnionWith(p.Metrics.Keys);
        return [.. names];
    }

    public IEnumerable<ResultsSet> Sides()
    {
        if (Before is not null) yield return Before;
        yield return After;
    }

    public static string SideLabel(ResultsSet set, Comparison c) =>
        !c.Comparing ? "" : ReferenceEquals(set, c.Before) ? "before" : "after";
}
