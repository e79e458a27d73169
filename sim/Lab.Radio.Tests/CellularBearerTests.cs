using Lab.Engine;
using Lab.Radio.Cellular;
using Lab.Radio.Reordering;

namespace Lab.Radio.Tests;

public class CellularBearerTests
{
    const long Ms = SimTime.Millisecond;
    const long Us = SimTime.Microsecond;

    static CellularBearerConfig Config(DeliveryOrder delivery, long tReordering, HarqConfig? harq = null, params ComponentCarrier[] carriers) =>
        new(harq ?? HarqConfig.Lte(0), carriers.Length == 0 ? [new ComponentCarrier(100e6, 0)] : carriers,
            delivery, tReordering, RlcMode.Acknowledged, 40 * Ms, 0);

    // Five 100-byte packets 1 ms apart; the first needs one HARQ retransmission (8 ms later).
    // 800 bit at 100 Mbit/s = 8 us on the air: MAC arrivals 8.008, 1.008, 2.008, 3.008, 4.008 ms.
    static CellularPacket[] OneRetransmission() =>
    [
        new(0, 100, 0, 1), new(1 * Ms, 100, 0, 0), new(2 * Ms, 100, 0, 0), new(3 * Ms, 100, 0, 0), new(4 * Ms, 100, 0, 0),
    ];

