using Lab.KernelLab.Calibration;
using Lab.KernelLab.TestSupport;
using Lab.KernelLab.TimingValidation;

namespace Lab.Captures.Tests.Calibration;

/// <summary>The order and the arithmetic of lab validate --timing's passes, on a synthetic kernel and model.</summary>
public sealed class TimingValidatorTests
{
    const long Packets = 1_000_000;

    [Fact]
    public void Every_pass_measures_every_point_in_rotating_order()
    {
        // Three points, three passes: pass p starts at point p, so each point is measured once first, once second, once third.
        Assert.Equal([0, 1, 2, 1, 2, 0, 2, 0, 1], Enumerable.Range(0, 3).SelectMany(p => Enumerable.Range(0, 3).Select(k => TimingValidator.PointOrder(3, p, k))));
    }

    [Fact]
    public void A_drifting_machine_moves_every_point_alike_and_the_counters_are_summed()
    {
        var meter = Drifting();
        var model = new FixedModel();
        var options = new TimingOptions(Packets, 3, [0.5, 1.2], 15, null);
        var outcome = TimingValidator.Run(new TimingWorkload { FrameBytes = 64, Flows = 10 }, options, meter, model, null);

        // Three harness windows at top speed first, then per pass the points in rotating order, baseline before router.
        double? o5 = 0.5 * model.Saturation, o12 = 1.2 * model.Saturation;
        Assert.Equal([null, null, null, null, null, o5, o5, o12, o12, o5, o5, o12, o12, null, null, o12, o12, null, null, o5, o5],
            meter.Measured.Select(m => m.Load.OfferedPps));
        Assert.All(meter.Measured, m => Assert.Equal(Packets, m.Load.Packets));
        Assert.Equal([600.0, 600, 600], model.Harness); // the median of three 600 ns baselines, for the top point and both paced ones
        Assert.Equal(600, outcome.HarnessNs);
        // The cache reference runs once per pass on this (non-emulated) kernel's injecting CPU.
        Assert.Equal(3, outcome.CacheReferenceNs.Count);
        Assert.All(outcome.CacheReferenceNs, ns => Assert.True(ns > 0, $"{ns} ns a load"));

        // Router window n (0..8 in measuring order) costs 5000 + 10 n ns a packet, every baseline 600 ns. Top is router window
        // 0, 5 and 7 (median 5050), 0.5x windows 1, 3, 8 (median 5030), 1.2x windows 2, 4, 6 (median 5040); in the order
        // top, top, top, 0.5x, ... the medians would be 5030, 5040, 5050 instead: the drift would fall on the later points.
        Assert.Equal(["top", "0.5x", "1.2x"], outcome.Points.Select(p => p.Label));
        Assert.Equal([4450.0, 4430, 4440], outcome.Points.Select(p => p.KernelNs));
        Assert.Equal([4450.0, 4430, 4440], outcome.Points.Select(p => p.ThreadNs));
        Assert.All(outcome.Points, p => Assert.Equal(600, p.BaselineNs));
        // Each router window: 2 backlog drops, 1 time squeeze, 3 ksoftirqd ticks; three windows a point.
        Assert.All(outcome.Points, p => Assert.Equal((6L, 3L, 9L), (p.BacklogDropped, p.TimeSqueeze, p.KsoftirqdTicks)));
        Assert.Equal("kernel counters: backlog drops 6 (softnet_stat dropped), time_squeeze 3, ksoftirqd " + 9 * 1000 / ProcStat.TicksPerSecond +
            " ms; injecting thread 4450 ns/packet", TimingOutcome.CountersLine(outcome.Points[0]));
    }

    [Fact]
    public void A_cache_reference_that_moved_by_half_or_more_is_called_out()
    {
        var empty = new TimingOutcome(new TimingWorkload { FrameBytes = 64, Flows = 1 }, "host kernel x", false, [], null);
        Assert.Null(empty.CacheReferenceLine());
        // Median of 20, 30, 100 is 30; 100 > 1.5 x 20.
        Assert.Equal("cache reference: 4 MB pointer chase 30 ns/load (median of 3 passes, 20 to 100): the machine's shared cache changed speed while it measured (a shared host); " +
            "compare points of the same passes, and calibrations and validations made in one quiet period", (empty with { CacheReferenceNs = [20, 100, 30] }).CacheReferenceLine());
        // 29.9 < 1.5 x 20 = 30: steady.
        Assert.Equal("cache reference: 4 MB pointer chase 25 ns/load (median of 2 passes, 20 to 29.9)", (empty with { CacheReferenceNs = [20, 29.9] }).CacheReferenceLine());
    }

    /// <summary>
    /// Baselines cost 600 ns a packet; the n-th router window 5000 + 10 n: a machine slowing down as it measures. At 1,000,000
    /// packets 5000 + 10 n ns a packet is 500 + n whole ticks of 10 ms (USER_HZ 100), 600 ns is 60. Each router window counts
    /// 2 backlog drops, 1 time squeeze and 3 ksoftirqd ticks.
    /// </summary>
    static SyntheticCostMeter Drifting()
    {
        int routerWindows = 0;
        return new SyntheticCostMeter((config, _) => config.Forward ? 5000 + 10.0 * routerWindows++ : 600)
        {
            Counters = config => config.Forward
                ? ([new SoftnetCpu(0, 2 * Packets, 2, 1)], new Dictionary<int, long> { [0] = 3 })
                : ([new SoftnetCpu(0, Packets, 0, 0)], new Dictionary<int, long> { [0] = 0 }),
        };
    }

    /// <summary>A model charging 5000 ns a packet on a core that also pays the harness; it records the harness it was given.</summary>
    sealed class FixedModel : ITimingModel
    {
        public List<double> Harness { get; } = [];
        public double Saturation => 1e9 / (5000 + 600);

        public TimingPrediction Predict(double? offeredPps, double harnessNsPerPacket)
        {
            Harness.Add(harnessNsPerPacket);
            double capacity = 1e9 / (5000 + harnessNsPerPacket);
            double offered = offeredPps ?? 2 * capacity;
            return new TimingPrediction(5000, offered, Math.Min(offered, capacity));
        }
    }
}
