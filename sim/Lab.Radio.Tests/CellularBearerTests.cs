using Lab.Core;
using Lab.Models;
using Lab.Models.Traffic;
using Lab.Radio.Cellular;
using Lab.Radio.Reordering;

namespace Lab.Radio.Tests;

/// <summary>The cellular bearer in a simulation: packets from a list, deliveries recorded with their times.</summary>
public class CellularBearerTests
{
    const long Ms = SimTime.Millisecond;
    const long Us = SimTime.Microsecond;

    sealed class Recorder(SimulationContext ctx) : IPacketReceiver
    {
        public List<(long Seq, long Time)> Got { get; } = [];

        public void Receive(int packet)
        {
            Got.Add((ctx.Packets[packet].Seq, ctx.Sim.Now));
            ctx.Packets.Free(packet);
        }

        public long[] Order() => Got.Select(g => g.Seq).ToArray();
        public long TimeOf(long seq) => Got.Single(g => g.Seq == seq).Time;
    }

    // 118 B frames carry 100 B IP packets: 800 bits on the air.
    static ListedPacket P(long at, long seq, byte dscp = 0, int size = 118) => new(at, size, 1, seq, dscp);

    static CellularBearerConfig Config(DeliveryOrder delivery, long tReordering, params ComponentCarrier[] carriers) =>
        new(HarqConfig.Lte(0), carriers.Length == 0 ? [new ComponentCarrier(100e6, 0)] : carriers, delivery, tReordering, RlcMode.Acknowledged, 40 * Ms, 0);

    static (Recorder Out, CellularBearer Bearer, SimulationContext Ctx) Run(CellularBearerConfig config, ListedPacket[] packets, long until = 200 * Ms)
    {
        var ctx = new SimulationContext(1, 0);
        var bearer = new CellularBearer(ctx, "cell", config);
        var rec = new Recorder(ctx);
        bearer.Next = rec;
        _ = new ListSource(ctx, packets, 0, bearer);
        ctx.Run(0, until);
        return (rec, bearer, ctx);
    }

    // Six packets at 0.5, 1.5, ... 5.5 ms, each alone in the next TTI (ticks at 1..6 ms). Every third block
    // fails once: blocks 3 and 6 arrive after a TTI and an 8 ms HARQ round trip, at 3 + 1 + 8 = 12 ms and
    // 6 + 1 + 8 = 15 ms; the others at tick + 1 ms: 2, 3, 5, 6 ms.
    static ListedPacket[] Six() => [.. Enumerable.Range(1, 6).Select(k => P((k - 1) * Ms + 500 * Us, k))];

    [Fact]
    public void Out_of_order_delivery_exposes_the_harq_retransmissions()
    {
        var cfg = Config(DeliveryOrder.OutOfOrder, 0) with { RetransmitEveryNthBlock = 3 };
        var (rec, bearer, _) = Run(cfg, Six());
        Assert.Equal([1, 2, 4, 5, 3, 6], rec.Order());
        Assert.Equal(12 * Ms, rec.TimeOf(3));
        Assert.Equal(15 * Ms, rec.TimeOf(6));
        Assert.Equal(6 * Ms, rec.TimeOf(5));
        Assert.Equal(6, bearer.TransportBlocks);
        Assert.Equal(2, bearer.HarqRetransmissions);
        // 3 arrives with 5 already there: sequence distance 2; RFC 4737 extent 2 (first larger, 4, two arrivals back).
        var m = new Rfc4737Tracker(1, 64);
        foreach (var s in rec.Order()) m.Add(s);
        Assert.Equal(2, m.MaxSequenceDistance);
        Assert.Equal(2, m.MaxExtent);
    }

    [Fact]
    public void In_order_delivery_hides_them_when_t_reordering_is_long_enough()
    {
        // 4 (COUNT 3) at 5 ms finds RX_DELIV = 2: stored, t-Reordering starts; 3 at 12 ms releases 3, 4, 5.
        var cfg = Config(DeliveryOrder.InOrder, 35 * Ms) with { RetransmitEveryNthBlock = 3 };
        var (rec, bearer, _) = Run(cfg, Six());
        Assert.Equal([1, 2, 3, 4, 5, 6], rec.Order());
        Assert.Equal(12 * Ms, rec.TimeOf(4));
        Assert.Equal(12 * Ms, rec.TimeOf(5));
        Assert.Equal(15 * Ms, rec.TimeOf(6));
        Assert.Equal(0, bearer.DeliveredOnExpiry);
    }

