namespace Lab.Reports.Reading;

/// <summary>
/// One results folder as RESULTS-FORMAT.md (sim/Lab.Results) defines it. Only summary.json and
/// provenance.json are required; the other tables are empty when their file is absent.
/// </summary>
public sealed record ResultsSet(
    string Folder,
    Summary Summary,
    Provenance Provenance,
    MetricsTable Metrics,
    TimeSeriesTable TimeSeries,
    IReadOnlyList<CdfPoint> LatencyCdf,
    IReadOnlyList<ValidationRow> Validation,
    string? ScenarioYaml)
{
    /// <summary>timing.csv (<c>lab validate --timing</c>): model against kernel CPU per packet by offered rate; empty when absent.</summary>
    public IReadOnlyList<TimingRow> Timing { get; init; } = [];

    /// <summary>The scenario name, or the folder name when the summary has none.</summary>
    public string Name => Summary.Scenario.Name.Length > 0 ? Summary.Scenario.Name : Path.GetFileName(Folder);
}

public sealed record Summary(int Format, ScenarioIdentity Scenario, RunControl Run, IReadOnlyList<string> SweepParameters, IReadOnlyList<SweepPoint> Points)
{
    /// <summary>key_metrics: the metrics the scenario's models declare as its key ones; empty in older folders.</summary>
    public IReadOnlyList<string> KeyMetrics { get; init; } = [];
}

public sealed record ScenarioIdentity(string Name, string Description, string Hash);

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

/// <summary>A metric over replications: mean, sample standard deviation, 95% confidence interval.</summary>
public sealed record MetricSummary(string Unit, double Mean, double Stddev, double Ci95Low, double Ci95High, int N, IReadOnlyList<double> Values);

/// <summary>metrics.csv: one row per (point, replication, metric).</summary>
public sealed record MetricsTable(IReadOnlyList<string> ParameterColumns, IReadOnlyList<MetricRow> Rows);

public sealed record MetricRow(int Point, IReadOnlyList<string> Parameters, int Replication, string Metric, string Unit, double Value);

/// <summary>
/// timeseries.csv: the contract's columns (delivered_pps, wire_bps, goodput_bps, queue_depth,
/// drops) and any further numeric column a model adds, in file order.
/// </summary>
public sealed record TimeSeriesTable(IReadOnlyList<string> Series, IReadOnlyList<TimeSample> Rows)
{
    public static readonly TimeSeriesTable Empty = new([], []);

    public int IndexOf(string series)
    {
        for (int i = 0; i < Series.Count; i++) if (Series[i] == series) return i;
        return -1;
    }
}

public sealed record TimeSample(int Point, int Replication, double TimeS, bool Warmup, IReadOnlyList<double> Values);

/// <summary>latency_cdf.csv: one latency quantile of one replication of one point.</summary>
public sealed record CdfPoint(int Point, int Replication, double Quantile, double LatencyUs);

/// <summary>
/// validation.csv (<c>check,metric,simulated,kernel,agree</c>): a counter as the simulation
/// and the real kernel report it for the same traffic, and whether they agree.
/// </summary>
public sealed record ValidationRow(string Check, string Metric, double Simulated, double Kernel, bool Agree);

/// <summary>
/// One row of timing.csv: an offered rate ("top" speed or a multiple of the model's predicted saturation),
/// the model's and the kernel's CPU per forwarded packet, and what each delivered.
/// </summary>
public sealed record TimingRow(string Point, double OfferedPps, double ModelNs, double KernelNs, double ErrorPercent, double BaselineNs,
    double ModelDeliveredPps, double KernelForwardedPps, double ModelLoss, double KernelLoss, bool Emulated);

/// <summary>provenance.json: when and by which build the results were made.</summary>
public sealed record Provenance(string RunDate, string LabVersion, string Commit, string Host, string Command);
