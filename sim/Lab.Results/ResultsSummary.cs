namespace Lab.Results;

/// <summary>
/// summary.json as a reader sees it (RESULTS-FORMAT.md): what <see cref="ResultsWriter.SummaryJson"/>
/// writes from a <see cref="RunSet"/>, with each point's replications reduced to a
/// <see cref="MetricSummary"/> per metric.
/// </summary>
public sealed record ResultsSummary(int Format, ScenarioIdentity Scenario, RunControl Run, IReadOnlyList<string> SweepParameters, IReadOnlyList<SweepPoint> Points)
{
    /// <summary>key_metrics: the metrics the scenario's models declare as its key ones; empty in older folders.</summary>
    public IReadOnlyList<string> KeyMetrics { get; init; } = [];
}

/// <summary>summary.json "scenario": the scenario's name, description and the sha256 of its resolved YAML.</summary>
public sealed record ScenarioIdentity(string Name, string Description, string Hash);

/// <summary>summary.json "run": the run control of <see cref="RunSet"/>.</summary>
public sealed record RunControl(double DurationS, double WarmupS, long Seed, int Replications);

/// <summary>A sweep point. <see cref="Parameters"/> is in sweep order; <see cref="Metrics"/> is sorted ordinally.</summary>
public sealed record SweepPoint(int Index, IReadOnlyList<KeyValuePair<string, string>> Parameters, IReadOnlyDictionary<string, MetricSummary> Metrics)
{
    public string Parameter(string name)
    {
        foreach (var p in Parameters) if (p.Key == name) return p.Value;
        return "";
    }

    /// <summary>"a=1, b=2", or "" without a sweep: the key that matches points across results.</summary>
    public string Key => string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>
/// One metric of one point: its unit, the <see cref="Summary"/> over replications as written
/// (NaN where an older file lacks a field) and the replications' values.
/// </summary>
public sealed record MetricSummary(string Unit, Summary Stats, IReadOnlyList<double> Values)
{
    public double Mean => Stats.Mean;

    public int N => Stats.N;
}
