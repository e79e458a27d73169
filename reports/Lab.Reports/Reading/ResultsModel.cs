using Lab.Results;

namespace Lab.Reports.Reading;

/// <summary>
/// One results folder as RESULTS-FORMAT.md (sim/Lab.Results) defines it. Only summary.json and
/// provenance.json are required; the other tables are empty when their file is absent.
/// </summary>
public sealed record ResultsSet(
    string Folder,
    ResultsSummary Summary,
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
