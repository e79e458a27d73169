namespace Lab.Calibration;

/// <summary>What <c>lab calibrate</c> measures and how long.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Packets per window with established flows.</summary>
    public long Packets { get; init; } = 1_000_000;

    /// <summary>
    /// Passes of every window. 8: a pass of every window took about 22 s on the quiet 2-vCPU machine (12 passes, 4 min 24 s),
    /// so 8 take about 3 min and leave <see cref="Budget"/>'s remainder to the extra passes of the stages still wider than
    /// <see cref="TargetPercent"/>; 8 is also the fewest from which an interval says much (t(7) = 2.36 against t(11) = 2.20).
    /// </summary>
    public int Repeat { get; init; } = 8;

    /// <summary>
    /// After the <see cref="Repeat"/> passes: while a stage's 95% interval is wider than <see cref="TargetPercent"/> of its
    /// value, further passes measure only the windows of such stages, as long as the next one (estimated from the windows'
    /// times so far) ends within this time since the measuring began. The passes of every window stop early too (after
    /// two) where the next would not end within it: a busy machine then gets fewer passes, not a longer run. Null: no
    /// extra passes and no limit. Stopping once the interval
    /// is narrow enough makes the 95% a little optimistic (a sequential rule); the <see cref="Repeat"/> passes before the
    /// first look keep that small.
    /// </summary>
    public TimeSpan? Budget { get; init; }

    /// <summary>
    /// The default measuring time: 270 s leaves half a minute of the 5-minute must-show for building and removing the
    /// namespaces and for a last pass that takes longer than its estimate.
    /// </summary>
    public const int DefaultBudgetSeconds = 270;

    /// <summary>The <see cref="Budget"/> when none is given: the default on the host; none in the emulated VM, whose timings are not speeds.</summary>
    public static TimeSpan? DefaultBudget(string kernel) => kernel == "host" ? TimeSpan.FromSeconds(DefaultBudgetSeconds) : null;

    /// <summary>The relative half-width (percent of the value) the extra passes aim for: the 20% of issue #15's must-show.</summary>
    public double TargetPercent { get; init; } = 20;

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
