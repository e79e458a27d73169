using Lab.Core;
using Lab.Engine;
using Lab.Models.Metrics;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Models.Tests;

public class MetricsTests
{
    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var r = new LatencyRecorder();
        foreach (long v in new long[] { 40, 10, 30, 20 }) r.Add(v);
        // rank = ceil(p / 100 x 4): p1 -> 1, p50 -> 2, p75 -> 3, p76 -> ceil(3.04) = 4, p100 -> 4
        Assert.Equal((10L, 20L, 30L, 40L, 40L), (r.Percentile(1), r.Percentile(50), r.Percentile(75), r.Percentile(76), r.Percentile(100)));
        Assert.Equal(25.0, r.Mean()); // (10 + 20 + 30 + 40) / 4
        Assert.Equal([10L, 20, 30, 40], r.Sorted().ToArray());
        r.Reset();
        Assert.Equal((0L, 0L), (r.Count, r.Percentile(50)));
        Assert.True(double.IsNaN(r.Mean()));
    }

    [Fact]
    public void The_recorder_grows_past_its_first_1024_samples_and_keeps_all_of_them()
    {
        var r = new LatencyRecorder();
        for (long v = 3000; v >= 1; v--) r.Add(v);
        // 3000 samples 1..3000: p50 -> rank 1500 -> 1500; p99.9 -> ceil(2997) -> 2997; mean 3001 / 2
        Assert.Equal((3000L, 1500L, 2997L), (r.Count, r.Percentile(50), r.Percentile(99.9)));
        Assert.Equal(1500.5, r.Mean());
    }

    [Fact]
    public void Drop_reasons_register_once_count_by_index_and_lifetime_survives_a_reset()
    {
        var d = new DropCounters();
        int a = d.Register("wire.queue_full");
        Assert.Equal(a, d.Register("wire.queue_full"));
        // more than the 16 slots it starts with
        var more = Enumerable.Range(0, 20).Select(i => d.Register($"r{i}")).ToList();
        Assert.Equal(Enumerable.Range(1, 20), more);
        d.Count(a);
        d.Count(more[19], 5);
        Assert.Equal((1L, 5L, 0L, 6L, 6L), (d["wire.queue_full"], d["r19"], d["never.registered"], d.Total, d.LifetimeTotal));
        Assert.Equal(("wire.queue_full", 1L), d.Snapshot()[0]);
        Assert.Equal(("r19", 5L), d.Snapshot()[20]);
        d.Reset();
        Assert.Equal((0L, 6L), (d.Total, d.LifetimeTotal));
    }

    [Fact]
    public void The_time_series_reports_rates_per_interval_and_flags_the_warm_up()
    {
        // 1 Gbit/s of 105 B frames (125 B = 1000 bit on the wire): one frame per microsecond, straight into the sink.
        // Sampled every 10 us with a 10 us warm-up; the sampler is built first, so at 10 us it sees frames 0..9 us.
        var ctx = new SimulationContext(1, 0);
        var sink = new Sink(ctx);
        var sampler = new TimeSeriesSampler(ctx, sink, () => 7, 10 * SimTime.Microsecond, 10 * SimTime.Microsecond);
        _ = new TrafficSource(ctx, PathHarness.Source("cbr", ArrivalProcess.ConstantBitRate, 1e9, SizeDistribution.Fixed(105)), 0, sink);
        ctx.Run(10 * SimTime.Microsecond, 35 * SimTime.Microsecond);
        // 10 frames per 10 us: 1e6 pps; wire 10 x 1000 bit / 1e-5 s = 1e9 bit/s; goodput 10 x 87 x 8 / 1e-5 = 6.96e8 bit/s
        Assert.Equal(3, sampler.Points.Count);
        for (int i = 0; i < 3; i++)
        {
            var p = sampler.Points[i];
            Assert.Equal(((i + 1) * 10 * SimTime.Microsecond, 7L, 0L, i == 0), (p.Time, p.QueueDepth, p.Drops, p.Warmup));
            Assert.Equal(1e6, p.DeliveredPps, 6);
            Assert.Equal(1e9, p.WireBitsPerSecond, 3);
            Assert.Equal(6.96e8, p.GoodputBitsPerSecond, 3);
        }
        // the warm-up reset at 10 us restarts the sink's counters but not the lifetime totals the series differences
        Assert.True(sink.LifetimePackets > sink.Packets);
        Assert.Equal(10 * SimTime.Microsecond, ctx.MeasureFrom);
    }

    [Fact]
    public void A_probe_at_time_t_sees_the_packets_before_t_and_none_at_t()
    {
        var ctx = new SimulationContext(1, 0);
        var sink = new Sink(ctx);
        var counter = new SinkProbe(sink);
        var probes = new ProbeSampler(ctx, [3 * SimTime.Microsecond], [counter]);
        // frames at 0, 1, 2, 3, ... us: at 3 us the probe runs before the frame of 3 us
        _ = new TrafficSource(ctx, PathHarness.Source("cbr", ArrivalProcess.ConstantBitRate, 1e9, SizeDistribution.Fixed(105)), 0, sink);
        ctx.Run(0, 10 * SimTime.Microsecond);
        var row = Assert.Single(probes.Log.Rows);
        Assert.Equal((3 * SimTime.Microsecond, "sink", "delivered"), (row.At, row.Element, row.Table));
        Assert.Equal(ProbeLog.Cell("packets", 3), Assert.Single(row.Cells));
    }

    sealed class SinkProbe(Sink sink) : IProbeable
    {
        public void Probe(long now, ProbeLog log) => log.Add(now, "sink", "delivered", ProbeLog.Cell("packets", sink.LifetimePackets));
    }
}
