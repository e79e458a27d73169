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
/// Runs the calibration: every window a selected stage needs runs once per pass, in one order on even passes and the
/// reverse on odd ones (ABBA: drift within a pass cancels too); each stage's value per pass is the paired
/// difference of its two windows of that pass; over the passes it gets a mean and a 95% Student-t interval
/// (<see cref="Summary.Of"/>). A stage whose configuration the kernel refuses is not measured, with the kernel's words.
/// </summary>
public sealed class Calibrator(IKernelCostMeter meter, CalibrationOptions options, Action<string>? progress = null)
{
    bool byThread => options.Accounting == "thread";

    double Cost(MeterSample s) => byThread ? s.InjectorThreadNsPerPacket : s.BusyNsPerPacket;

    public CalibrationResult Run(CancellationToken ct = default)
    {
        if (options.Accounting is not ("proc-stat" or "thread"))
            throw new Lab.Core.LabInputException($"--accounting: expected proc-stat or thread, found '{options.Accounting}'");
        if (byThread && meter.Emulated)
            throw new Lab.Core.LabInputException("--accounting thread: the injector does not run on the guest's kernel; use proc-stat under --kernel vm");
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
            if (why is null) runnable.Add(s);
            else notMeasured[s.Name] = why;
        }

        var windows = runnable.SelectMany(Windows).Distinct().ToList();
        int? cpu = options.Pin ? meter.SuggestedInjectorCpu : null;
        var perPass = new List<Dictionary<CalibrationWindow, MeterSample>>();
        var samples = new List<MeterSample>();
        for (int pass = 0; pass < options.Repeat; pass++)
        {
            var order = pass % 2 == 0 ? windows : Enumerable.Reverse(windows).ToList();
            var got = new Dictionary<CalibrationWindow, MeterSample>();
            foreach (var w in order)
            {
                ct.ThrowIfCancellationRequested();
                var load = LoadFor(w, cpu);
                var s = meter.Measure(w.Config, load, ct);
                if (s.Forwarded == 0)
                    throw new InvalidOperationException($"window '{w}': none of {s.Sent} packets reached the sink; the topology is broken");
                got[w] = s;
                samples.Add(s);
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"pass {pass + 1}/{options.Repeat}  {w.Name,-36} {s.Forwarded,9:N0} packets  {Cost(s),8:F1} ns/packet  {s.ForwardedPps / 1e6,6:F3} Mpps  ({clock.Elapsed:mm\\:ss})"));
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
            double? soft = byThread ? null : Summary.Of(perPass.Select(p => Value(def, p, s => s.SoftirqNsPerPacket)).ToList()).Mean;
            var sum = Summary.Of(values);
            stages.Add(new ProfileStage(name, sum.Mean, sum.N > 1 ? sum.Ci95Low : sum.Mean, sum.N > 1 ? sum.Ci95High : sum.Mean,
                soft, sum.N, null, meter.Emulated ? CostProfile.EmulatedLabel : null));
        }
        return new CalibrationResult(stages, samples, clock.Elapsed, cpu);
    }

    static double Value(CalibrationStage s, Dictionary<CalibrationWindow, MeterSample> pass, Func<MeterSample, double> f) =>
        (f(pass[s.Test]) - (s.Reference is null ? 0 : f(pass[s.Reference]))) / s.Divisor;

    MeterLoad LoadFor(CalibrationWindow w, int? cpu) => new()
    {
        Packets = w.NewFlows ? Math.Min(options.Packets, Math.Min(options.NewFlowPacketCap, meter.MaxNewFlowsPerWindow)) : options.Packets,
        FrameBytes = options.FrameBytes,
        Flows = options.Flows,
        NewFlows = w.NewFlows,
        PacketsPerNewFlow = w.PacketsPerNewFlow,
        InjectorCpu = cpu,
    };

    static IEnumerable<CalibrationWindow> Windows(CalibrationStage s) => s.Reference is null ? [s.Test] : [s.Test, s.Reference];

    /// <summary>The measurable stages named by --only (all when null); unknown names are bad input.</summary>
    public static IReadOnlyList<CalibrationStage> Select(IReadOnlyList<string>? only)
    {
        if (only is null) return CalibrationStages.All;
        foreach (string n in only)
        {
            if (CostProfileSchema.StageNames.Contains(n)) continue;
            string? hint = Lab.Scenarios.Problems.Suggest(n, CostProfileSchema.StageNames);
            throw new Lab.Core.LabInputException($"--only: no stage '{n}'" + (hint is null ? $"; expected some of: {string.Join(", ", CostProfileSchema.StageNames)}" : $" (did you mean '{hint}'?)"));
        }
        return [.. CalibrationStages.All.Where(s => only.Contains(s.Name))];
    }
}
