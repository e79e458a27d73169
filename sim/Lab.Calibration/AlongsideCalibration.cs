using Lab.KernelLab.Calibration;
using Lab.KernelLab.TimingValidation;
using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>
/// Side-by-side calibration for a timing validation: the calibration windows of the stages the scenario's forward model
/// charges run in the same passes as the validation's points, so that the costs the model is given and the kernel's cost
/// it is compared with are measured in the same minutes (this machine's memory speed moves several-fold within minutes).
/// The stages are the calibration's own (<see cref="CalibrationStages"/>): what is calibrated is still the simple
/// configurations, never the combination being validated.
/// </summary>
public static class AlongsideCalibration
{
    /// <summary>
    /// The stages whose costs the forward model charges for <paramref name="w"/> (ForwardPath: receive, routing and
    /// transmit always; conntrack always, lookup or creation; NAT when masquerading; the rules; per byte beyond the
    /// calibration's 64 B frame).
    /// </summary>
    public static IReadOnlyList<string> StagesFor(TimingWorkload w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var names = new List<string> { "forward" };
        if (w.FrameBytes > CalibrationFrame) names.Add("forward_per_byte");
        names.Add(w.NewFlowPerPacket ? "conntrack_new" : "conntrack_lookup");
        if (w.Masquerade) names.AddRange(w.NewFlowPerPacket ? ["nat_setup", "nat_attempt"] : ["nat_established"]);
        if (w.LinearRules > 0) names.Add("linear_rule");
        if (w.SetLookups > 0) names.Add("set_lookup");
        if (w.Flowtable) names.Add("flowtable_fast_path");
        if (w.Flowtable && w.FlowAdd) names.Add("flow_offload_add");
        return names;
    }

    /// <summary>The calibration's frame: the model's per-byte cost counts bytes beyond 64 B.</summary>
    public const int CalibrationFrame = 64;

    /// <summary>
    /// The calibration windows' options: the validation's packets per window and its passes, its flows, its accounting;
    /// every window the same packets (<see cref="CalibrationOptions.EqualWindows"/>), since a validation's windows are short.
    /// </summary>
    public static CalibrationOptions OptionsFor(TimingWorkload w, long packets, int repeat, bool threadAccounting)
    {
        ArgumentNullException.ThrowIfNull(w);
        return new CalibrationOptions
        {
            Packets = packets,
            Repeat = repeat,
            FrameBytes = CalibrationFrame,
            Flows = w.Flows,
            Accounting = threadAccounting ? "thread" : "proc-stat",
            EqualWindows = true,
        };
    }

    public static CalibrationPasses Passes(IKernelCostMeter meter, TimingWorkload w, CalibrationOptions options) =>
        new(meter, options, [.. StagesFor(w).Select(n => CalibrationStages.Find(n)!)], null);

    /// <summary>The cost profile of the passes so far: the stages pooled over every pass (mean, 95% interval) and the model keys they set.</summary>
    public static CostProfile Profile(CalibrationPasses passes, IKernelCostMeter meter, TimingWorkload w, CalibrationOptions options, string machine,
        string labCommit, DateTimeOffset measured)
    {
        ArgumentNullException.ThrowIfNull(passes);
        var stages = passes.Stages(StagesFor(w).ToHashSet(StringComparer.Ordinal));
        var result = new CalibrationResult(stages, passes.Samples, passes.Elapsed, passes.InjectorCpu);
        return ProfileBuilder.Build(result, meter, options, machine, labCommit, measured);
    }
}
