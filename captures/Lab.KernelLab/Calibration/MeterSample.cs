namespace Lab.KernelLab.Calibration;

/// <summary>
/// One measurement: what was offered, sent and delivered to the sink, and the busy CPU time of the
/// window (/proc/stat, per CPU), from which the per-packet figures are derived.
/// </summary>
/// <param name="Offered">Packets the load asked for in the window.</param>
/// <param name="Sent">Packets sendmmsg accepted.</param>
/// <param name="Forwarded">Packets counted at the sink's ingress (the nft counter before its drop).</param>
/// <param name="Failed">Packets the sender gave up on (the kernel refused them).</param>
/// <param name="Elapsed">Wall time of the window.</param>
/// <param name="PerCpu">Each CPU's /proc/stat times over the window, in USER_HZ ticks.</param>
/// <param name="InjectorCpu">The CPU the injector was pinned to, or null.</param>
public sealed record MeterSample(RouterConfig Config, MeterLoad Load, long Offered, long Sent, long Forwarded, long Failed,
    TimeSpan Elapsed, IReadOnlyList<CpuTimes> PerCpu, int? InjectorCpu)
{
    /// <summary>
    /// CPU time of the injecting thread over the window (CLOCK_THREAD_CPUTIME_ID), which includes the softirq forwarding
    /// that runs in its context; null where the injector is not on the measured kernel (the VM).
    /// </summary>
    public TimeSpan? InjectorThreadCpu { get; init; }

    /// <summary>Each CPU's /proc/net/softnet_stat counters over the window (backlog drops, squeezes); null where not read (the VM).</summary>
    public IReadOnlyList<SoftnetCpu>? Softnet { get; init; }

    /// <summary>Each CPU's ksoftirqd thread's CPU time over the window, USER_HZ ticks (inside <see cref="PerCpu"/>'s busy time); null where not read.</summary>
    public IReadOnlyDictionary<int, long>? KsoftirqdTicks { get; init; }

    /// <summary>sendmmsg calls the injector retried after back pressure (EAGAIN, ENOBUFS) over the window.</summary>
    public long SenderRetries { get; init; }

    /// <summary>Packets the CPUs' backlogs refused over the window (softnet_stat dropped, summed); 0 where not read.</summary>
    public long BacklogDropped => Softnet?.Sum(c => c.Dropped) ?? 0;

    /// <summary><see cref="InjectorThreadCpu"/> per delivered packet: unlike /proc/stat it leaves out what other processes ran meanwhile.</summary>
    public double InjectorThreadNsPerPacket => InjectorThreadCpu is TimeSpan t && Forwarded > 0 ? t.Ticks * 100.0 / Forwarded : double.NaN;

    /// <summary>
    /// Busy time per packet sent into the router, dropped ones included: the denominator of the model's
    /// NAME.cost_per_packet_ns (every packet the forward stage processed). Equals <see cref="BusyNsPerPacket"/> when
    /// nothing is dropped; differs where the router drops (NAT exhaustion: nf_nat_setup_info returns NF_DROP).
    /// </summary>
    public double BusyNsPerSentPacket => Sent > 0 ? ProcStat.TicksToNanoseconds(Total.Busy) / Sent : double.NaN;

    /// <summary>The softirq part of <see cref="BusyNsPerSentPacket"/>.</summary>
    public double SoftirqNsPerSentPacket => Sent > 0 ? ProcStat.TicksToNanoseconds(Total.SoftIrq) / Sent : double.NaN;

    /// <summary><see cref="InjectorThreadCpu"/> per packet sent, as <see cref="BusyNsPerSentPacket"/>.</summary>
    public double InjectorThreadNsPerSentPacket => InjectorThreadCpu is TimeSpan t && Sent > 0 ? t.Ticks * 100.0 / Sent : double.NaN;

    /// <summary>Sent but not delivered: dropped by the router (or its queues) on the way.</summary>
    public long Dropped => Math.Max(0, Sent - Forwarded);

    public CpuTimes Total
    {
        get
        {
            CpuTimes t = default;
            foreach (var c in PerCpu) t += c;
            return t;
        }
    }

    /// <summary>Busy time of all CPUs per delivered packet (user+nice+system+irq+softirq; steal excluded).</summary>
    public double BusyNsPerPacket => PerPacket(Total.Busy);

    /// <summary>The softirq part of <see cref="BusyNsPerPacket"/> (tick-sampled: a tick inside softirq counts there).</summary>
    public double SoftirqNsPerPacket => PerPacket(Total.SoftIrq);

    /// <summary>Busy time of the injector's CPU alone per delivered packet; NaN when it was not pinned.</summary>
    public double InjectorCpuBusyNsPerPacket => InjectorCpu is int c && c < PerCpu.Count ? PerPacket(PerCpu[c].Busy) : double.NaN;

    /// <summary>Steal over the window as a share of all accounted time: how much the hypervisor took away.</summary>
    public double StealShare
    {
        get
        {
            var t = Total;
            long all = t.Busy + t.Idle + t.IoWait + t.Steal;
            return all > 0 ? t.Steal / (double)all : 0;
        }
    }

    public double SentPps => Elapsed > TimeSpan.Zero ? Sent / Elapsed.TotalSeconds : 0;
    public double ForwardedPps => Elapsed > TimeSpan.Zero ? Forwarded / Elapsed.TotalSeconds : 0;

    double PerPacket(long ticks) => Forwarded > 0 ? ProcStat.TicksToNanoseconds(ticks) / Forwarded : double.NaN;
}
