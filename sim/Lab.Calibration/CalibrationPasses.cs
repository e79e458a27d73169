using System.Diagnostics;
using System.Globalization;
using Lab.KernelLab.Calibration;
using Lab.Results;
using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>
/// The measuring half of a calibration, one pass at a time, so that other measurements (a timing validation's points)
/// can run in the same passes: the windows of the given stages, each split into <see cref="CalibrationOptions.Blocks"/>
/// blocks that alternate ABBA (<see cref="PairedDifferences"/>). A stage whose configuration the kernel refuses is not
/// measured, with the kernel's words. <see cref="Calibrator"/> runs all passes back to back; <c>lab validate --timing</c>
/// with side-by-side calibration runs one pass of these among each pass of its points.
/// </summary>
public sealed class CalibrationPasses
{
    readonly IKernelCostMeter _meter;
    readonly CalibrationOptions _options;
    readonly Action<string>? _progress;
    readonly List<CalibrationStage> _runnable = [];
    readonly List<CalibrationWindow> _windows;
    readonly List<Dictionary<CalibrationWindow, List<MeterSample>>> _perPass = [];
    readonly Stopwatch _clock = Stopwatch.StartNew();

    public CalibrationPasses(IKernelCostMeter meter, CalibrationOptions options, IReadOnlyList<CalibrationStage> stages, Action<string>? progress)
    {
        _meter = meter ?? throw new ArgumentNullException(nameof(meter));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(stages);
        _progress = progress;
        // Try every configuration first: what the kernel refuses decides which stages are measured.
        var refused = new Dictionary<CalibrationWindow, string>();
        foreach (var w in stages.SelectMany(Windows).Distinct())
            if (meter.TryConfigure(w.Config) is string why) refused[w] = why;
        foreach (var s in stages)
        {
            var why = Windows(s).Select(w => refused.GetValueOrDefault(w)).FirstOrDefault(r => r is not null);
            if (s.PerFrameByte && options.FrameBytes >= CalibrationStages.LargeFrame)
                why ??= $"the calibration's frame ({options.FrameBytes}B) is not below the per-byte stage's large frame ({CalibrationStages.LargeFrame}B)";
            if (why is null) _runnable.Add(s);
            else NotMeasured[s.Name] = why;
        }
        _windows = [.. _runnable.SelectMany(Windows).Distinct()];
        InjectorCpu = options.Pin ? meter.SuggestedInjectorCpu : null;
    }

    bool ByThread => _options.Accounting == "thread";

    /// <summary>Stages the kernel refused, with its words.</summary>
    public Dictionary<string, string> NotMeasured { get; } = new(StringComparer.Ordinal);

    public int? InjectorCpu { get; }

    public IReadOnlyList<MeterSample> Samples => _samples;

    readonly List<MeterSample> _samples = [];

    public int Passes => _perPass.Count;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Every window of the measurable stages once per block, in ABBA order.</summary>
    public void MeasurePass(CancellationToken ct = default) => MeasurePass(null, ct);

