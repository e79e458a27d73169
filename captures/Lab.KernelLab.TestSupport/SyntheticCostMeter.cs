using Lab.KernelLab.Calibration;

namespace Lab.KernelLab.TestSupport;

/// <summary>
/// A kernel for the arithmetic of the calibration and the timing validation: each measurement costs
/// <c>nsPerPacket(config, load)</c> per packet sent, which the sample carries both as /proc/stat busy time (whole USER_HZ
/// ticks on one CPU) and as the injecting thread's CPU time. The window takes as long as its CPU (the forwarded rate is
/// 1 / cost). The function may keep state (a counter of windows or passes) to model a machine that changes speed.
/// </summary>
public sealed class SyntheticCostMeter(Func<RouterConfig, MeterLoad, double> nsPerPacket) : IKernelCostMeter
{
    /// <summary>Packets the sink counts in a window (default: every packet sent); a window the router drops gets 0.</summary>
    public Func<RouterConfig, MeterLoad, long>? Delivered { get; init; }

    /// <summary>
    /// The busy time must be a whole number of USER_HZ ticks, as a test's hand arithmetic assumes: a cost that is not
    /// throws instead of being rounded silently. Off for thread-accounting tests, whose costs need not be.
    /// </summary>
    public bool WholeTicks { get; init; } = true;

    /// <summary>The kernel's counters of a window (softnet_stat rows, ksoftirqd ticks), or none (not read).</summary>
    public Func<RouterConfig, (IReadOnlyList<SoftnetCpu>? Softnet, IReadOnlyDictionary<int, long>? Ksoftirqd)>? Counters { get; init; }

    /// <summary>Every measurement asked for, in order.</summary>
    public List<(RouterConfig Config, MeterLoad Load)> Measured { get; } = [];

    public int Calls => Measured.Count;

    public string KernelRelease => "synthetic";
    public string Where => "host";
    public bool Emulated => false;
    public (string Model, int Cpus) Cpu => ("synthetic", 1);
    public int? SuggestedInjectorCpu => null;
    public long MaxNewFlowsPerWindow => 10_000_000;
    public string? TryConfigure(RouterConfig config) => null;
    public string EspNotMeasuredReason() => "synthetic";

    public MeterSample Measure(RouterConfig config, MeterLoad load, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(load);
        double ns = nsPerPacket(config, load) * load.Packets;
        Measured.Add((config, load));
        long ticks = (long)Math.Round(ns * ProcStat.TicksPerSecond / 1e9);
        if (WholeTicks && Math.Abs(ProcStat.TicksToNanoseconds(ticks) - ns) > 1e-3)
            throw new InvalidOperationException($"the synthetic cost of {config} ({ns} ns over {load.Packets} packets) is not a whole number of {1e9 / ProcStat.TicksPerSecond} ns ticks");
        var window = TimeSpan.FromTicks(Math.Max(1, (long)Math.Round(ns / 100)));
        var (softnet, ksoftirqd) = Counters?.Invoke(config) ?? (null, null);
        return new MeterSample(config, load, load.Packets, load.Packets, Delivered?.Invoke(config, load) ?? load.Packets, 0, window,
            [new CpuTimes(0, 0, ticks, 0, 0, 0, 0, 0)], null)
        {
            InjectorThreadCpu = window,
            Softnet = softnet,
            KsoftirqdTicks = ksoftirqd,
        };
    }

    public void Dispose() { }
}
