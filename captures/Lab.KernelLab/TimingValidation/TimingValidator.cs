using System.Globalization;
using Lab.KernelLab.Calibration;

namespace Lab.KernelLab.TimingValidation;

/// <summary>How a timing validation runs.</summary>
/// <param name="Packets">Packets per measurement (each point measures the baseline and the router this many times <paramref name="Repeat"/> times).</param>
/// <param name="Repeat">Interleaved passes per point (baseline, router, baseline, router...); the median difference counts.</param>
/// <param name="Factors">Offered rates as multiples of the model's predicted saturation (after the top-speed point).</param>
/// <param name="TolerancePercent">Largest |error| of CPU per packet and of the saturation rate that passes.</param>
/// <param name="InjectorCpu">The CPU the injector is pinned to (null: not pinned).</param>
/// <param name="ThreadAccounting">Count the injecting thread's CPU time (which holds the forwarding softirqs) instead of every CPU's busy time from /proc/stat, as lab calibrate --accounting thread does.</param>
/// <param name="Blocks">
/// Blocks per point and pass: the point's <paramref name="Packets"/> are split into this many baseline/router pairs that
/// alternate ABBA, and the pass's value is the median of the paired block differences, as a calibration stage's is.
/// </param>
/// <param name="MeanOverPasses">
/// A point's kernel figure is the mean over the passes (with a 95% interval) instead of their median: the statistic of
/// the costs measured alongside, which are means over the same passes. This machine switches between speeds within
/// seconds, so the passes' values are bimodal; a median of five picks one mode while a mean of the stages averages both.
/// </param>
public sealed record TimingOptions(long Packets, int Repeat, IReadOnlyList<double> Factors, double TolerancePercent, int? InjectorCpu, bool ThreadAccounting = false,
    int Blocks = 1, bool MeanOverPasses = false)
{
    /// <summary>
    /// The busy CPU per packet sent into the router (dropped ones included, as the model's cost_per_packet_ns counts
    /// them) of one measurement, as <see cref="ThreadAccounting"/> says.
    /// </summary>
    public double Cost(MeterSample s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return ThreadAccounting ? s.InjectorThreadNsPerSentPacket : s.BusyNsPerSentPacket;
    }

    public static IReadOnlyList<double> DefaultFactors { get; } = [0.5, 0.8, 1.0, 1.2];

    /// <summary><paramref name="points"/> factors spread evenly from 0.5 to 1.2 (the default four are 0.5, 0.8, 1.0, 1.2).</summary>
    public static IReadOnlyList<double> FactorsFor(int points)
    {
        if (points < 1) throw new ArgumentOutOfRangeException(nameof(points), points, "at least one point");
        if (points == 4) return DefaultFactors;
        if (points == 1) return [1.0];
        return [.. Enumerable.Range(0, points).Select(i => Math.Round(0.5 + 0.7 * i / (points - 1), 3))];
    }
}

/// <summary>
/// Model against kernel for a scenario's forward traffic: CPU per packet at top speed and at offered rates
/// around the model's predicted saturation, the saturation rate, and the offered rate where loss starts.
/// The kernel's CPU per packet is its busy time per forwarded packet (/proc/stat, all CPUs, steal excluded)
/// minus that of the injection/veth/sink baseline measured at the same frame size and rate in the same pass;
/// the model's is the forward element's charged cost per packet from the simulation of the same scenario.
/// </summary>
public static class TimingValidator
{
    /// <summary>Loss above this share of the offered packets marks the drop onset.</summary>
    public const double LossOnset = 0.02;

