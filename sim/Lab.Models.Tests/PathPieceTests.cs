using Lab.Core;
using Lab.Engine;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Models.Tests;

public class PathPieceTests
{
    [Fact]
    public void A_byte_limited_queue_tail_drops_what_would_exceed_it_and_stays_fifo()
    {
        var q = new PacketQueue(0, 1000);
        Assert.True(q.TryEnqueue(1, 600));
        Assert.False(q.TryEnqueue(2, 500)); // 600 + 500 = 1100 > 1000
        Assert.True(q.TryEnqueue(3, 400));  // 600 + 400 = 1000, exactly full
        Assert.Equal((2, 1000L), (q.Count, q.Bytes));
        Assert.Equal(1, q.Dequeue(600));
        Assert.Equal((3, 1, 400L), (q.Peek(), q.Count, q.Bytes));
    }

    [Fact]
    public void An_unlimited_queue_grows_past_its_ring_and_keeps_the_order()
    {
        var q = new PacketQueue(0, 0);
        // 700 in, 500 out (the head moves), then 2000 more: the ring of 1024 wraps and doubles twice
        for (int i = 0; i < 700; i++) Assert.True(q.TryEnqueue(i, 1));
        for (int i = 0; i < 500; i++) Assert.Equal(i, q.Dequeue(1));
        for (int i = 700; i < 2700; i++) Assert.True(q.TryEnqueue(i, 1));
        Assert.Equal(2200, q.Count);
        for (int i = 500; i < 2700; i++) Assert.Equal(i, q.Dequeue(1));
        Assert.Equal((0, 0L), (q.Count, q.Bytes));
    }

    [Fact]
    public void A_link_whose_rate_does_not_divide_a_terahertz_carries_the_remainder_exactly()
    {
        // 3 Gbit/s, three 105 B frames at t = 0 (1000 wire bits each): 1e15 / 3e9 = 333,333 r 1e9; then
        // (1e15 + 1e9) / 3e9 = 333,333 r 2e9; then (1e15 + 2e9) / 3e9 = 333,334 r 0: they leave at
        // 333,333, 666,666 and 1,000,000 ps, exactly 1 us for 3000 bits.
        var ctx = new SimulationContext(1, 0);
        var rec = new Recorder(ctx);
        var link = new Link(ctx, "wire", 3_000_000_000, delay: 0, queuePackets: 10, queueBytes: 0) { Next = rec };
        _ = new ListSource(ctx, [new(0, 105, 1, 1, 0), new(0, 105, 1, 2, 0), new(0, 105, 1, 3, 0)], 0, link);
        ctx.Run(0, SimTime.Millisecond);
        Assert.Equal([333_333L, 666_666, 1_000_000], rec.Seen.Select(s => s.At));
        Assert.Equal((3, 1_000_000L), (link.FramesSent, link.BusyTime));
    }

    [Fact]
    public void A_core_serves_one_packet_at_a_time_and_drops_when_its_ring_is_full()
    {
        // one core, ring of 2, 100 ns per packet; five packets of one flow at t = 0: one runs, two wait,
        // two are dropped; the three leave at 100, 200 and 300 ns
        var ctx = new SimulationContext(1, 0);
        var rec = new Recorder(ctx);
        var stage = new FixedCostStage("work", CostModel.Constant(100 * SimTime.Nanosecond), ctx.Random("work"));
        var cores = new CoreSet(ctx, "cpu", 1, ringPackets: 2, [stage]) { Next = rec };
        _ = new ListSource(ctx, [.. Enumerable.Range(1, 5).Select(i => new ListedPacket(0, 64, 1, i, 0))], 0, cores);
        ctx.Run(0, SimTime.Millisecond);
        Assert.Equal([(100_000L, 1L), (200_000, 2), (300_000, 3)], rec.Seen.Select(s => (s.At, s.Seq)));
        Assert.Equal(2, ctx.Drops["cpu.rx_ring_full"]);
        Assert.Equal((3L, 300_000L), (cores.Processed[0], cores.BusyTime[0]));
    }

    [Fact]
    public void A_stage_that_drops_charges_its_cost_and_later_stages_are_skipped()
    {
        var ctx = new SimulationContext(1, 0);
        var rec = new Recorder(ctx);
        int reason = ctx.Drops.Register("gate.closed");
        var later = new CountingStage();
        var cores = new CoreSet(ctx, "cpu", 1, ringPackets: 8, [new DropOddStage(reason), later]) { Next = rec };
        _ = new ListSource(ctx, [.. Enumerable.Range(1, 4).Select(i => new ListedPacket(0, 64, 1, i, 0))], 0, cores);
        ctx.Run(0, SimTime.Millisecond);
        // seq 1 and 3 dropped after 50 ns each; 2 and 4 pass after 50 + 10 ns: 50, 110, 160, 220 ns busy
        Assert.Equal([(110_000L, 2L), (220_000, 4)], rec.Seen.Select(s => (s.At, s.Seq)));
        Assert.Equal((2L, 2), (ctx.Drops["gate.closed"], later.Seen));
        Assert.Equal(220_000, cores.BusyTime[0]);
    }

    [Fact]
    public void Rss_keeps_a_flow_on_one_core_and_spreads_flows_over_all_cores()
    {
        // the MurmurHash3 finaliser of flow 0 is 0, so flow 0 lands on core 0 for any core count
        Assert.Equal(0, CoreSet.CoreOf(0, 4));
        var cores = Enumerable.Range(0, 4000).Select(f => CoreSet.CoreOf(f, 4)).ToList();
        Assert.All(Enumerable.Range(0, 4), c => Assert.InRange(cores.Count(x => x == c), 900, 1100));
        Assert.Equal(CoreSet.CoreOf(12345, 4), CoreSet.CoreOf(12345, 4));
    }

    [Fact]
    public void A_cost_model_is_fixed_plus_per_byte_or_exponential_around_that_mean()
    {
        var rng = new RandomStream(5);
        // 200 ns + 0.5 ns per byte x 1000 B = 700 ns
        var c = new CostModel(200 * SimTime.Nanosecond, 0.5 * SimTime.Nanosecond, false);
        Assert.Equal(700 * SimTime.Nanosecond, c.Draw(1000, rng));
        var e = c with { Exponential = true };
        double mean = Enumerable.Range(0, 100_000).Average(_ => (double)e.Draw(1000, rng));
        // the mean of 100,000 exponential draws has a standard error of 700 ns / sqrt(100,000) = 2.2 ns: +-1.5 % is 4.7 of them
        Assert.InRange(mean, 0.985 * 700 * SimTime.Nanosecond, 1.015 * 700 * SimTime.Nanosecond);
    }

    sealed class DropOddStage(int reason) : IPacketStage
    {
        public string Name => "gate";

        public StageVerdict Process(ref Packet packet, int core, long now) =>
            packet.Seq % 2 == 1 ? StageVerdict.Drop(50 * SimTime.Nanosecond, reason) : StageVerdict.Pass(50 * SimTime.Nanosecond);
    }

    sealed class CountingStage : IPacketStage
    {
        public int Seen;

        public string Name => "after";

        public StageVerdict Process(ref Packet packet, int core, long now)
        {
            Seen++;
            return StageVerdict.Pass(10 * SimTime.Nanosecond);
        }
    }
}
