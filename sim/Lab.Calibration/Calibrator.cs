using System.Diagnostics;
using System.Globalization;
using Lab.KernelLab.Calibration;
using Lab.Results;
using Lab.Scenarios.Profiles;
using Lab.Core;

namespace Lab.Calibration;

/// <summary>All windows and stage values of one calibration.</summary>
public sealed record CalibrationResult(IReadOnlyList<ProfileStage> Stages, IReadOnlyList<MeterSample> Samples, TimeSpan Elapsed, int? InjectorCpu);

/// <summary>
/// Runs the calibration: every window a selected stage needs runs in every pass, split into
/// <see cref="CalibrationOptions.Blocks"/> short blocks, the windows alternating block by block in one order and
/// then the reverse (ABBA); each stage's value per pass is the median over the blocks of the paired differences of
/// its windows (<see cref="PairedDifferences"/>), so drift within a pass cancels; over the passes it gets a mean and a 95% Student-t interval
/// (<see cref="Summary.Of"/>). A stage whose configuration the kernel refuses is not measured, with the kernel's words.
/// </summary>
public sealed class Calibrator(IKernelCostMeter meter, CalibrationOptions options, Action<string>? progress = null)
{
    bool byThread => options.Accounting == "thread";

    /// <summary>A window's busy ns per packet: per packet delivered, or per packet sent where the router drops them all by design.</summary>
    double Cost(CalibrationWindow w, MeterSample s) => w.RouterDrops
        ? (byThread ? s.InjectorThreadNsPerSentPacket : s.BusyNsPerSentPacket)
        : (byThread ? s.InjectorThreadNsPerPacket : s.BusyNsPerPacket);

    static double Softirq(CalibrationWindow w, MeterSample s) => w.RouterDrops ? s.SoftirqNsPerSentPacket : s.SoftirqNsPerPacket;