    [Fact]
    public void A_short_t_reordering_gives_up_and_discards_the_late_packet()
    {
        // t-Reordering 2.5 ms starts at 5 ms (RX_REORD = 4) and expires at 7.5 ms: 4 (stored below RX_REORD)
        // and then 5 (consecutive from RX_REORD) go up; RX_DELIV = 5. 3 arrives at 12 ms with COUNT 2 < 5: discarded.
        var cfg = Config(DeliveryOrder.InOrder, 2_500 * Us) with { RetransmitEveryNthBlock = 3 };
        var (rec, bearer, ctx) = Run(cfg, Six());
        Assert.Equal([1, 2, 4, 5, 6], rec.Order());
        Assert.Equal(7_500 * Us, rec.TimeOf(4));
        Assert.Equal(7_500 * Us, rec.TimeOf(5));
        Assert.Equal(2, bearer.DeliveredOnExpiry);
        Assert.Equal(1, ctx.Drops["cell.pdcp_discard"]);
    }

    [Fact]
    public void A_retransmission_stalls_the_harq_process_for_its_next_slot()
    {
        // 2 processes, 2 ms round trip, 1 ms TTI; every block fails once, so a process is busy 4 ms.
        // Ticks: 1 ms (process 0, busy to 5), 2 ms (process 1, busy to 6), 3 and 4 ms stall, 5 ms.
        // Packets at 0.5 and 1.5 ms go at 1 and 2 ms; those at 2.5 and 3.5 ms wait out the stall and share the
        // 5 ms block (100 kbit per TTI holds both). Each arrives one TTI and one round trip after its block.
        var cfg = Config(DeliveryOrder.OutOfOrder, 0) with { Harq = new HarqConfig(2 * Ms, 2, 0, 4), RetransmitEveryNthBlock = 1 };
        var (rec, bearer, _) = Run(cfg, [P(500 * Us, 1), P(1_500 * Us, 2), P(2_500 * Us, 3), P(3_500 * Us, 4)]);
        Assert.Equal([(1L, 4 * Ms), (2L, 5 * Ms), (3L, 8 * Ms), (4L, 8 * Ms)], rec.Got);
        Assert.Equal(3, bearer.TransportBlocks);
    }

    [Fact]
    public void Carrier_aggregation_with_unequal_delays_reorders()
    {
        // 0.8 Mbit/s carriers: 800 bits per 1 ms TTI, one 100 B packet per block. At the 1 ms tick CC0 takes 1
        // and CC1 (5 ms longer) takes 2; 3 (at 1.5 ms) goes on CC0 at 2 ms. Arrivals: 1 at 2, 3 at 3, 2 at 7 ms.
        var cfg = Config(DeliveryOrder.OutOfOrder, 0, new ComponentCarrier(0.8e6, 0), new ComponentCarrier(0.8e6, 5 * Ms));
        var (rec, _, _) = Run(cfg, [P(200 * Us, 1), P(400 * Us, 2), P(1_500 * Us, 3)]);
        Assert.Equal([(1L, 2 * Ms), (3L, 3 * Ms), (2L, 7 * Ms)], rec.Got);
    }

    [Fact]
    public void Strict_priority_dscp_classes_on_one_sa_reorder_its_sequence_space()
    {
        // One packet per block. 1 and 2 (DSCP 0) arrive before 3 and 4 (DSCP 46, EF, listed first), but at the
        // 1 ms tick EF goes first: 3, 4, 1, 2 at 2, 3, 4, 5 ms. Each class has its own PDCP, so in-order
        // delivery does not undo it: RFC 4301 section 4.1's warning. 1 arrives with top 4: distance 3.
        var cfg = Config(DeliveryOrder.InOrder, 35 * Ms, new ComponentCarrier(0.8e6, 0)) with { PriorityDscp = [46] };
        var (rec, _, _) = Run(cfg, [P(100 * Us, 1), P(200 * Us, 2), P(300 * Us, 3, 46), P(400 * Us, 4, 46)]);
        Assert.Equal([(3L, 2 * Ms), (4L, 3 * Ms), (1L, 4 * Ms), (2L, 5 * Ms)], rec.Got);
        var m = new Rfc4737Tracker(1, 64);
        foreach (var s in rec.Order()) m.Add(s);
        Assert.Equal(3, m.MaxSequenceDistance);
    }

