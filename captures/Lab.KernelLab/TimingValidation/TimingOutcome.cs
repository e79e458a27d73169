using System.Globalization;
using System.Text;

namespace Lab.KernelLab.TimingValidation;

/// <summary>One point: an offered rate (null: top speed), the model's and the kernel's figures.</summary>
/// <param name="Label">"top" or the factor of the predicted saturation ("0.5x").</param>
/// <param name="OfferedPps">Offered packets per second, null at top speed.</param>
/// <param name="ModelNs">The model's CPU per packet (forward element's charged cost).</param>
/// <param name="KernelNs">The kernel's CPU per packet: router minus baseline busy time per forwarded packet.</param>
/// <param name="BaselineNs">The injection/veth/sink baseline's busy time per packet at this rate.</param>
/// <param name="ModelDeliveredPps">Packets per second the simulation delivered.</param>
/// <param name="KernelForwardedPps">Packets per second the sink counted.</param>
/// <param name="ModelLoss">Share of the offered packets the simulation did not deliver.</param>
/// <param name="KernelLoss">Share of the offered packets the kernel did not forward (not sent in time or dropped); at top speed the dropped share of the sent.</param>
public sealed record TimingPoint(string Label, double? OfferedPps, double ModelNs, double KernelNs, double BaselineNs,
    double ModelDeliveredPps, double KernelForwardedPps, double ModelLoss, double KernelLoss)
{
    /// <summary>The kernel's own counters over the point's router windows (<see cref="KernelPoint"/>).</summary>
    public long BacklogDropped { get; init; }

    public long TimeSqueeze { get; init; }

    public long KsoftirqdTicks { get; init; }

    /// <summary>The injecting thread's CPU per packet sent, router minus baseline, whatever the accounting (NaN where it is not read).</summary>
    public double ThreadNs { get; init; } = double.NaN;

    /// <summary>The kernel's router-less-baseline value of each pass, in the order measured.</summary>
    public IReadOnlyList<double> KernelNsPerPass { get; init; } = [];

    /// <summary>Whether <see cref="KernelNs"/> is the mean over the passes (else their median).</summary>
    public bool KernelMean { get; init; }

    /// <summary>(model - kernel) / kernel in percent.</summary>
    public double ErrorPercent => TimingOutcome.Error(ModelNs, KernelNs);

    /// <param name="mean">The kernel's figure is the mean over the passes instead of their median (<see cref="TimingOptions.MeanOverPasses"/>).</param>
    public static TimingPoint From(string label, double? offered, KernelPoint k, TimingPrediction m, bool mean = false)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(m);
        double kernelLoss = offered is double o && o > 0 ? Math.Max(0, 1 - k.ForwardedPps / o) : k.DroppedShare;
        double modelLoss = offered is null ? 0 : m.Loss;
        return new TimingPoint(label, offered, m.NsPerPacket, mean ? k.RouterNsMean : k.RouterNs, k.BaselineNs, m.DeliveredPps, k.ForwardedPps, modelLoss, kernelLoss)
        {
            KernelNsPerPass = k.RouterNsPerPass,
            KernelMean = mean,
            BacklogDropped = k.BacklogDropped,
            TimeSqueeze = k.TimeSqueeze,
            KsoftirqdTicks = k.KsoftirqdTicks,
            ThreadNs = k.ThreadNs,
        };
    }
}