    /// <param name="alongside">
    /// Other measurements made once in every pass, in the rotation with the points (side-by-side calibration windows), or null.
    /// </param>
    public static TimingOutcome Run(TimingWorkload workload, TimingOptions options, IKernelCostMeter kernel, ITimingModel model,
        TextWriter? progress, CancellationToken ct = default, Action<CancellationToken>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(model);
        var router = workload.Router;
        if (kernel.TryConfigure(router) is { } refused)
            return new TimingOutcome(workload, Describe(kernel), kernel.Emulated, [], refused);

        // The offered rates are multiples of the model's saturation, which needs the harness cost: three top-speed baseline
        // windows before the passes give it (their median), so that every point can then be measured in every pass.
        var packets = Packets(workload, options, kernel);
        var harnessSamples = new List<double>();
        for (int i = 0; i < HarnessWindows; i++)
        {
            progress?.Write($"\r  harness: top-speed baseline {i + 1}/{HarnessWindows} ...   ");
            harnessSamples.Add(options.Cost(kernel.Measure(RouterConfig.Baseline, workload.Load(packets, null, options.InjectorCpu), ct)));
        }
        double harness = Median(harnessSamples);
        var modelTop = model.Predict(null, harness);
        double saturation = modelTop.DeliveredPps;

        var offered = new List<double?> { null };
        offered.AddRange(options.Factors.Select(f => (double?)(f * saturation)));
        var samples = offered.Select(_ => new PointSamples()).ToList();
        // Every pass measures every point, in an order that rotates from pass to pass: a machine whose speed drifts
        // over minutes (a shared host) moves all points alike instead of the ones measured while it was fast.
        var reference = kernel.Emulated ? null : new CacheReference();
        var referenceNs = new List<double>();
        for (int pass = 0; pass < options.Repeat; pass++)
        {
            if (reference is not null) UdpInjector.OnThread(options.InjectorCpu, () => referenceNs.Add(reference.NsPerLoad()));
            int items = offered.Count + (alongside is null ? 0 : 1);
            for (int k = 0; k < items; k++)
            {
                int i = PointOrder(items, pass, k);
                if (i == offered.Count)
                {
                    progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  pass {pass + 1}/{options.Repeat}: calibration windows alongside ...   "));
                    alongside!(ct);
                    continue;
                }
                progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  pass {pass + 1}/{options.Repeat}: {Label(options, i)} ...   "));
                int blocks = Math.Max(1, options.Blocks);
                var load = workload.Load(Math.Max(1, packets / blocks), offered[i], options.InjectorCpu);
                var baselines = new List<MeterSample>();
                var routers = new List<MeterSample>();
                for (int b = 0; b < blocks; b++)
                {
                    // ABBA: baseline first in even blocks, router first in odd ones, so a drift within the pass cancels.
                    if (b % 2 == 0) baselines.Add(kernel.Measure(RouterConfig.Baseline, load, ct));
                    routers.Add(kernel.Measure(router, load, ct));
                    if (b % 2 == 1) baselines.Add(kernel.Measure(RouterConfig.Baseline, load, ct));
                }
                samples[i].Add(baselines, routers, options);
            }
        }

        var points = new List<TimingPoint>();
        for (int i = 0; i < offered.Count; i++)
        {
            var k = samples[i].Point();
            // The model's core pays the harness cost measured at top speed: below saturation the kernel's
            // per-packet baseline grows with idle wake-ups that load no queue, and it would move the model's saturation.
            var m = offered[i] is double o ? model.Predict(o, harness) : modelTop;
            points.Add(TimingPoint.From(Label(options, i), offered[i], k, m, options.MeanOverPasses));
        }
        progress?.Write("\r" + new string(' ', 60) + "\r");
        return new TimingOutcome(workload, Describe(kernel), kernel.Emulated, points, null) { HarnessNs = harness, CacheReferenceNs = referenceNs };
    }

    /// <summary>Top-speed baseline windows measured before the passes for the model's harness cost.</summary>
    public const int HarnessWindows = 3;

    /// <summary>
    /// The point measured <paramref name="k"/>-th in pass <paramref name="pass"/>: the order 0, 1, ..., n-1 rotated by the
    /// pass, so over n passes every point is measured once in every position.
    /// </summary>
    public static int PointOrder(int points, int pass, int k) => (k + pass) % points;

    static string Label(TimingOptions options, int i) => i == 0 ? "top" : string.Create(CultureInfo.InvariantCulture, $"{options.Factors[i - 1]:0.###}x");