    [Fact]
    public void Out_of_order_delivery_exposes_the_harq_retransmission()
    {
        var r = CellularBearerModel.Run(Config(DeliveryOrder.OutOfOrder, 0), OneRetransmission(), RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal([1, 2, 3, 4, 0], r.ArrivalOrder);
        Assert.Equal(8 * Ms + 8 * Us, r.Packets[0].DeliveryTime);
        Assert.Equal(2, r.Packets[0].Transmissions);
        // RFC 4737: ESP sequence 1 arrives at position 5, the first larger (2) at position 1: extent 4.
        var m = Rfc4737Metrics.Analyze(r.ArrivalSequenceNumbers());
        Assert.Equal(1, m.Reordered);
        Assert.Equal(4, m.MaxExtent);
    }

    [Fact]
    public void In_order_delivery_hides_it_when_t_reordering_is_long_enough()
    {
        var r = CellularBearerModel.Run(Config(DeliveryOrder.InOrder, 35 * Ms), OneRetransmission(), RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal([0, 1, 2, 3, 4], r.ArrivalOrder);
        for (int i = 0; i < 5; i++) Assert.Equal(8 * Ms + 8 * Us, r.Packets[i].DeliveryTime);
    }

    [Fact]
    public void A_short_t_reordering_gives_up_and_drops_the_late_packet()
    {
        // t-Reordering 2.5 ms starts when 1 arrives (1.008 ms, RX_REORD = 2) and expires at 3.508 ms:
        // 1 is delivered, then the consecutive 2 and 3 (stored by then), RX_DELIV = 4; 4 arrives in
        // order at 4.008 ms; 0 arrives at 8.008 ms with COUNT 0 < RX_DELIV and is discarded.
        var r = CellularBearerModel.Run(Config(DeliveryOrder.InOrder, 2_500 * Us), OneRetransmission(), RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal([1, 2, 3, 4], r.ArrivalOrder);
        Assert.Equal(3_508 * Us, r.Packets[1].DeliveryTime);
        Assert.Equal(3_508 * Us, r.Packets[3].DeliveryTime);
        Assert.Equal(4_008 * Us, r.Packets[4].DeliveryTime);
        Assert.Equal(CellularDropReason.LateAfterReordering, r.Packets[0].Drop);
    }

    [Fact]
    public void Strict_priority_classes_on_one_sa_reorder_the_sequence_space()
    {
        // 125 B at 1 Mbit/s = 1 ms each. p0, p1 (low class 1) at 0; p2, p3 (high class 0) at 0.5 ms.
        // p0 starts at 0; at 1 ms the high class goes first: p2 [1,2), p3 [2,3), p1 [3,4).
        var packets = new CellularPacket[] { new(0, 125, 1, 0), new(0, 125, 1, 0), new(500 * Us, 125, 0, 0), new(500 * Us, 125, 0, 0) };
        var r = CellularBearerModel.Run(Config(DeliveryOrder.InOrder, 35 * Ms, null, new ComponentCarrier(1e6, 0)), packets, RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal([0, 2, 3, 1], r.ArrivalOrder);
        Assert.Equal(4 * Ms, r.Packets[1].DeliveryTime);
        // ESP sequence numbers arrive 1 3 4 2: 2 is reordered with extent 2 (RFC 4301 section 4.1's replay risk).
        var m = Rfc4737Metrics.Analyze(r.ArrivalSequenceNumbers());
        Assert.Equal(2, m.MaxExtent);
    }

    [Fact]
    public void Carrier_aggregation_with_unequal_delays_reorders()
    {
        // Two 1 Mbit/s carriers, the second 5 ms longer. p0 and p1 at 0 go to CC0 and CC1; p2 at 1 ms
        // and p3 at 2 ms find both free and take CC0. Arrivals: p0 1, p1 1 + 5 = 6, p2 2, p3 3 ms.
        var packets = new CellularPacket[] { new(0, 125, 0, 0), new(0, 125, 0, 0), new(1 * Ms, 125, 0, 0), new(2 * Ms, 125, 0, 0) };
        var r = CellularBearerModel.Run(Config(DeliveryOrder.OutOfOrder, 0, null, new ComponentCarrier(1e6, 0), new ComponentCarrier(1e6, 5 * Ms)), packets, RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal([0, 2, 3, 1], r.ArrivalOrder);
        Assert.Equal(1, r.Packets[1].Carrier);
        Assert.Equal(6 * Ms, r.Packets[1].MacArrival);
    }

    [Fact]
    public void Nr_numerology_sets_the_harq_round_trip()
    {
        // mu = 1: slot 0.5 ms; 4 slots = 2 ms. Packets every 0.6 ms; the first retransmitted once
        // arrives at 2 ms + 8 us, after those sent at 0.6, 1.2, 1.8 ms and before the one at 2.4 ms.
        Assert.Equal(500 * Us, HarqConfig.NrSlot(1));
        var harq = HarqConfig.Nr(1, 4, 0);
        Assert.Equal(2 * Ms, harq.RoundTrip);
        var packets = new CellularPacket[5];
        for (int i = 0; i < 5; i++) packets[i] = new CellularPacket(i * 600 * Us, 100, 0, i == 0 ? 1 : 0);
        var r = CellularBearerModel.Run(Config(DeliveryOrder.OutOfOrder, 0, harq), packets, RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal([1, 2, 3, 0, 4], r.ArrivalOrder);
        Assert.Equal(3, Rfc4737Metrics.Analyze(r.ArrivalSequenceNumbers()).MaxExtent);
    }

    [Fact]
    public void Harq_failure_loses_the_packet_with_rlc_um()
    {
        var config = Config(DeliveryOrder.OutOfOrder, 0) with { Rlc = RlcMode.Unacknowledged };
        var r = CellularBearerModel.Run(config, [new CellularPacket(0, 100, 0, 4), new CellularPacket(1 * Ms, 100, 0, 0)], RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal(CellularDropReason.HarqFailure, r.Packets[0].Drop);
        Assert.Equal([1], r.ArrivalOrder);
        // With RLC AM it comes back after 3 round trips + 40 ms: 24 + 40 ms + 8 us.
        var am = CellularBearerModel.Run(config with { Rlc = RlcMode.Acknowledged }, [new CellularPacket(0, 100, 0, 4)], RandomStream.For(1, 0, "cellular-harq"));
        Assert.Equal(64 * Ms + 8 * Us, am.Packets[0].DeliveryTime);
    }

    [Fact]
    public void Drawn_retransmissions_are_seeded_and_near_their_probability()
    {
        var packets = new CellularPacket[10_000];
        for (int i = 0; i < packets.Length; i++) packets[i] = new CellularPacket(i * Ms, 100);
        var config = Config(DeliveryOrder.OutOfOrder, 0, HarqConfig.Lte(0.1));
        var a = CellularBearerModel.Run(config, packets, RandomStream.For(7, 0, "cellular-harq"));
        var b = CellularBearerModel.Run(config, packets, RandomStream.For(7, 0, "cellular-harq"));
        Assert.Equal(a.ArrivalOrder, b.ArrivalOrder);
        int retransmitted = 0;
        foreach (var p in a.Packets) if (p.Transmissions > 1) retransmitted++;
        // Binomial(10000, 0.1): sd = 30; 5 sd = 150.
        Assert.InRange(retransmitted, 850, 1150);
    }
}
