using Lab.Calibration;
using Lab.KernelLab.Calibration;
using Lab.KernelLab.TestSupport;

namespace Lab.Cli.Tests;

/// <summary>
/// The extra passes of <c>lab calibrate</c>: after the passes of every window, only the stages whose 95% interval is still
/// wider than the bar are measured again, while the budget allows; a stage indistinguishable from 0 is not chased.
/// </summary>
public sealed class AdaptiveCalibrationTests
{
    /// <summary>
    /// Baseline 600 ns a packet, plain forwarding 1,000 (forward 400), 200 rules 3,000 (linear_rule 10), every frame size
    /// alike (forward_per_byte 0). The conntrack window costs 1,120 and 1,080 in turn, so conntrack_lookup reads 120, 80,
    /// 120, ... from one pass to the next. At 1,000,000 packets a window every cost is a whole number of 10 ms ticks.
    /// </summary>
    static SyntheticCostMeter Meter()
    {
        int conntrackWindows = 0;
        return new SyntheticCostMeter((c, _) =>
            !c.Forward ? 600
            : c.Conntrack ? 1100 + (conntrackWindows++ % 2 == 0 ? 20 : -20)
            : 1000 + 10.0 * c.LinearRules);
    }

    static CalibrationOptions Options(TimeSpan? budget) => new()
    {
        Only = ["forward", "forward_per_byte", "conntrack_lookup", "linear_rule"],
        Packets = 1_000_000, Repeat = 3, Blocks = 1, Pin = false, Budget = budget, EqualWindows = true,
    };

    [Fact]
    public void Only_the_wide_stage_gets_extra_passes_until_its_interval_is_within_the_bar()
    {
        var meter = Meter();
        var result = new Calibrator(meter, Options(TimeSpan.FromHours(1))).Run();
        var stages = result.Stages.ToDictionary(s => s.Name);

        // conntrack_lookup over n passes alternating 120, 80 (t from the Student table):
        //   n = 3: mean 106.67, sd 23.09, half 4.3027 x 23.09 / 1.732 = 57.37: 53.8% of the value
        //   n = 5: mean 104, sd 21.91, half 2.7764 x 21.91 / 2.236 = 27.20 > 20.8 (20% of 104)
        //   n = 6: mean 100, sd 21.91, half 2.5706 x 21.91 / 2.449 = 22.99 > 20
        //   n = 7: mean 720 / 7 = 102.86, sd 21.38, half 2.4469 x 21.38 / 2.646 = 19.77 <= 20.57: met (19.22%).
        // So 3 passes of every window, then 4 extra passes of the conntrack and plain windows alone.
        Assert.Equal((4, 3), (result.ExtraPasses, result.FullPasses));
        Assert.Equal(7, stages["conntrack_lookup"].N);
        Assert.Equal(720.0 / 7, stages["conntrack_lookup"].Ns, 9);
        Assert.Equal(BarVerdict.Met, result.Bars["conntrack_lookup"].Verdict);
        Assert.Equal(19.22, result.Bars["conntrack_lookup"].HalfWidthPercent, 0.01);
        // The exact stages were within the bar after the first three passes and got none: their windows ran three times.
        Assert.Equal((400.0, 3), (stages["forward"].Ns, stages["forward"].N));
        Assert.Equal((10.0, 3), (stages["linear_rule"].Ns, stages["linear_rule"].N));
        Assert.Equal(BarVerdict.Met, result.Bars["linear_rule"].Verdict);
        // forward_per_byte is 0 exactly: no relative bar can be met, and it is not chased.
        Assert.Equal((0.0, 3), (stages["forward_per_byte"].Ns, stages["forward_per_byte"].N));
        Assert.Equal(BarVerdict.ConsistentWithZero, result.Bars["forward_per_byte"].Verdict);
        // Windows: 3 passes x 6 (baseline, plain, 200 rules, conntrack, plain and baseline at 1400 B), then 4 x 2.
        Assert.Equal(3 * 6 + 4 * 2, meter.Calls);
        Assert.All(meter.Measured.Skip(18), m => Assert.True(m.Config.Forward && m.Config.LinearRules == 0 && m.Load.FrameBytes == 64, m.Config.ToString()));
    }

    [Fact]
    public void Without_a_budget_there_are_no_extra_passes()
    {
        var meter = Meter();
        var result = new Calibrator(meter, Options(null)).Run();
        Assert.Equal((0, 3, 18), (result.ExtraPasses, result.FullPasses, meter.Calls));
        // Three passes: 120, 80, 120: 57.37 / 106.67 = 53.8% (above).
        Assert.Equal(3, result.Stages.Single(s => s.Name == "conntrack_lookup").N);
        Assert.Equal(BarVerdict.Wider, result.Bars["conntrack_lookup"].Verdict);
        Assert.Equal(53.78, result.Bars["conntrack_lookup"].HalfWidthPercent, 0.01);
    }

    [Fact]
    public void A_budget_already_spent_stops_the_passes_of_every_window_after_two()
    {
        var meter = Meter();
        var result = new Calibrator(meter, Options(TimeSpan.Zero)).Run();
        Assert.Equal((0, 2, 12), (result.ExtraPasses, result.FullPasses, meter.Calls));
        // Two passes, 120 and 80: mean 100, half 12.706 x 28.28 / 1.414 = 254: [-154, 354] holds 0.
        var ct = result.Stages.Single(s => s.Name == "conntrack_lookup");
        Assert.Equal((100.0, 2), (ct.Ns, ct.N));
        Assert.Equal(BarVerdict.ConsistentWithZero, result.Bars["conntrack_lookup"].Verdict);
    }

    [Fact]
    public void A_pass_over_some_stages_adds_values_only_to_stages_whose_windows_it_measured()
    {
        var meter = Meter();
        var passes = new CalibrationPasses(meter, Options(null), [.. CalibrationStages.All.Where(s => s.Name is "forward" or "conntrack_lookup")], null);
        passes.MeasurePass();
        passes.MeasurePass(["conntrack_lookup"]);
        // The second pass measured plain and conntrack, not the baseline: forward has one value, conntrack_lookup two.
        // Pass 1 in the windows' order (plain, baseline, conntrack), pass 2 reversed (ABBA).
        Assert.Equal(["forward", "baseline", "forward+ct", "forward", "forward+ct"], meter.Measured.Select(m => m.Config.ToString()));
        Assert.Equal(double.NaN, passes.ValueOfPass("forward", 1));
        Assert.Equal(80, passes.ValueOfPass("conntrack_lookup", 1));
        var stages = passes.Stages(null).ToDictionary(s => s.Name);
        Assert.Equal((400.0, 1), (stages["forward"].Ns, stages["forward"].N));
        Assert.Equal((100.0, 2), (stages["conntrack_lookup"].Ns, stages["conntrack_lookup"].N));
        Assert.True(passes.EstimatePass(["conntrack_lookup"]) > TimeSpan.Zero);
    }
}
