using Lab.Core;
using Lab.Esp.IpTfs;

namespace Lab.Esp.Tests;

/// <summary>The IP-TFS senders: packing, BlockOffset, padding, queue limit, rate and wire efficiency.</summary>
public sealed class IpTfsSenderTests
{
    const long Us = SimTime.Microsecond;

    // 1538 wire octets (1500-octet outer packet + 18 + 20) x 8 = 12304 bits: at 123.04 Mbit/s one every 100 us.
    const double RateFor100Us = 123.04e6;

    /// <summary>RFC 9347 appendix A's inner flow: IP packets of 750, 750, 60, 240 and 3000 octets (frames + 18).</summary>
    static (long, int)[] AppendixAFlow(long at) => [(at, 768), (at, 768), (at, 78), (at, 258), (at, 3018)];

    [Fact]
    public void Constant_mode_packs_appendix_a_flow_with_rfc_block_offsets()
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Constant, RateFor100Us));
        h.Traffic(AppendixAFlow(Us));
        h.Run(600 * Us);
        // Seq 1 left at t = 0 before any traffic: all pad. Then, with C = 1442 data octets per payload
        // (the appendix uses C = 1400 and gets 0, 100, 2000, 600 by the same arithmetic):
        //   seq 2: 750 + 692 of the second 750                    BlockOffset 0
        //   seq 3: its last 58, 60, 240, then 1084 of the 3000    BlockOffset 1500 - C = 58
        //   seq 4: 1442 more of the 3000 (1916 were to come)     BlockOffset 3000 - 1084 = 1916 (past the end)
        //   seq 5: the last 474, then a pad block of 968          BlockOffset 1916 - 1442 = 474
        Assert.Empty(h.Sent[0].Blocks);
        Assert.Equal(1442, h.Sent[0].PadBytes);
        Assert.Equal([0, 58, 1916, 474], h.Sent.Skip(1).Take(4).Select(s => s.BlockOffset));
        Assert.Equal([(1L, 0, 750, 750), (2L, 0, 692, 750)], h.Sent[1].Blocks);
        Assert.Equal([(2L, 692, 58, 750), (3L, 0, 60, 60), (4L, 0, 240, 240), (5L, 0, 1084, 3000)], h.Sent[2].Blocks);
        Assert.Equal([(5L, 1084, 1442, 3000)], h.Sent[3].Blocks);
        Assert.Equal([(5L, 2526, 474, 3000)], h.Sent[4].Blocks);
        Assert.Equal(968, h.Sent[4].PadBytes);
        // Every outer frame is 1518 octets, one every 100 us, whatever they carry.
        Assert.All(h.Sent, s => Assert.Equal(1518, s.FrameBytes));
        Assert.Equal([0L, 100 * Us, 200 * Us, 300 * Us, 400 * Us, 500 * Us], h.Sent.Select(s => s.At));
        Assert.Equal(0, h.Sender.SizeStats.CoefficientOfVariation);
        Assert.Equal(0, h.Sender.GapStats.CoefficientOfVariation);
        Assert.Equal(5, h.Receiver.InnerDelivered);
    }

    [Fact]
    public void Demand_mode_fragments_only_the_first_packet_and_appends_whole_ones()
    {
        // XFRMA_IPTFS_PKT_SIZE 1440: payload_mtu = 1440 - 40 = 1400 data octets per outer packet.
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand, packetSize: 1440, initDelay: 10 * Us));
        h.Traffic(AppendixAFlow(Us));
        h.Run(100 * Us);
        // iptfs_output_queued at 11 us: [750] (the next 750 does not fit the 650 left), [750, 60, 240],
        // then the 3000 is first again: 1400 (BlockOffset 0), 1400 (1600 still to come), 200 (BlockOffset 200).
        Assert.Equal(5, h.Sent.Count);
        Assert.All(h.Sent, s => Assert.Equal(11 * Us, s.At));
        Assert.Equal([0, 0, 0, 1600, 200], h.Sent.Select(s => s.BlockOffset));
        Assert.Equal([(1L, 0, 750, 750)], h.Sent[0].Blocks);
        Assert.Equal([(2L, 0, 750, 750), (3L, 0, 60, 60), (4L, 0, 240, 240)], h.Sent[1].Blocks);
        Assert.Equal([(5L, 0, 1400, 3000)], h.Sent[2].Blocks);
        Assert.Equal([(5L, 1400, 1400, 3000)], h.Sent[3].Blocks);
        Assert.Equal([(5L, 2800, 200, 3000)], h.Sent[4].Blocks);
        // No padding: sizes follow the data. 750: 20 + 16 + (4 + 750 + 2 = 756) + 16 = 808, + 18; 1050: 1056 -> 1108, + 18.
        // 1400: 4 + 1400 + 2 = 1406 -> 1408; 1460 octets, 20 over pkt_size (trailer and ICV are not in it).
        Assert.Equal([826, 1126, 1478, 1478, 278], h.Sent.Select(s => s.FrameBytes));
        Assert.Equal(5, h.Receiver.InnerDelivered);
    }

    [Fact]
    public void Demand_mode_with_no_initial_delay_sends_each_spaced_packet_alone()
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand));
        h.Traffic((0, 64), (10 * Us, 64), (20 * Us, 64));
        h.Run(100 * Us);
        Assert.Equal([0L, 10 * Us, 20 * Us], h.Sent.Select(s => s.At));
        // 46 + 4 + 2 = 52: 20 + 16 + 52 + 16 = 104 octets, + 18.
        Assert.All(h.Sent, s => Assert.Equal(122, s.FrameBytes));
    }

    [Fact]
    public void Queue_limit_drops_with_no_queue_space_and_marks_ecn_above_95_percent()
    {
        // max_queue_size 1000: 21 x 46 = 966 fit, the 22nd would make 1012. The 21st takes it over 950.
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand, initDelay: 50 * Us, maxQueue: 1000));
        h.Traffic([.. Enumerable.Range(0, 30).Select(i => (1 * Us, 64))]);
        h.Run(100 * Us);
        Assert.Equal(9, h.Sender.NoQueueSpace);
        Assert.Equal(9, h.Ctx.Drops["iptfs_out.XfrmOutNoQueueSpace"]);
        Assert.Equal(1, h.Sender.EcnMarked);
        Assert.Equal(21, h.Receiver.InnerDelivered);
        // 21 x 46 = 966 octets in one outer packet.
        Assert.Single(h.Sent);
    }

    [Fact]
    public void Dont_frag_drops_packets_larger_than_an_outer_packet()
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand, dontFrag: true));
        h.Traffic((0, 1460), (0, 1461));
        h.Run(100 * Us);
        // 1442 IP octets fit (1460 frame), 1443 do not: iptfs_is_too_big -> XfrmOutError.
        Assert.Equal(1, h.Sender.OutError);
        Assert.Equal(1, h.Receiver.InnerDelivered);
    }

    [Theory]
    // A saturated constant-rate tunnel carries 1442 inner octets in every 1538 wire octets, whatever the
    // inner sizes (fragmentation fills each payload): 1442 / 1538 = 0.93758.
    [InlineData(64)]
    [InlineData(594)]
    [InlineData(1400)]
    public void Saturated_constant_mode_efficiency_does_not_depend_on_inner_size(int frame)
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Constant, RateFor100Us));
        h.Traffic([.. Enumerable.Range(0, 20_000 / frame + 40).Select(i => (0L, frame))]);
        h.Run(1000 * Us);
        // Seq 1 (t = 0) ran before the traffic arrived: all pad. Seqs 2 .. 10 are full.
        var full = h.Sent.Skip(1).Take(9).ToList();
        Assert.All(full, s => Assert.Equal(0, s.PadBytes));
        Assert.All(full, s => Assert.Equal(1442, s.Blocks.Sum(b => b.Length)));
        Assert.Equal(1442.0 / 1538, full.Sum(s => s.Blocks.Sum(b => b.Length)) / (double)full.Sum(s => s.FrameBytes + 20), 12);
    }

    [Theory]
    // Plain tunnel mode: inner / (ESP packet + 38): 46 / 138, 576 / 670, 1382 / 1474.
    [InlineData(64, 46.0 / 138)]
    [InlineData(594, 576.0 / 670)]
    [InlineData(1400, 1382.0 / 1474)]
    // 1500-octet inner: ESP 20 + 16 + 1504 + 16 = 1556 > 1500, two IP fragments: 1556 + 20 octets of the
    // second fragment's header, 2 x 38 of framing: 1652 wire octets.
    [InlineData(1518, 1500.0 / 1652)]
    public void Tunnel_mode_efficiency(int frame, double expected)
    {
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Tunnel));
        h.Traffic((0, frame), (Us, frame));
        h.Run(100 * Us);
        Assert.Equal(expected, h.Sender.InnerBytesCarried / (double)h.Sender.OuterWireBytes, 12);
        Assert.Equal(2, h.Receiver.InnerDelivered);
    }

    [Fact]
    public void Demand_mode_with_a_queue_packs_whole_small_packets_only()
    {
        // 64 x 46-octet packets queued for 100 us: 31 per outer packet (1426 of 1442 octets), never split:
        // 31 + 31 + 2. Efficiency of a full one: 1426 / (20 + 16 + (4 + 1426 + 2 = 1432) + 16 + 38) = 1426 / 1522.
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand, initDelay: 100 * Us));
        h.Traffic([.. Enumerable.Range(0, 64).Select(i => ((long)i * Us, 64))]);
        h.Run(500 * Us);
        Assert.Equal([31, 31, 2], h.Sent.Select(s => s.Blocks.Count));
        Assert.All(h.Sent.SelectMany(s => s.Blocks), b => Assert.Equal(46, b.Length));
        Assert.Equal(1522, h.Sent[0].FrameBytes + 20);
        Assert.Equal(0, h.Sender.InnerPacketsFragmented);
    }

    [Fact]
    public void Constant_mode_outer_stream_ignores_bursty_inner_traffic()
    {
        // Bursts of different sizes at irregular times; the outer stream is one 1518-octet frame every 100 us.
        var h = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Constant, RateFor100Us));
        var traffic = new List<(long, int)>();
        for (int b = 0; b < 20; b++)
            for (int k = 0; k <= b % 7; k++) traffic.Add((b * 137 * Us + k, 64 + 37 * ((b * 5 + k) % 13)));
        h.Traffic([.. traffic]);
        h.Run(3000 * Us);
        Assert.Equal(30, h.Sender.OuterPackets);
        Assert.Equal(0, h.Sender.SizeStats.CoefficientOfVariation);
        Assert.Equal(0, h.Sender.GapStats.CoefficientOfVariation);
        Assert.True(h.Sender.AllPadPackets > 0);
        Assert.Equal(traffic.Count, h.Receiver.InnerDelivered);

        var d = new IpTfsHarness(IpTfsHarness.Config(IpTfsSendMode.Demand));
        d.Traffic([.. traffic]);
        d.Run(3000 * Us);
        Assert.True(d.Sender.SizeStats.CoefficientOfVariation > 0.1);
        Assert.True(d.Sender.GapStats.CoefficientOfVariation > 0.5);
    }
}
