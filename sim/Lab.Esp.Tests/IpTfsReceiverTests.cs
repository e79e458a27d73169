using Lab.Core;
using Lab.Esp.IpTfs;

namespace Lab.Esp.Tests;

/// <summary>The receiver (xfrm_iptfs.c): reorder window, drop timer, reassembly, and what a lost outer packet costs.</summary>
public sealed class IpTfsReceiverTests
{
    const long Us = SimTime.Microsecond;
    const long Ms = SimTime.Millisecond;
    const double RateFor100Us = 123.04e6;

    /// <summary>
    /// 400 frames of 64 octets (46-octet IP packets) queued at t = 0 behind a constant-rate sender whose first
    /// payload (seq 1, t = 0) is all pad. Seq n >= 2 carries octets [(n-2) 1442, (n-1) 1442) of the inner
    /// stream: seq 3 carries [1442, 2884): the tail of packet index 31 (1442 / 46 = 31.3), packets 32 .. 61, and
    /// the head of 62 (2883 / 46 = 62.7): 32 packets, generator sequence numbers 32 .. 63.
    /// </summary>
    static IpTfsHarness SaturatedSmallPackets(int window = 3)
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Constant, RateFor100Us), new IpTfsInConfig("iptfs_out", window, SimTime.Second));
        h.Traffic([.. Enumerable.Range(0, 400).Select(i => (0L, 64))]);
        h.RecordDeliveries();
        return h;
    }

    static long[] Range(long from, long to) => [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i)];

    [Fact]
    public void Losing_one_full_outer_packet_loses_every_inner_packet_with_a_piece_in_it()
    {
        var h = SaturatedSmallPackets();
        h.DropOuter(3);
        h.Run(2 * Ms);
        Assert.Equal(1, h.Receiver.OuterLost);
        Assert.Equal(32, h.Receiver.InnerLost);
        Assert.Equal(32, h.Ctx.Drops["iptfs_in.lost_with_outer"]);
        // Seq 4 continues packet 62 while the reassembly waits for seq 3: XfrmInIptfsError.
        Assert.Equal(1, h.Receiver.XfrmInIptfsError);
        Assert.Equal([.. Range(1, 31), .. Range(64, 400)], h.Delivered.Select(d => d.Seq));
    }

    [Fact]
    public void Demand_mode_whole_packet_aggregation_loses_exactly_the_packets_of_the_outer_one()
    {
        // 31 whole 46-octet packets per outer packet, none split (see the sender tests).
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand, initDelay: 100 * Us));
        h.Traffic([.. Enumerable.Range(0, 64).Select(i => ((long)i * Us, 64))]);
        h.RecordDeliveries();
        h.DropOuter(2);
        h.Run(SimTime.Second + 200 * Us);
        Assert.Equal(31, h.Receiver.InnerLost);
        Assert.Equal(0, h.Receiver.XfrmInIptfsError);
        Assert.Equal([.. Range(1, 31), .. Range(63, 64)], h.Delivered.Select(d => d.Seq));
    }

    [Fact]
    public void Tunnel_mode_loses_one_inner_packet_per_outer_packet()
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Tunnel));
        h.Traffic([.. Enumerable.Range(0, 10).Select(i => ((long)i * Us, 64))]);
        h.RecordDeliveries();
        h.DropOuter(4);
        h.Run(100 * Us);
        Assert.Equal([1L, 2, 3, 5, 6, 7, 8, 9, 10], h.Delivered.Select(d => d.Seq));
    }

    [Fact]
    public void Reordering_within_the_window_loses_nothing_and_keeps_order()
    {
        var h = SaturatedSmallPackets();
        // Seq 3 (sent at 200 us) arrives at 350 us, after seq 4 (300 us): saved in slot 0, flushed with 3.
        h.DelayOuter(3, 150 * Us);
        h.Run(2 * Ms);
        Assert.Equal(0, h.Receiver.InnerLost);
        Assert.Equal(0, h.Receiver.XfrmInIptfsError);
        Assert.Equal(Range(1, 400), h.Delivered.Select(d => d.Seq));
    }

    [Fact]
    public void Reordering_beyond_the_window_is_a_loss_and_the_late_packet_is_dropped()
    {
        var h = SaturatedSmallPackets();
        // Seq 3 arrives at 650 us; seq 7 (600 us) is 4 past the wanted 3 with 3 slots: the window gives 3 up.
        h.DelayOuter(3, 450 * Us);
        h.Run(2 * Ms);
        Assert.Equal(1, h.Receiver.OuterLost);
        Assert.Equal(1, h.Receiver.OuterLate);
        Assert.Equal(32, h.Receiver.InnerLost);
    }

    [Fact]
    public void Without_a_window_reordering_costs_what_a_loss_costs()
    {
        // reorder_window 0 (the kernel's fast path): seq 4 is processed before 3. Its continuation of packet
        // 62 arrives while packet 31 waits for seq 3: XfrmInIptfsError, 31 abandoned; seq 4 ends with 2
        // octets of packet 94 (a runt: 4326 - 94 x 46 = 2), so ra_wantseq = 5. When seq 3 comes, 3 < 5:
        // iptfs_reassem_cont skips its whole payload. Lost: 31 .. 62 (32); 94 is completed from seq 5.
        var h = SaturatedSmallPackets(window: 0);
        h.DelayOuter(3, 150 * Us);
        h.Run(2 * Ms);
        Assert.Equal(1, h.Receiver.XfrmInIptfsError);
        Assert.Equal(32, h.Receiver.InnerLost);
        Assert.Equal(0, h.Receiver.OuterLost);
        Assert.Equal([.. Range(1, 31), .. Range(64, 400)], h.Delivered.Select(d => d.Seq).Order());
    }

    [Fact]
    public void Packets_after_a_loss_wait_for_the_window_to_move_past_it()
    {
        // One packet every 10 ms, each in its own outer packet (demand mode, no delay); outer seq 2 is lost.
        // Seqs 3, 4, 5 wait in the 3 slots; seq 6 (50 ms) pushes the window past 2: 3, 4, 5, 6 leave at
        // 50 ms, after 30, 20, 10, 0 ms: RFC 9347 2.2.3, "delayed by up to the reorder window size times
        // the per packet send rate".
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand));
        h.Traffic([.. Enumerable.Range(0, 6).Select(i => ((long)i * 10 * Ms, 64))]);
        h.RecordDeliveries();
        h.DropOuter(2);
        h.Run(100 * Ms);
        Assert.Equal([(1L, 0L), (3, 30 * Ms), (4, 20 * Ms), (5, 10 * Ms), (6, 0)], h.Delivered);
    }

    [Fact]
    public void Drop_timer_releases_the_window_when_no_more_packets_come()
    {
        // Seq 2 lost, seq 3 saved at 20 ms; nothing follows. The drop timer (drop_time 100 ms, set when 3
        // was saved as the newest) gives 2 up at 120 ms and 3 is delivered 100 ms late.
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand), new IpTfsInConfig("iptfs_out", 3, 100 * Ms));
        h.Traffic((0, 64), (10 * Ms, 64), (20 * Ms, 64));
        h.RecordDeliveries();
        h.DropOuter(2);
        h.Run(SimTime.Second);
        Assert.Equal([(1L, 0L), (3, 100 * Ms)], h.Delivered);
        Assert.Equal(1, h.Receiver.OuterLost);
        Assert.Equal(1, h.Receiver.InnerLost);
    }

    [Fact]
    public void Drop_timer_discards_an_unfinished_reassembly()
    {
        // A 3000-octet packet in three outer packets (1442, 1442, 116); the third is lost and nothing follows
        // until a small packet at 200 ms (seq 4). The timer started with the reassembly (0 ms) fires at 100 ms
        // and discards it; seq 4 is saved behind the missing 3 and waits drop_time: it leaves at 300 ms,
        // when seq 3 is given up and the 3000-octet packet is counted lost with it.
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand), new IpTfsInConfig("iptfs_out", 3, 100 * Ms));
        h.Traffic((0, 3018), (200 * Ms, 64));
        h.RecordDeliveries();
        h.DropOuter(3);
        h.Run(SimTime.Second);
        Assert.Equal(1, h.Receiver.ReassemblyTimeouts);
        Assert.Equal(1, h.Receiver.InnerLost);
        Assert.Equal(1, h.Ctx.Drops["iptfs_in.lost_with_outer"]);
        Assert.Equal([(2L, 100 * Ms)], h.Delivered);
    }

    [Fact]
    public void Fragments_are_reassembled_with_the_original_creation_time()
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Constant, RateFor100Us));
        h.Traffic((Us, 9018));
        h.RecordDeliveries();
        h.Run(2 * Ms);
        // 9000 octets need 7 payloads of 1442 (6 x 1442 = 8652); sent at 100 .. 700 us: delivered at 700 us,
        // 699 us after it was created.
        Assert.Equal([(1L, 699 * Us)], h.Delivered);
    }

    [Fact]
    public void Tfrc_equation_matches_rfc_9347_appendix_b()
    {
        // p = 0.01, R = 100 ms: sqrt(2p/3) = 0.0816497, 12 sqrt(3p/8) p (1 + 32 p^2) = 0.0073720;
        // X = 1 / (0.1 x 0.0890216) = 112.332 packets/s.
        Assert.Equal(112.332, Tfrc.PacketsPerSecond(0.01, 0.1), 3);
        // p = 0.1, R = 50 ms: 0.2581989 + 0.3067402 = 0.5649392; X = 35.402.
        Assert.Equal(35.402, Tfrc.PacketsPerSecond(0.1, 0.05), 3);
        // W_init = min(4 s, max(2 s, 4380)): 4380 / 1500 = 2.92 packets; 4000 / 1000 = 4.
        Assert.Equal(2.92, Tfrc.InitialWindowPackets(1500), 12);
        Assert.Equal(4, Tfrc.InitialWindowPackets(1000), 12);
    }

    [Fact]
    public void Loss_event_rate_is_the_weighted_mean_of_rfc_5348_section_5_4()
    {
        var h = new LossEventHistory();
        for (long s = 1; s <= 100; s++) h.Seen(s);
        Assert.Equal(0u, h.LossEventRateField());
        h.Lost(101, sentAt: 101 * Ms, rtt: 20 * Ms);
        // A loss within one RTT of the event start is the same event.
        h.Lost(105, sentAt: 110 * Ms, rtt: 20 * Ms);
        Assert.Equal(1, h.Events);
        for (long s = 106; s <= 150; s++) h.Seen(s);
        h.Lost(151, sentAt: 200 * Ms, rtt: 20 * Ms);
        for (long s = 152; s <= 160; s++) h.Seen(s);
        // Closed intervals 50 (151 - 101) and 100 (packets before the first loss); open I_0 = 160 - 151 + 1 = 10.
        // I_tot0 = 10 x 1 + 50 x 1 = 60, I_tot1 = 50 x 1 + 100 x 1 = 150, W = 2: I_mean = 75, p = 1/75.
        Assert.Equal(2, h.Events);
        Assert.Equal(75.0, h.MeanInterval(), 12);
        Assert.Equal(75u, h.LossEventRateField());
    }
}