    [Fact]
    public void Rlc_segments_a_packet_over_two_blocks()
    {
        // 0.4 Mbit/s: 400 bits per TTI; the 800-bit packet is sent at the 1 and 2 ms ticks, complete at 3 ms.
        var cfg = Config(DeliveryOrder.OutOfOrder, 0, new ComponentCarrier(0.4e6, 0));
        var (rec, bearer, _) = Run(cfg, [P(500 * Us, 1)]);
        Assert.Equal([(1L, 3 * Ms)], rec.Got);
        Assert.Equal(2, bearer.TransportBlocks);
    }

    [Fact]
    public void Harq_failure_loses_the_block_with_rlc_um_and_rlc_am_retransmits_it()
    {
        // Two attempts allowed, both forced to fail. UM: lost. AM: tick 1 ms + TTI + 1 round trip (8 ms) + 40 ms = 50 ms.
        var um = Config(DeliveryOrder.OutOfOrder, 0) with
        {
            Harq = new HarqConfig(8 * Ms, 8, 0, 2), Rlc = RlcMode.Unacknowledged, RetransmitEveryNthBlock = 1, ForcedFailures = 2,
        };
        var (lost, bearer, ctx) = Run(um, [P(500 * Us, 1)]);
        Assert.Empty(lost.Got);
        Assert.Equal(1, bearer.HarqFailures);
        Assert.Equal(1, ctx.Drops["cell.harq_failure"]);
        var (am, _, _) = Run(um with { Rlc = RlcMode.Acknowledged }, [P(500 * Us, 1)]);
        Assert.Equal([(1L, 50 * Ms)], am.Got);
    }

    [Fact]
    public void Nr_numerology_sets_the_tti_and_the_harq_round_trip()
    {
        // mu = 1: 0.5 ms slots; 4-slot round trip = 2 ms. Packets every 0.5 ms from 0.25 ms go at the ticks
        // 0.5, 1.0, 1.5 ms ...; the third block fails once: sent at 1.5 ms, arrives 1.5 + 0.5 + 2 = 4 ms,
        // after the blocks of 2.0 and 2.5 ms (arriving 2.5 and 3.0 ms) and with the 3.5 ms one (4 ms; the
        // retransmission's arrival was scheduled first, so it goes up first).
        var harq = HarqConfig.Nr(1, 4, 0);
        Assert.Equal(2 * Ms, harq.RoundTrip);
        var cfg = Config(DeliveryOrder.OutOfOrder, 0) with { Harq = harq, Tti = HarqConfig.NrSlot(1), RetransmitEveryNthBlock = 3, ForcedFailures = 1 };
        var packets = Enumerable.Range(1, 7).Select(k => P(250 * Us + (k - 1) * 500 * Us, k)).ToArray();
        var (rec, _, _) = Run(cfg, packets);
        // Blocks 3 and 6 fail: 3 (tick 1.5 ms) at 4.0 ms, 6 (tick 3.0 ms) at 5.5 ms; 7 (tick 3.5 ms) at 4.0 ms.
        Assert.Equal(4 * Ms, rec.TimeOf(3));
        Assert.Equal(5_500 * Us, rec.TimeOf(6));
        Assert.Equal([1, 2, 4, 5, 3, 7, 6], rec.Order());
    }

    [Fact]
    public void Drawn_retransmissions_are_seeded_and_near_their_probability()
    {
        // 10,000 blocks, one packet each. Expected retransmissions per block: 0.1 + 0.01 + 0.001 + 0.0001 = 0.1111;
        // 1111 in all with a standard deviation of about 35: [950, 1270] is more than 4.5 of them.
        var packets = Enumerable.Range(1, 10_000).Select(k => P((k - 1) * Ms + 100 * Us, k)).ToArray();
        var cfg = Config(DeliveryOrder.OutOfOrder, 0) with { Harq = HarqConfig.Lte(0.1) };
        var (a, ba, _) = Run(cfg, packets, 10_100 * Ms);
        var (b, _, _) = Run(cfg, packets, 10_100 * Ms);
        Assert.Equal(a.Got, b.Got);
        Assert.InRange(ba.HarqRetransmissions, 950, 1270);
        Assert.Equal(10_000, a.Got.Count);
    }
}
