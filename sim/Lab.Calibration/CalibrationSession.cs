using Lab.KernelLab.Calibration;
using Lab.Core;
using Lab.Results;
using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>What <c>lab calibrate</c> asked for.</summary>
public sealed record CalibrateRequest(string Kernel, string? OutPath, CalibrationOptions Options, string? ComparePath, double ThresholdPercent,
    string? Machine, string LabCommit, string? StorePath, string? FromPath = null);

/// <summary>The profile written, where, its store id and, with --compare, the comparison.</summary>
public sealed record CalibrateOutcome(CostProfile Profile, string OutPath, string? CalibrationId, IReadOnlyList<StageChange>? Changes, TimeSpan Elapsed)
{
    /// <summary>Each measured stage against the relative bar (empty for --from).</summary>
    public IReadOnlyDictionary<string, StageBar> Bars { get; init; } = new Dictionary<string, StageBar>();

    /// <summary>Passes measured after the --repeat ones for the stages still wider than the bar.</summary>
    public int ExtraPasses { get; init; }

    public bool Regressed => Changes?.Any(c => c.Changed) == true;
}

/// <summary>
/// One calibration end to end: checks the inputs (the profile to compare with is read before anything is
/// measured), builds the meter for the kernel, runs the <see cref="Calibrator"/>, writes the profile, records it
/// in the results store and compares.
/// </summary>
public static class CalibrationSession
{
    public static CalibrateOutcome Run(CalibrateRequest req, Func<string, IKernelCostMeter> meterFor, Action<string>? progress, CancellationToken ct = default)
    {
        if (req.Kernel is not ("host" or "vm")) throw new ParameterException("kernel", $"expected host or vm, found '{req.Kernel}'");
        if (req.Options.Packets < 1000) throw new ParameterException("packets", $"expected at least 1000, found {req.Options.Packets}");
        if (req.Options.Repeat is < 2 or > 1000) throw new ParameterException("repeat", $"expected 2 to 1000 passes (an interval needs two), found {req.Options.Repeat}");
        if (req.Options.Budget is TimeSpan b && b < TimeSpan.Zero) throw new ParameterException("budget", $"expected a duration such as 4m30s or 0, found {b}");
        if (!(req.Options.TargetPercent > 0)) throw new ParameterException("target", $"expected a percentage above 0 such as 20%, found {req.Options.TargetPercent}");
        if (req.Options.Blocks is < 1 or > 64) throw new ParameterException("blocks", $"expected 1 to 64 blocks per pass, found {req.Options.Blocks}");
        if (!(req.ThresholdPercent >= 0)) throw new ParameterException("threshold", $"expected a percentage such as 10%, found {req.ThresholdPercent}");
        Calibrator.Select(req.Options.Only);
        var earlier = req.ComparePath is null ? null : CostProfile.Read(req.ComparePath);
        if (req.FromPath is not null)
        {
            // Two profiles measured earlier (two kernels, two builds): compare only, measure nothing, write nothing.
            if (earlier is null) throw new ParameterException("from", "needs ", new ParameterName("compare"), " PROFILE to compare with");
            var saved = CostProfile.Read(req.FromPath);
            return new CalibrateOutcome(saved, req.FromPath, null, ProfileComparison.Compare(earlier, saved, req.ThresholdPercent), TimeSpan.Zero);
        }
        string outPath = req.OutPath ?? Path.Combine("results", $"calibration-{req.Kernel}-{DateTime.UtcNow:yyyyMMddTHHmmss}.yaml");
        string? outDir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (req.OutPath is null && outDir is not null) Directory.CreateDirectory(outDir);
        CostProfileFile.CheckWritable(outPath); // before minutes of measuring, not after

        var measured = DateTimeOffset.UtcNow;
        using var meter = meterFor(req.Kernel);
        var result = new Calibrator(meter, req.Options, progress).Run(ct);
        var profile = ProfileBuilder.Build(result, meter, req.Options, req.Machine ?? ProfileBuilder.DefaultMachine(meter), req.LabCommit, measured);
        CostProfileFile.Write(profile, outPath);

        string? id = null;
        if (req.StorePath is not null)
        {
            using var store = new ResultsStore(req.StorePath);
            id = store.RecordCalibration(
                new CalibrationRun(measured, profile.Machine, profile.Kernel.Release, profile.Kernel.Where, profile.Kernel.Emulated, profile.LabCommit,
                    req.Options.Packets, profile.Method.Repeat, req.Options.FrameBytes, Path.GetFullPath(outPath)),
                [.. profile.Stages.Select(s => s.IsMeasured
                    ? new CalibrationRow(s.Name, s.Ns, s.Ci95Low, s.Ci95High, s.SoftirqNs, s.N, null)
                    : new CalibrationRow(s.Name, null, null, null, null, 0, s.NotMeasured))]);
        }
        var changes = earlier is null ? null : ProfileComparison.Compare(earlier, profile, req.ThresholdPercent);
        return new CalibrateOutcome(profile, outPath, id, changes, result.Elapsed) { Bars = result.Bars, ExtraPasses = result.ExtraPasses };
    }
}