    public CalibrationResult Run(CancellationToken ct = default)
    {
        if (options.Accounting is not ("proc-stat" or "thread"))
            throw new Lab.Core.ParameterException("accounting", $"expected proc-stat or thread, found '{options.Accounting}'");
        if (byThread && meter.Emulated)
            throw Lab.Core.ParameterException.ForValue("accounting", "thread", "the injector does not run on the guest's kernel; use proc-stat under ", new Lab.Core.ParameterName("kernel"), " vm");
        var clock = Stopwatch.StartNew();
        var selected = Select(options.Only);
        var notMeasured = new Dictionary<string, string>(StringComparer.Ordinal);

        // Try every configuration first: what the kernel refuses decides which stages are measured.
        var refused = new Dictionary<CalibrationWindow, string>();
        foreach (var w in selected.SelectMany(Windows).Distinct())
            if (meter.TryConfigure(w.Config) is string why) refused[w] = why;
        var runnable = new List<CalibrationStage>();
        foreach (var s in selected)
        {
            var why = Windows(s).Select(w => refused.GetValueOrDefault(w)).FirstOrDefault(r => r is not null);
            if (s.PerFrameByte && options.FrameBytes >= CalibrationStages.LargeFrame)
                why ??= $"the calibration's frame ({options.FrameBytes}B) is not below the per-byte stage's large frame ({CalibrationStages.LargeFrame}B)";
            if (why is null) runnable.Add(s);
            else notMeasured[s.Name] = why;
        }

        var windows = runnable.SelectMany(Windows).Distinct().ToList();
        int? cpu = options.Pin ? meter.SuggestedInjectorCpu : null;
        int blocks = Math.Max(1, options.Blocks);
        var perPass = new List<Dictionary<CalibrationWindow, List<MeterSample>>>();
        var samples = new List<MeterSample>();
        for (int pass = 0; pass < options.Repeat; pass++)
        {
            var got = windows.ToDictionary(w => w, _ => new List<MeterSample>());
            for (int block = 0; block < blocks; block++)
            {
                foreach (var w in PairedDifferences.Order(windows, pass, blocks, block))
                {
                    ct.ThrowIfCancellationRequested();
                    var load = LoadFor(w, cpu, blocks);
                    var s = meter.Measure(w.Config, load, ct);
                    if (s.Forwarded == 0 && !w.RouterDrops)
                        throw new InvalidOperationException($"window '{w}': none of {s.Sent} packets reached the sink; the topology is broken");
                    // A window built so that the router drops every packet (each connection finding all its ports taken)
                    // must deliver none, or its packets did not do the work the stage divides by.
                    if (w.RouterDrops && s.Forwarded > 0)
                        throw new InvalidOperationException($"window '{w}': {s.Forwarded} of {s.Sent} packets reached the sink, which the router should have dropped; the stage's work per packet is not what it divides by");
                    got[w].Add(s);
                    samples.Add(s);
                    progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                        $"pass {pass + 1}/{options.Repeat} block {block + 1}/{blocks}  {w.Name,-36} {(w.RouterDrops ? s.Sent : s.Forwarded),9:N0} packets  {Cost(w, s),8:F1} ns/packet  {(w.RouterDrops ? s.SentPps : s.ForwardedPps) / 1e6,6:F3} Mpps{(w.RouterDrops ? " (sent; the router drops them)" : "")}  ({clock.Elapsed:mm\\:ss})"));
                }
            }
            perPass.Add(got);
        }

        var stages = new List<ProfileStage>();
        foreach (string name in CostProfileSchema.StageNames)
        {
            var def = CalibrationStages.Find(name);
            bool wanted = options.Only is null || options.Only.Contains(name);
            if (!wanted) continue;
            if (def is null)
            {
                stages.Add(ProfileStage.Unmeasured(name, meter.EspNotMeasuredReason()));
                continue;
            }
            if (notMeasured.TryGetValue(name, out string? reason))
            {
                stages.Add(ProfileStage.Unmeasured(name, reason));
                continue;
            }
            var values = perPass.Select(p => Value(def, p, Cost)).ToList();
            double? soft = byThread ? null : Summary.Of(perPass.Select(p => Value(def, p, Softirq)).ToList()).Mean;
            var sum = Summary.Of(values);
            stages.Add(new ProfileStage(name, sum.Mean, sum.N > 1 ? sum.Ci95Low : sum.Mean, sum.N > 1 ? sum.Ci95High : sum.Mean,
                soft, sum.N, null, meter.Emulated ? CostProfile.EmulatedLabel : null));
        }
        return new CalibrationResult(stages, samples, clock.Elapsed, cpu);
    }

    /// <summary>A stage's value in one pass: the median over the blocks of its paired (double) differences, per divisor unit.</summary>
    double Value(CalibrationStage s, Dictionary<CalibrationWindow, List<MeterSample>> pass, Func<CalibrationWindow, MeterSample, double> f)
    {
        double[] Of(CalibrationWindow w) => [.. pass[w].Select(x => f(w, x))];
        double[] perBlock = s.Reference is null ? Of(s.Test) : PairedDifferences.Of(Of(s.Test), Of(s.Reference));
        if (s.LessTest is not null && s.LessReference is not null)
            perBlock = PairedDifferences.Of(perBlock, PairedDifferences.Of(Of(s.LessTest), Of(s.LessReference)));
        return PairedDifferences.Median(perBlock) / Divisor(s);
    }

    double Divisor(CalibrationStage s) => s.PerFrameByte ? CalibrationStages.LargeFrame - options.FrameBytes : s.Divisor;

    MeterLoad LoadFor(CalibrationWindow w, int? cpu, int blocks) => new()
    {
        Packets = Math.Max(1, Math.Min(w.PacketCap ?? long.MaxValue,
            w.NewFlows ? Math.Min(options.Packets, Math.Min(options.NewFlowPacketCap, meter.MaxNewFlowsPerWindow)) : (long)(options.Packets * w.PacketShare)) / blocks),
        FrameBytes = w.FrameBytes ?? options.FrameBytes,
        Flows = options.Flows,
        NewFlows = w.NewFlows,
        PacketsPerNewFlow = w.PacketsPerNewFlow,
        Addresses = w.Addresses,
        InjectorCpu = cpu,
    };

    static IEnumerable<CalibrationWindow> Windows(CalibrationStage s) =>
        new[] { s.Test, s.Reference, s.LessTest, s.LessReference }.OfType<CalibrationWindow>();

    /// <summary>The measurable stages named by --only (all when null); unknown names are bad input.</summary>
    public static IReadOnlyList<CalibrationStage> Select(IReadOnlyList<string>? only)
    {
        if (only is null) return CalibrationStages.All;
        foreach (string n in only)
        {
            if (CostProfileSchema.StageNames.Contains(n)) continue;
            string? hint = Lab.Scenarios.Problems.Suggest(n, CostProfileSchema.StageNames);
            throw new Lab.Core.ParameterException("only", $"no stage '{n}'" + (hint is null ? $"; expected some of: {string.Join(", ", CostProfileSchema.StageNames)}" : $" (did you mean '{hint}'?)"));
        }
        return [.. CalibrationStages.All.Where(s => only.Contains(s.Name))];
    }
}