    /// <summary>A new flow per packet fills the conntrack table past a point: windows stay below it.</summary>
    static long Packets(TimingWorkload workload, TimingOptions options, IKernelCostMeter kernel) =>
        workload.NewFlowPerPacket ? Math.Min(options.Packets, kernel.MaxNewFlowsPerWindow) : options.Packets;

    /// <summary>"host kernel 6.18.0-..." ("vm kernel ... (emulated)").</summary>
    public static string Describe(IKernelCostMeter kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return $"{kernel.Where} kernel {kernel.KernelRelease}{(kernel.Emulated ? " (emulated)" : "")}";
    }

    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>The kernel's side of one point: medians over the passes, and the kernel's counters summed over its router windows.</summary>
/// <param name="BacklogDropped">Packets the CPUs' backlogs refused (/proc/net/softnet_stat "dropped", enqueue_to_backlog): CPU spent on packets that were never forwarded.</param>
/// <param name="TimeSqueeze">net_rx_action rounds that ended with work left (softnet_stat "time_squeeze").</param>
/// <param name="KsoftirqdTicks">CPU time of the ksoftirqd threads (USER_HZ ticks): softirq work deferred out of the injecting thread's context.</param>
/// <param name="ThreadNs">The injecting thread's CPU time per packet sent, router minus baseline (median), whatever the accounting.</param>
public sealed record KernelPoint(double RouterNs, double BaselineNs, double ForwardedPps, double SentPps, double DroppedShare,
    long BacklogDropped = 0, long TimeSqueeze = 0, long KsoftirqdTicks = 0, double ThreadNs = double.NaN)
{
    /// <summary>Router less baseline, each pass's value (the median of its paired blocks), in the order measured.</summary>
    public IReadOnlyList<double> RouterNsPerPass { get; init; } = [];

    /// <summary>The mean of the finite <see cref="RouterNsPerPass"/> (NaN if none).</summary>
    public double RouterNsMean => RouterNsPerPass.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
}

/// <summary>The passes of one point as they are measured.</summary>
sealed class PointSamples
{
    readonly List<double> _baseline = [], _router = [], _fwdPps = [], _sentPps = [], _dropped = [], _thread = [];
    long _backlog, _squeeze, _ksoftirqd;

    /// <summary>One pass: its blocks' baseline and router windows, paired in order.</summary>
    public void Add(IReadOnlyList<MeterSample> baselines, IReadOnlyList<MeterSample> routers, TimingOptions options)
    {
        double Median(Func<int, double> f) => TimingValidator.Median([.. Enumerable.Range(0, routers.Count).Select(f)]);
        _baseline.Add(Median(b => options.Cost(baselines[b])));
        _router.Add(Median(b => options.Cost(routers[b]) - options.Cost(baselines[b])));
        _thread.Add(Median(b => routers[b].InjectorThreadNsPerSentPacket - baselines[b].InjectorThreadNsPerSentPacket));
        _fwdPps.Add(Median(b => routers[b].ForwardedPps));
        _sentPps.Add(Median(b => routers[b].SentPps));
        long sent = routers.Sum(r => r.Sent);
        _dropped.Add(sent > 0 ? routers.Sum(r => r.Dropped) / (double)sent : 0);
        foreach (var router in routers)
        {
            _backlog += router.BacklogDropped;
            _squeeze += router.Softnet?.Sum(c => c.TimeSqueeze) ?? 0;
            _ksoftirqd += router.KsoftirqdTicks?.Values.Sum() ?? 0;
        }
    }

    public KernelPoint Point() =>
        new(TimingValidator.Median(_router), TimingValidator.Median(_baseline), TimingValidator.Median(_fwdPps),
            TimingValidator.Median(_sentPps), TimingValidator.Median(_dropped), _backlog, _squeeze, _ksoftirqd, TimingValidator.Median(_thread))
        {
            RouterNsPerPass = [.. _router],
        };
}
