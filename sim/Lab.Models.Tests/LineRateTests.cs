using Lab.Core;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Models.Tests;

public class LineRateTests
{
    static long FramesInOneSecond(double linkBps, SizeDistribution sizes)
    {
        var ctx = new SimulationContext(seed: 1, replication: 0);
        var sink = new Sink(ctx);
        var link = new Link(ctx, "wire", (long)linkBps, delay: 0, queuePackets: 1000, queueBytes: 0) { Next = sink };
        // A constant-bit-rate source at exactly the line rate: each frame arrives as the previous one
        // leaves the wire, so the link never idles and nothing is dropped (dropping the excess of a
        // faster source would bias the IMIX mix towards small frames).
        _ = new TrafficSource(ctx, PathHarness.Source("flood", ArrivalProcess.ConstantBitRate, linkBps, sizes), 0, link);
        ctx.Run(0, SimTime.Second);
        return sink.Packets;
    }

    [Fact]
    public void Ten_gigabit_of_64_byte_frames_is_14_880_952_per_second()
    {
        // (64 + 20) B x 8 = 672 bit = 67.2 ns at 10 Gbit/s; frames ending before 1 s: floor(1e12 / 67200) = 14,880,952.
        Assert.Equal(14_880_952, FramesInOneSecond(10e9, SizeDistribution.Fixed(64)));
    }

    [Fact]
    public void Hundred_gigabit_of_1518_byte_frames_is_8_127_438_per_second()
    {
        // (1518 + 20) B x 8 = 12,304 bit = 123.04 ns at 100 Gbit/s; floor(1e12 / 123040) = 8,127,438.
        Assert.Equal(8_127_438, FramesInOneSecond(100e9, SizeDistribution.Fixed(1518)));
    }

    [Fact]
    public void Ten_gigabit_of_imix_is_3_273_680_per_second()
    {
        // Mean wire frame (7 x 84 + 4 x 614 + 1538) / 12 = 381.83 B; 1e10 / (381.83 x 8) = 3,273,680.
        long frames = FramesInOneSecond(10e9, SizeDistribution.Imix());
        Assert.InRange(frames, 3_273_680 * 0.999, 3_273_680 * 1.001);
    }

    [Fact]
    public void Link_adds_serialisation_and_propagation_delay()
    {
        var ctx = new SimulationContext(1, 0);
        var sink = new Sink(ctx);
        var link = new Link(ctx, "wire", 10_000_000_000, delay: 5 * SimTime.Microsecond, queuePackets: 10, queueBytes: 0) { Next = sink };
        _ = new ListSource(ctx, [new ListedPacket(0, 64, 1, 1, 0), new ListedPacket(0, 1518, 1, 2, 0)], 0, link);
        ctx.Run(0, SimTime.Millisecond);
        // First: 67.2 ns + 5 us. Second waits for the first, then 1538 x 8 / 10 Gbit/s = 1230.4 ns: 67.2 + 1230.4 + 5000 ns.
        Assert.Equal(5_067_200, sink.Latency.Percentile(50));
        Assert.Equal(6_297_600, sink.Latency.Percentile(100));
    }

    [Fact]
    public void A_full_queue_drops_with_a_named_reason()
    {
        var ctx = new SimulationContext(1, 0);
        var sink = new Sink(ctx);
        var link = new Link(ctx, "wire", 1_000_000_000, 0, queuePackets: 2, queueBytes: 0) { Next = sink };
        var burst = Enumerable.Range(1, 5).Select(i => new ListedPacket(0, 64, 1, i, 0)).ToList();
        _ = new ListSource(ctx, burst, 0, link);
        ctx.Run(0, SimTime.Millisecond);
        // One on the wire, two queued, two dropped.
        Assert.Equal(3, sink.Packets);
        Assert.Equal(2, ctx.Drops["wire.queue_full"]);
    }
}
