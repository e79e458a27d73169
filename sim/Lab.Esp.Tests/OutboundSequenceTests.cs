using Lab.Esp.Replay;
using Lab.Esp.Sa;

namespace Lab.Esp.Tests;

/// <summary>xfrm_replay_overflow* (v6.12) through <see cref="XfrmStateOut.Output"/>.</summary>
public class OutboundSequenceTests
{
    static XfrmStateOut Out(XfrmReplayMode mode, uint oseq = 0, uint oseqHi = 0, bool mayWrap = false) =>
        new(new XfrmId(0x400, XfrmAddress.Parse("203.0.113.9"), XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.None,
            XfrmReplay.Create(mode, 0, oseq: oseq, oseqHi: oseqHi, inbound: false), mayWrap);

    [Theory]
    [InlineData(XfrmReplayMode.Legacy)]
    [InlineData(XfrmReplayMode.Bmp)]
    [InlineData(XfrmReplayMode.Esn)]
    public void First_packet_carries_1_then_consecutive(XfrmReplayMode mode)
    {
        var sa = Out(mode);
        var mib = new XfrmMib();
        for (ulong expect = 1; expect <= 3; expect++)
        {
            Assert.Equal(DropReason.None, sa.Output(1, false, mib, out var seq, out var sent));
            Assert.Equal((expect, 1), (seq, sent));
        }
    }

    [Theory]
    [InlineData(XfrmReplayMode.Legacy)]
    [InlineData(XfrmReplayMode.Bmp)]
    public void A_32_bit_counter_stops_the_sa_at_0xffffffff(XfrmReplayMode mode)
    {
        var sa = Out(mode, oseq: 0xfffffffe);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Output(1, false, mib, out var last, out _));
        Assert.Equal(0xfffffffful, last);
        Assert.Equal(DropReason.OutSequenceOverflow, sa.Output(1, false, mib, out _, out var sent));
        Assert.Equal(0, sent);
        Assert.Equal(DropReason.OutSequenceOverflow, sa.Output(1, false, mib, out _, out _));
        Assert.Equal(0xffffffffu, sa.Replay.Oseq); // oseq-- after the failed ++
        Assert.Equal(2ul, mib.XfrmOutStateSeqError);
    }

    [Fact]
    public void Oseq_may_wrap_sends_0_then_1()
    {
        var sa = Out(XfrmReplayMode.Legacy, oseq: 0xffffffff, mayWrap: true);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Output(1, false, mib, out var s0, out _));
        Assert.Equal(0ul, s0); // the receiver will drop it (sequence 0)
        Assert.Equal(DropReason.None, sa.Output(1, false, mib, out var s1, out _));
        Assert.Equal(1ul, s1);
    }

    [Fact]
    public void Esn_carries_into_the_high_half_and_sends_low_half_0()
    {
        var sa = Out(XfrmReplayMode.Esn, oseq: 0xffffffff);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Output(1, false, mib, out var seq, out _));
        Assert.Equal(1ul << 32, seq);
        Assert.Equal((0u, 1u), (sa.Replay.Oseq, sa.Replay.OseqHi));
    }

    [Fact]
    public void Esn_fails_only_when_all_64_bits_are_used_and_keeps_the_state()
    {
        var sa = Out(XfrmReplayMode.Esn, oseq: 0xffffffff, oseqHi: 0xffffffff);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.OutSequenceOverflow, sa.Output(1, false, mib, out _, out _));
        Assert.Equal((0xffffffffu, 0xffffffffu), (sa.Replay.Oseq, sa.Replay.OseqHi));
    }

    [Fact]
    public void Software_gso_numbers_each_segment()
    {
        var sa = Out(XfrmReplayMode.Bmp, oseq: 10);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Output(4, false, mib, out var first, out var sent));
        Assert.Equal((11ul, 4, 14u), (first, sent, sa.Replay.Oseq));
        Assert.Equal(4ul, sa.CurlftPackets);
    }

    [Fact]
    public void Software_gso_sends_the_segments_before_the_overflow_and_frees_the_rest()
    {
        // xfrm_output_gso: segments 0xfffffffe and 0xffffffff go out, the third hits -EOVERFLOW
        // and kfree_skb_list drops the fourth.
        var sa = Out(XfrmReplayMode.Legacy, oseq: 0xfffffffd);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.OutSequenceOverflow, sa.Output(4, false, mib, out var first, out var sent));
        Assert.Equal((0xfffffffeul, 2), (first, sent));
        Assert.Equal(0xffffffffu, sa.Replay.Oseq);
        Assert.Equal(1ul, mib.XfrmOutStateSeqError);
    }

    [Fact]
    public void Offload_gso_advances_by_the_segment_count_and_refuses_a_batch_that_would_wrap()
    {
        var sa = Out(XfrmReplayMode.Legacy, oseq: 100);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Output(8, true, mib, out var first, out var sent));
        Assert.Equal((101ul, 8, 108u), (first, sent, sa.Replay.Oseq));

        var full = Out(XfrmReplayMode.Bmp, oseq: 0xfffffffd);
        // 0xfffffffd + 4 wraps to 1 < 0xfffffffd -> the whole skb is refused, oseq unchanged.
        Assert.Equal(DropReason.OutSequenceOverflow, full.Output(4, true, mib, out _, out var none));
        Assert.Equal((0, 0xfffffffdu), (none, full.Replay.Oseq));
    }

    [Fact]
    public void Offload_gso_with_esn_crosses_into_the_next_subspace()
    {
        var sa = Out(XfrmReplayMode.Esn, oseq: 0xfffffffd);
        var mib = new XfrmMib();
        // first segment 0xfffffffe keeps seq_hi 0; the counter ends at 0x1_00000001.
        Assert.Equal(DropReason.None, sa.Output(4, true, mib, out var first, out _));
        Assert.Equal(0xfffffffeul, first);
        Assert.Equal((1u, 1u), (sa.Replay.Oseq, sa.Replay.OseqHi));

        // When the first segment itself wraps (oseq 0xffffffff), it gets the new seq_hi.
        var sb = Out(XfrmReplayMode.Esn, oseq: 0xffffffff);
        Assert.Equal(DropReason.None, sb.Output(2, true, mib, out var f2, out _));
        Assert.Equal(1ul << 32, f2);
    }

    [Fact]
    public void Outbound_esn_numbers_pass_an_inbound_esn_sa_across_2_pow_32()
    {
        var mib = new XfrmMib();
        var tx = Out(XfrmReplayMode.Esn, oseq: 0xfffffff0);
        var rx = new XfrmStateIn(tx.Id, XfrmMode.Tunnel, EspEncap.None, XfrmReplay.Create(XfrmReplayMode.Esn, 64, seq: 0xfffffff0));
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(DropReason.None, tx.Output(1, false, mib, out var seq, out _));
            Assert.Equal(DropReason.None, rx.Input(seq, mib));
        }
        Assert.Equal((1u, 0x18u), (rx.Replay.SeqHi, rx.Replay.Seq)); // 0xfffffff0 + 40 = 0x1_00000018
    }
}
