namespace Lab.Reports.Content;

/// <summary>
/// How the report names the metrics of RESULTS-FORMAT.md, and which ones it puts in figures.
/// Metrics it does not know (a model's own) keep their name and unit.
/// </summary>
public static class MetricCatalog
{
    /// <summary>The headline metrics, in the order figures and tables show them.</summary>
    public static readonly string[] Headline =
    [
        "offered_pps", "delivered_pps", "wire_bps", "goodput_bps", "loss_ratio",
        "latency_mean_us", "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p999_us", "latency_max_us",
        "drops_total",
    ];

    /// <summary>Latency percentiles for the percentile figure, with their short names.</summary>
    public static readonly (string Metric, string Label)[] Percentiles =
    [
        ("latency_p50_us", "p50"), ("latency_p90_us", "p90"), ("latency_p99_us", "p99"), ("latency_p999_us", "p99.9"), ("latency_max_us", "max"),
    ];

    public static string Title(string metric) => metric switch
    {
        "offered_pps" => "Offered packet rate",
        "delivered_pps" => "Delivered packet rate",
        "wire_bps" => "Wire throughput",
        "goodput_bps" => "Goodput",
        "loss_ratio" => "Loss",
        "latency_mean_us" => "Mean latency",
        "latency_p50_us" => "Median latency",
        "latency_p90_us" => "p90 latency",
        "latency_p99_us" => "p99 latency",
        "latency_p999_us" => "p99.9 latency",
        "latency_max_us" => "Maximum latency",
        "drops_total" => "Drops",
        "sim_events" => "Simulation events",
        "queue_depth" => "Queue depth",
        "drops" => "Drops per sample",
        _ when metric.StartsWith("drop.", StringComparison.Ordinal) => $"Drops: {metric[5..]}",
        _ when metric.StartsWith("core", StringComparison.Ordinal) && metric.EndsWith(".utilization", StringComparison.Ordinal) => $"Core {metric[4..^12]} utilisation",
        _ => metric,
    };

    /// <summary>Units of the time-series columns of RESULTS-FORMAT.md.</summary>
    public static string SeriesUnit(string column) => column switch
    {
        "delivered_pps" => "pps",
        "wire_bps" or "goodput_bps" => "bit/s",
        "queue_depth" or "drops" => "packets",
        _ when column.EndsWith("_pps", StringComparison.Ordinal) => "pps",
        _ when column.EndsWith("_bps", StringComparison.Ordinal) => "bit/s",
        _ when column.EndsWith("_us", StringComparison.Ordinal) => "us",
        _ => "",
    };

    /// <summary>
    /// Whether the metric is a share of a whole, 0..1 (0..100% on slides), so that an interval is cut
    /// at 100% as at zero: a core's utilisation (busy time over the window, ScenarioRunner) and its
    /// groups' mean and maximum, loss and reordered ratios (counts over the packets they count from:
    /// loss_ratio, IP-TFS inner_loss_ratio, RFC 4737 reordered_ratio and n3_reordered_ratio), and the
    /// "_share" metrics that count packets or bytes of a total (forward fast_path_share and hw_share,
    /// IP-TFS padding_share and fragmented_share, RFC 5236 rd_displaced_share), and IP-TFS
    /// wire_efficiency (inner bytes over the outer wire bytes that carry them). Not bounded: ratios
    /// that can pass 1, such as coefficients of variation (size_cv, gap_cv) and esp_out
    /// lock_wait_share (waits of several cores add up over the same time).
    /// </summary>
    public static bool IsFraction(string metric, string unit)
    {
        if (unit != "ratio") return false;
        string name = metric[(metric.LastIndexOf('.') + 1)..];
        return name is "utilization" or "utilization_mean" or "utilization_max" or "loss_ratio" or "inner_loss_ratio"
            or "reordered_ratio" or "n3_reordered_ratio" or "fast_path_share" or "hw_share" or "padding_share"
            or "fragmented_share" or "rd_displaced_share" or "wire_efficiency";
    }

    public static bool IsDrop(string metric) => metric.StartsWith("drop.", StringComparison.Ordinal);

    /// <summary>Metrics that describe the run rather than the system under test.</summary>
    public static bool IsBookkeeping(string metric) => metric == "sim_events";
}
