namespace Lab.Results;

public readonly record struct MetricValue(string Name, string Unit, double Value);

/// <summary>One time-series sample (see RESULTS-FORMAT.md, timeseries.csv).</summary>
public readonly record struct TimeSeriesRow(
    double TimeSeconds,
    double DeliveredPps,
    double WireBitsPerSecond,
    double GoodputBitsPerSecond,
    long QueueDepth,
    long Drops,
    bool Warmup);

/// <summary>One row of a state snapshot (see RESULTS-FORMAT.md, probes.csv): cells by column name.</summary>
public sealed record ProbeRecord(double TimeSeconds, string Element, string Table, IReadOnlyList<KeyValuePair<string, string>> Cells);

/// <summary>What one replication of one point measured.</summary>
public sealed record ReplicationResult(
    int Replication,
    IReadOnlyList<MetricValue> Metrics,
    IReadOnlyList<TimeSeriesRow> TimeSeries,
    IReadOnlyList<(double Quantile, double LatencyUs)> LatencyCdf,
    long Events)
{
    /// <summary>State snapshots of a scenario with <c>probes:</c>; null when it has none (no probes.csv is written).</summary>
    public IReadOnlyList<ProbeRecord>? Probes { get; init; }

    /// <summary>Drop reasons (without the drop. prefix) that a model declared as a configuration limit, with what to change; kept in a sweep's run files (drop_causes), not in the results folder.</summary>
    public IReadOnlyDictionary<string, Lab.Core.DropCause> DropCauses { get; init; } = new Dictionary<string, Lab.Core.DropCause>();
}

/// <summary>One sweep point's identity and its replications.</summary>
public sealed record PointResult(int Index, IReadOnlyList<KeyValuePair<string, string>> Parameters, IReadOnlyList<ReplicationResult> Replications);

/// <summary>Everything a results folder holds.</summary>
public sealed record RunSet(
    string ScenarioName,
    string Description,
    string ResolvedYaml,
    double DurationSeconds,
    double WarmupSeconds,
    long Seed,
    int Replications,
    IReadOnlyList<string> SweptParameters,
    IReadOnlyList<PointResult> Points)
{
    /// <summary>
    /// The scenario's key metrics, in order: the headline ones, then those its path elements declare
    /// (summary.json key_metrics). Reports and `lab run` show these first; every other metric is still written.
    /// </summary>
    public IReadOnlyList<string> KeyMetrics { get; init; } = [];
}

/// <summary>Facts about a run that are not a function of its inputs: kept apart from the deterministic files.</summary>
public sealed record Provenance(DateTimeOffset RunDate, string LabVersion, string Commit, string Host, string Command)
{
    /// <summary>provenance.json's run_date format: UTC to the second.</summary>
    public const string RunDateFormat = "yyyy-MM-ddTHH:mm:ssZ";

    /// <summary><see cref="RunDate"/> as provenance.json and the reports write it.</summary>
    public string RunDateText => RunDate.UtcDateTime.ToString(RunDateFormat, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Where the run's costs came from ("costs: measured on ...; assumed: ..."), one line per element that takes costs.</summary>
    public IReadOnlyList<string> Costs { get; init; } = [];
}
