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
    public CalibrationResult Run(CancellationToken ct = default)
    {
        if (options.Accounting is not ("proc-stat" or "thread"))
            throw new Lab.Core.ParameterException("accounting", $"expected proc-stat or thread, found '{options.Accounting}'");
        if (options.Accounting == "thread" && meter.Emulated)
            throw Lab.Core.ParameterException.ForValue("accounting", "thread", "the injector does not run on the guest's kernel; use proc-stat under ", new Lab.Core.ParameterName("kernel"), " vm");
        var passes = new CalibrationPasses(meter, options, Select(options.Only), progress);
        for (int pass = 0; pass < options.Repeat; pass++) passes.MeasurePass(ct);
        var stages = passes.Stages(options.Only, meter.EspNotMeasuredReason);
        return new CalibrationResult(stages, passes.Samples, passes.Elapsed, passes.InjectorCpu);
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