/// <summary>
/// The result of a timing validation: the points, the saturation rates (model: the simulation's delivered
/// rate when offered far more than it can do; kernel: forwarded at top speed), the drop onsets, and the
/// verdict against the tolerance. <see cref="Refused"/> says why the kernel could not be configured.
/// </summary>
public sealed record TimingOutcome(TimingWorkload Workload, string Kernel, bool Emulated, IReadOnlyList<TimingPoint> Points, string? Refused)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The harness cost the model's core paid: the median of the top-speed baseline windows measured before the passes.</summary>
    public double HarnessNs { get; init; } = double.NaN;

    /// <summary><see cref="Calibration.CacheReference"/> once per pass, on the injecting CPU (empty under emulation).</summary>
    public IReadOnlyList<double> CacheReferenceNs { get; init; } = [];

    /// <summary>"cache reference: ..." or null when it was not measured.</summary>
    public string? CacheReferenceLine()
    {
        if (CacheReferenceNs.Count == 0) return null;
        double lo = CacheReferenceNs.Min(), hi = CacheReferenceNs.Max();
        return string.Create(Inv,
            $"cache reference: {Calibration.CacheReference.Bytes >> 20} MB pointer chase {TimingValidator.Median(CacheReferenceNs):0.#} ns/load (median of {CacheReferenceNs.Count} passes, {lo:0.#} to {hi:0.#}){(hi > 1.5 * lo ? ": the machine's shared cache changed speed while it measured (a shared host); compare points of the same passes, and calibrations and validations made in one quiet period" : "")}");
    }

    /// <summary>
    /// "kernel counters: ..." for a point: whether the kernel dropped at a backlog, squeezed its softirq budget or deferred
    /// work to ksoftirqd, which would make busy CPU per forwarded packet include work on packets never forwarded.
    /// </summary>
    public static string CountersLine(TimingPoint p)
    {
        ArgumentNullException.ThrowIfNull(p);
        string thread = double.IsFinite(p.ThreadNs) ? string.Create(Inv, $"; injecting thread {p.ThreadNs:0.#} ns/packet") : "";
        return string.Create(Inv,
            $"kernel counters: backlog drops {p.BacklogDropped} (softnet_stat dropped), time_squeeze {p.TimeSqueeze}, ksoftirqd {p.KsoftirqdTicks * 1000 / Calibration.ProcStat.TicksPerSecond} ms{thread}");
    }

    public static double Error(double model, double kernel) => kernel != 0 && double.IsFinite(kernel) && double.IsFinite(model) ? (model - kernel) / Math.Abs(kernel) * 100 : double.NaN;

    TimingPoint? Top => Points.FirstOrDefault(p => p.OfferedPps is null);

    public double ModelSaturationPps => Top?.ModelDeliveredPps ?? double.NaN;
    public double KernelSaturationPps => Top?.KernelForwardedPps ?? double.NaN;
    public double SaturationErrorPercent => Error(ModelSaturationPps, KernelSaturationPps);

    /// <summary>The lowest offered point whose loss exceeds <see cref="TimingValidator.LossOnset"/>, or null (no loss up to the highest point).</summary>
    public TimingPoint? ModelDropOnset => Points.Where(p => p.OfferedPps is not null && p.ModelLoss > TimingValidator.LossOnset).MinBy(p => p.OfferedPps);

    public TimingPoint? KernelDropOnset => Points.Where(p => p.OfferedPps is not null && p.KernelLoss > TimingValidator.LossOnset).MinBy(p => p.OfferedPps);

    /// <summary>The errors that exceed the tolerance: each CPU-per-packet point and the saturation rate. NaN (no packet forwarded) exceeds it.</summary>
    public IReadOnlyList<string> Exceeding(double tolerancePercent)
    {
        var list = new List<string>();
        foreach (var p in Points)
            if (!(Math.Abs(p.ErrorPercent) <= tolerancePercent)) list.Add(string.Create(Inv, $"CPU per packet at {p.Label}: {Pct(p.ErrorPercent)}"));
        if (Points.Count > 0 && !(Math.Abs(SaturationErrorPercent) <= tolerancePercent))
            list.Add($"saturation: {Pct(SaturationErrorPercent)}");
        return list;
    }

    /// <summary>"timing: model X ns/packet, kernel Y ns/packet, error Z%".</summary>
    public static string Line(TimingPoint p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return string.Create(Inv, $"timing: model {p.ModelNs:0.#} ns/packet, kernel {p.KernelNs:0.#} ns/packet, error {Pct(p.ErrorPercent)}");
    }

    public string SaturationLine() => string.Create(Inv,
        $"saturation: model {Mpps(ModelSaturationPps)}, kernel {Mpps(KernelSaturationPps)} forwarded at top speed, error {Pct(SaturationErrorPercent)}");

    public string DropOnsetLine()
    {
        string highest = Points.Where(p => p.OfferedPps is not null).Select(p => p.Label).LastOrDefault() ?? "-";
        static string At(TimingPoint? p, string highest) => p is null ? $"none up to {highest}" : $"{p.Label} ({Mpps(p.OfferedPps!.Value)} offered)";
        return $"drop onset: model {At(ModelDropOnset, highest)}, kernel {At(KernelDropOnset, highest)} (loss above {TimingValidator.LossOnset * 100:0}% of the offered packets)";
    }

    public static string Pct(double v) => double.IsFinite(v) ? v.ToString("+0.0;-0.0;0.0", Inv) + "%" : "n/a";

    public static string Mpps(double pps) => double.IsFinite(pps) ? (pps / 1e6).ToString("0.000", Inv) + " Mpps" : "n/a";

    /// <summary>timing.csv: one row per point (format in captures/VALIDATION.md).</summary>
    public string Csv()
    {
        var sb = new StringBuilder("point,offered_pps,model_ns_per_packet,kernel_ns_per_packet,error_percent,baseline_ns_per_packet,model_delivered_pps,kernel_forwarded_pps,model_loss,kernel_loss,emulated\n");
        foreach (var p in Points)
        {
            sb.Append(p.Label).Append(',')
              .Append(p.OfferedPps is double o ? N(o) : "").Append(',')
              .Append(N(p.ModelNs)).Append(',').Append(N(p.KernelNs)).Append(',').Append(N(p.ErrorPercent)).Append(',')
              .Append(N(p.BaselineNs)).Append(',').Append(N(p.ModelDeliveredPps)).Append(',').Append(N(p.KernelForwardedPps)).Append(',')
              .Append(N(p.ModelLoss)).Append(',').Append(N(p.KernelLoss)).Append(',').Append(Emulated ? "true" : "false").Append('\n');
        }
        return sb.ToString();
    }

    static string N(double v) => double.IsFinite(v) ? v.ToString("R", Inv) : "";
}
