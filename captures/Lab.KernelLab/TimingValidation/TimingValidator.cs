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
public sealed record TimingOptions(long Packets, int Repeat, IReadOnlyList<double> Factors, double TolerancePercent, int? InjectorCpu, bool ThreadAccounting = false)
{
    /// <summary>The busy CPU per forwarded packet of one measurement, as <see cref="ThreadAccounting"/> says.</summary>
    public double Cost(MeterSample s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return ThreadAccounting ? s.InjectorThreadNsPerPacket : s.BusyNsPerPacket;
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

    public static TimingOutcome Run(TimingWorkload workload, TimingOptions options, IKernelCostMeter kernel, ITimingModel model,
        TextWriter? progress, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(model);
        var router = workload.Router;
        if (kernel.TryConfigure(router) is { } refused)
            return new TimingOutcome(workload, Describe(kernel), kernel.Emulated, [], refused);

        var points = new List<TimingPoint>();
        int total = options.Factors.Count + 1;
        progress?.Write($"\r  timing point 1/{total}: top speed ...   ");
        var top = MeasurePoint(workload, options, kernel, router, null, ct);
        var modelTop = model.Predict(null, top.BaselineNs);
        points.Add(TimingPoint.From("top", null, top, modelTop));
        double saturation = modelTop.DeliveredPps;
        for (int i = 0; i < options.Factors.Count; i++)
        {
            double f = options.Factors[i];
            double offered = f * saturation;
            progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  timing point {i + 2}/{total}: {f:0.##}x predicted saturation ...   "));
            var k = MeasurePoint(workload, options, kernel, router, offered, ct);
            // The model's core pays the harness cost measured at top speed: below saturation the kernel's
            // per-packet baseline grows with idle wake-ups that load no queue, and it would move the model's saturation.
            var m = model.Predict(offered, top.BaselineNs);
            points.Add(TimingPoint.From(string.Create(CultureInfo.InvariantCulture, $"{f:0.###}x"), offered, k, m));
        }
        progress?.Write("\r" + new string(' ', 60) + "\r");
        return new TimingOutcome(workload, Describe(kernel), kernel.Emulated, points, null);
    }

    /// <summary>"host kernel 6.18.0-..." ("vm kernel ... (emulated)").</summary>
    public static string Describe(IKernelCostMeter kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return $"{kernel.Where} kernel {kernel.KernelRelease}{(kernel.Emulated ? " (emulated)" : "")}";
    }

    /// <summary>Interleaved passes of baseline and router at one rate; medians of the passes.</summary>
    static KernelPoint MeasurePoint(TimingWorkload workload, TimingOptions options, IKernelCostMeter kernel, RouterConfig router, double? offered, CancellationToken ct)
    {
        // A new flow per packet fills the conntrack table past a point: windows stay below it.
        long packets = workload.NewFlowPerPacket ? Math.Min(options.Packets, kernel.MaxNewFlowsPerWindow) : options.Packets;
        var load = workload.Load(packets, offered, options.InjectorCpu);
        var baseline = new List<double>();
        var routerNs = new List<double>();
        var fwdPps = new List<double>();
        var sentPps = new List<double>();
        var dropped = new List<double>();
        for (int pass = 0; pass < options.Repeat; pass++)
        {
            var b = kernel.Measure(RouterConfig.Baseline, load, ct);
            var r = kernel.Measure(router, load, ct);
            baseline.Add(options.Cost(b));
            routerNs.Add(options.Cost(r) - options.Cost(b));
            fwdPps.Add(r.ForwardedPps);
            sentPps.Add(r.SentPps);
            dropped.Add(r.Sent > 0 ? r.Dropped / (double)r.Sent : 0);
        }
        return new KernelPoint(Median(routerNs), Median(baseline), Median(fwdPps), Median(sentPps), Median(dropped));
    }

    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>The kernel's side of one point (medians over the passes).</summary>
public sealed record KernelPoint(double RouterNs, double BaselineNs, double ForwardedPps, double SentPps, double DroppedShare);
