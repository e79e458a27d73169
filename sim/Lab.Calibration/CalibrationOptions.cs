namespace Lab.Calibration;

/// <summary>What <c>lab calibrate</c> measures and how long.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Packets per window with established flows.</summary>
    public long Packets { get; init; } = 1_000_000;

    /// <summary>
    /// Passes; every window runs once per pass. 12: a quiet run of 20 passes took 19.5 s a pass with every interval within
    /// 15%; the nat_attempt windows add about 4 s a pass and the linear-rule window's quarter share saves about 3 s, so 12
    /// passes take about 4 min 10 s, and an interval over 12 passes is t(11)/sqrt(12) = 0.635 against t(19)/sqrt(20) = 0.467,
    /// 1.36 times as wide: 20% at most where 20 passes gave 14.9% (set_lookup).
    /// </summary>
    public int Repeat { get; init; } = 12;

    /// <summary>
    /// Blocks per pass: each window's packets are split into this many blocks and the windows alternate block by
    /// block, a stage's value per pass being the median of its paired block differences (<see cref="PairedDifferences"/>).
    /// </summary>
    public int Blocks { get; init; } = 4;

    /// <summary>Stage names to measure (null: all).</summary>
    public IReadOnlyList<string>? Only { get; init; }

    /// <summary>Frame size with FCS.</summary>
    public int FrameBytes { get; init; } = 64;

    public int Flows { get; init; } = 1000;

    /// <summary>
    /// Windows that open a new connection per packet stop at this many packets: the per-namespace conntrack table
    /// must not fill (nf_conntrack_max, 262144 here), or early drop would add its own cost. The table is flushed
    /// before every window.
    /// </summary>
    public long NewFlowPacketCap { get; init; } = 200_000;

    /// <summary>
    /// proc-stat (default): busy time of all CPUs from /proc/stat, the kernel's own accounting, as a kernel developer
    /// reads it; needs a quiet machine. thread: the injecting thread's exact CPU time (CLOCK_THREAD_CPUTIME_ID), which
    /// holds the forwarding softirqs run in its context and leaves out other processes: usable on a busy machine,
    /// blind to work deferred to other CPUs or kthreads. Host only.
    /// </summary>
    public string Accounting { get; init; } = "proc-stat";

    /// <summary>
    /// Every window gets the same packets (the windows' <see cref="CalibrationWindow.PacketShare"/> ignored): any fixed cost
    /// per window (starting the injection, reading the counters) then cancels exactly in a paired difference, which matters
    /// for the short windows of a side-by-side calibration.
    /// </summary>
    public bool EqualWindows { get; init; }

    /// <summary>Pin the injector (to the meter's suggested CPU) for stable numbers.</summary>
    public bool Pin { get; init; } = true;
}