    /// <summary>
    /// One pass over the windows of <paramref name="stages"/> (null: every measurable stage), once per block in ABBA order.
    /// A stage gets a value from every pass that measured all its windows, so a pass of a few stages adds to those alone.
    /// </summary>
    public void MeasurePass(IReadOnlyCollection<string>? stages, CancellationToken ct = default)
    {
        int pass = _perPass.Count;
        int blocks = Math.Max(1, _options.Blocks);
        List<CalibrationWindow> windows = stages is null ? _windows : [.. _runnable.Where(s => stages.Contains(s.Name)).SelectMany(Windows).Distinct()];
        if (windows.Count == 0) throw new ArgumentException("a pass needs at least one measurable stage", nameof(stages));
        string of = stages is null ? $"{pass + 1}/{_options.Repeat}" : $"{pass + 1} (extra: {string.Join(", ", _runnable.Where(s => stages.Contains(s.Name)).Select(s => s.Name))})";
        var got = windows.ToDictionary(w => w, _ => new List<MeterSample>());
        for (int block = 0; block < blocks; block++)
        {
            foreach (var w in PairedDifferences.Order(windows, pass, blocks, block))
            {
                ct.ThrowIfCancellationRequested();
                var started = _clock.Elapsed;
                var s = _meter.Measure(w.Config, LoadFor(w, blocks), ct);
                _windowTime[w] = _windowTime.GetValueOrDefault(w) + (_clock.Elapsed - started);
                _windowBlocks[w] = _windowBlocks.GetValueOrDefault(w) + 1;
                if (s.Forwarded == 0 && !w.RouterDrops)
                    throw new InvalidOperationException($"window '{w}': none of {s.Sent} packets reached the sink; the topology is broken");
                // A window built so that the router drops every packet (each connection finding all its ports taken)
                // must deliver none, or its packets did not do the work the stage divides by.
                if (w.RouterDrops && s.Forwarded > 0)
                    throw new InvalidOperationException($"window '{w}': {s.Forwarded} of {s.Sent} packets reached the sink, which the router should have dropped; the stage's work per packet is not what it divides by");
                got[w].Add(s);
                _samples.Add(s);
                _progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"pass {of} block {block + 1}/{blocks}  {w.Name,-36} {(w.RouterDrops ? s.Sent : s.Forwarded),9:N0} packets  {Cost(w, s),8:F1} ns/packet  {(w.RouterDrops ? s.SentPps : s.ForwardedPps) / 1e6,6:F3} Mpps{(w.RouterDrops ? " (sent; the router drops them)" : "")}  ({_clock.Elapsed:mm\\:ss})"));
            }
        }
        _perPass.Add(got);
    }

    readonly Dictionary<CalibrationWindow, TimeSpan> _windowTime = [];
    readonly Dictionary<CalibrationWindow, int> _windowBlocks = [];

    /// <summary>
    /// How long one pass over the windows of <paramref name="stages"/> should take: each window's blocks at the mean time
    /// its blocks took so far (measuring, configuring, the warm-up and the counters included).
    /// </summary>
    public TimeSpan EstimatePass(IReadOnlyCollection<string> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        int blocks = Math.Max(1, _options.Blocks);
        var windows = _runnable.Where(s => stages.Contains(s.Name)).SelectMany(Windows).Distinct();
        return TimeSpan.FromTicks(windows.Sum(w => _windowBlocks.GetValueOrDefault(w) is int n and > 0 ? _windowTime[w].Ticks / n * blocks : 0));
    }

    /// <summary>
    /// The measurable stages whose 95% interval is still wider than <paramref name="targetPercent"/> of their value (half-width
    /// against |mean|), those nearest the bar first. A stage whose interval holds 0 cannot meet a relative bar however long it is measured
    /// (forward_per_byte on a kernel that charges nothing per byte) and is not among them: <see cref="Bar"/> says so.
    /// </summary>
    public IReadOnlyList<string> WiderThan(double targetPercent) =>
        [.. _runnable.Select(s => (s.Name, Bar: Bar(s.Name, targetPercent))).Where(x => x.Bar.Verdict == BarVerdict.Wider)
            .OrderBy(x => PassesToGo(x.Bar, targetPercent)).ThenBy(x => x.Name, StringComparer.Ordinal).Select(x => x.Name)];

    /// <summary>
    /// Roughly how many more passes a stage needs: a half-width shrinks as 1 / sqrt(n), so n (w / target)^2 in all. The
    /// nearest first, so that a budget too short for every stage brings as many as it can within the bar rather than
    /// spending itself on one that is far off (a per-byte cost of a few hundredths of a nanosecond).
    /// </summary>
    static double PassesToGo(StageBar bar, double targetPercent) =>
        double.IsFinite(bar.HalfWidthPercent) ? bar.Passes * (Math.Pow(bar.HalfWidthPercent / targetPercent, 2) - 1) : double.PositiveInfinity;

    /// <summary>A measurable stage against the relative bar: its half-width as a percentage of its value, and the verdict.</summary>
    public StageBar Bar(string stage, double targetPercent)
    {
        var def = _runnable.First(s => s.Name == stage);
        var sum = Summary.Of(ValuesOf(def, Cost));
        if (sum.N < 2) return new StageBar(double.NaN, sum.N, BarVerdict.Wider);
        double pct = sum.Mean != 0 ? 100 * sum.HalfWidth / Math.Abs(sum.Mean) : double.PositiveInfinity;
        var verdict = pct <= targetPercent ? BarVerdict.Met : sum.Ci95Low <= 0 && sum.Ci95High >= 0 ? BarVerdict.ConsistentWithZero : BarVerdict.Wider;
        return new StageBar(pct, sum.N, verdict);
    }

    /// <summary>The stage's values of the passes that measured all its windows.</summary>
    List<double> ValuesOf(CalibrationStage def, Func<CalibrationWindow, MeterSample, double> f) =>
        [.. _perPass.Where(p => Windows(def).All(p.ContainsKey)).Select(p => Value(def, p, f))];

    /// <summary>A measurable stage's value in pass <paramref name="pass"/> (0-based), per divisor unit.</summary>
    public double ValueOfPass(string stage, int pass)
    {
        var def = _runnable.First(s => s.Name == stage);
        return Windows(def).All(_perPass[pass].ContainsKey) ? Value(def, _perPass[pass], Cost) : double.NaN;
    }

    public bool IsMeasurable(string stage) => _runnable.Any(s => s.Name == stage);

    /// <summary>
    /// The profile's stages over the passes so far, in <see cref="CostProfileSchema.StageNames"/> order: those of
    /// <paramref name="wanted"/> (all when null) that are measurable get a mean and a 95% interval, the refused ones
    /// their reason; <paramref name="espReason"/> is asked for stages that have no calibration window (ESP).
    /// </summary>
    public IReadOnlyList<ProfileStage> Stages(IReadOnlyCollection<string>? wanted, Func<string>? espReason = null)
    {
        var stages = new List<ProfileStage>();
        foreach (string name in CostProfileSchema.StageNames)
        {
            if (wanted is not null && !wanted.Contains(name)) continue;
            var def = CalibrationStages.Find(name);
            if (def is null)
            {
                if (espReason is not null) stages.Add(ProfileStage.Unmeasured(name, espReason()));
                continue;
            }
            if (NotMeasured.TryGetValue(name, out string? reason))
            {
                stages.Add(ProfileStage.Unmeasured(name, reason));
                continue;
            }
            if (!_runnable.Contains(def)) continue;
            var values = ValuesOf(def, Cost);
            double? soft = ByThread ? null : Summary.Of(ValuesOf(def, Softirq)).Mean;
            var sum = Summary.Of(values);
            stages.Add(new ProfileStage(name, sum.Mean, sum.N > 1 ? sum.Ci95Low : sum.Mean, sum.N > 1 ? sum.Ci95High : sum.Mean,
                soft, sum.N, null, _meter.Emulated ? CostProfile.EmulatedLabel : null));
        }
        return stages;
    }

    /// <summary>A window's busy ns per packet: per packet delivered, or per packet sent where the router drops them all by design.</summary>
    double Cost(CalibrationWindow w, MeterSample s) => w.RouterDrops
        ? (ByThread ? s.InjectorThreadNsPerSentPacket : s.BusyNsPerSentPacket)
        : (ByThread ? s.InjectorThreadNsPerPacket : s.BusyNsPerPacket);

    static double Softirq(CalibrationWindow w, MeterSample s) => w.RouterDrops ? s.SoftirqNsPerSentPacket : s.SoftirqNsPerPacket;

    /// <summary>A stage's value in one pass: the median over the blocks of its paired (double) differences, per divisor unit.</summary>
    double Value(CalibrationStage s, Dictionary<CalibrationWindow, List<MeterSample>> pass, Func<CalibrationWindow, MeterSample, double> f)
    {
        double[] Of(CalibrationWindow w) => [.. pass[w].Select(x => f(w, x))];
        double[] perBlock = s.Reference is null ? Of(s.Test) : PairedDifferences.Of(Of(s.Test), Of(s.Reference));
        if (s.LessTest is not null && s.LessReference is not null)
            perBlock = PairedDifferences.Of(perBlock, PairedDifferences.Of(Of(s.LessTest), Of(s.LessReference)));
        return PairedDifferences.Median(perBlock) / Divisor(s);
    }

    double Divisor(CalibrationStage s) => s.PerFrameByte ? CalibrationStages.LargeFrame - _options.FrameBytes : s.Divisor;

    MeterLoad LoadFor(CalibrationWindow w, int blocks) => new()
    {
        Packets = Math.Max(1, Math.Min(w.PacketCap ?? long.MaxValue,
            w.NewFlows ? Math.Min(_options.Packets, Math.Min(_options.NewFlowPacketCap, _meter.MaxNewFlowsPerWindow)) : (long)(_options.Packets * (_options.EqualWindows ? 1 : w.PacketShare))) / blocks),
        FrameBytes = w.FrameBytes ?? _options.FrameBytes,
        Flows = _options.Flows,
        NewFlows = w.NewFlows,
        PacketsPerNewFlow = w.PacketsPerNewFlow,
        Addresses = w.Addresses,
        InjectorCpu = InjectorCpu,
    };

    static IEnumerable<CalibrationWindow> Windows(CalibrationStage s) =>
        new[] { s.Test, s.Reference, s.LessTest, s.LessReference }.OfType<CalibrationWindow>();
}

/// <summary>Where a stage stands against the relative bar of an adaptive calibration.</summary>
public enum BarVerdict
{
    /// <summary>Its 95% half-width is within the bar.</summary>
    Met,

    /// <summary>Wider than the bar, and its interval excludes 0: more passes narrow it.</summary>
    Wider,

    /// <summary>Wider than the bar, but its interval holds 0: no relative bar can be met by a value indistinguishable from 0.</summary>
    ConsistentWithZero,
}

/// <summary>A stage's half-width as a percentage of its value, its passes, and the verdict.</summary>
public sealed record StageBar(double HalfWidthPercent, int Passes, BarVerdict Verdict);

