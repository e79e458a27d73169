using Lab.KernelLab.Calibration;
using Lab.Results;
using Lab.Scenarios.Profiles;
using Lab.Core;

namespace Lab.Calibration;

/// <summary>All windows and stage values of one calibration.</summary>
public sealed record CalibrationResult(IReadOnlyList<ProfileStage> Stages, IReadOnlyList<MeterSample> Samples, TimeSpan Elapsed, int? InjectorCpu)
{
    /// <summary>Each measured stage against <see cref="CalibrationOptions.TargetPercent"/> (empty where not judged).</summary>
    public IReadOnlyDictionary<string, StageBar> Bars { get; init; } = new Dictionary<string, StageBar>();

    /// <summary>Passes after the passes of every window, each over the stages still wider than the bar.</summary>
    public int ExtraPasses { get; init; }

    /// <summary>Passes of every window: <see cref="CalibrationOptions.Repeat"/>, or fewer (at least two) where the budget ran out first.</summary>
    public int FullPasses { get; init; }
}

/// <summary>
/// Runs the calibration: every window a selected stage needs runs in every pass, split into
/// <see cref="CalibrationOptions.Blocks"/> short blocks, the windows alternating block by block in one order and
/// then the reverse (ABBA); each stage's value per pass is the median over the blocks of the paired differences of
/// its windows (<see cref="PairedDifferences"/>), so drift within a pass cancels; over the passes it gets a mean and a 95% Student-t interval
/// (<see cref="Summary.Of"/>). With a <see cref="CalibrationOptions.Budget"/>, extra passes then measure only the stages whose
/// interval is still wider than <see cref="CalibrationOptions.TargetPercent"/> of their value, widest first, while they fit.
/// A stage whose configuration the kernel refuses is not measured, with the kernel's words.
/// </summary>
public sealed class Calibrator(IKernelCostMeter meter, CalibrationOptions options, Action<string>? progress = null)
{
    /// <summary>Passes in all, extra ones included (the most --repeat allows).</summary>
    public const int MaxPasses = 1000;

    /// <summary>Passes of every window however short the budget: an interval needs two.</summary>
    public const int MinPasses = 2;

    public CalibrationResult Run(CancellationToken ct = default)
    {
        if (options.Accounting is not ("proc-stat" or "thread"))
            throw new Lab.Core.ParameterException("accounting", $"expected proc-stat or thread, found '{options.Accounting}'");
        if (options.Accounting == "thread" && meter.Emulated)
            throw Lab.Core.ParameterException.ForValue("accounting", "thread", "the injector does not run on the guest's kernel; use proc-stat under ", new Lab.Core.ParameterName("kernel"), " vm");
        var passes = new CalibrationPasses(meter, options, Select(options.Only), progress);
        var all = Select(options.Only).Where(s => passes.IsMeasurable(s.Name)).Select(s => s.Name).ToList();
        for (int pass = 0; pass < options.Repeat; pass++)
        {
            // The budget bounds the passes of every window too (a busy machine makes them slow), but an interval needs two.
            if (pass >= MinPasses && options.Budget is TimeSpan b && passes.Elapsed + passes.EstimatePass(all) > b) break;
            passes.MeasurePass(ct);
        }
        int extra = 0;
        if (options.Budget is TimeSpan budget)
        {
            // Extra passes only for the stages still too wide, so the time goes where the noise is: the widest first, and
            // as many of the others as still fit in what is left of the budget.
            while (passes.Passes < MaxPasses && passes.WiderThan(options.TargetPercent) is { Count: > 0 } wide)
            {
                var next = new List<string>();
                foreach (string stage in wide)
                    if (passes.Elapsed + passes.EstimatePass([.. next, stage]) <= budget) next.Add(stage);
                if (next.Count == 0) break;
                passes.MeasurePass(next, ct);
                extra++;
            }
        }
        var stages = passes.Stages(options.Only, meter.EspNotMeasuredReason);
        var bars = stages.Where(s => s.IsMeasured && passes.IsMeasurable(s.Name)).ToDictionary(s => s.Name, s => passes.Bar(s.Name, options.TargetPercent));
        return new CalibrationResult(stages, passes.Samples, passes.Elapsed, passes.InjectorCpu) { Bars = bars, ExtraPasses = extra, FullPasses = passes.Passes - extra };
    }

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
