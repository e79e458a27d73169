using Lab.Esp.Replay;
using Lab.Esp.Sa;

namespace Lab.Esp.Tests;

/// <summary>
/// xfrm_replay_check_esn / xfrm_replay_seqhi / xfrm_replay_recheck_esn / xfrm_replay_advance_esn
/// (v6.12) with the inbound order of xfrm_input, and RFC 4303 appendix A: only the low half of the
/// sequence number travels, the receiver infers the high half and feeds it into the ICV.
/// Numbers are written as the full 64-bit values the sender used.
/// </summary>
public class ReplayEsnTests
{
    const ulong Sub1 = 1ul << 32;

    static XfrmStateIn Sa(uint window, uint seq = 0, uint seqHi = 0) =>
        new(new XfrmId(0x300, XfrmAddress.Parse("198.51.100.7"), XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.EspInUdp,
            XfrmReplay.Create(XfrmReplayMode.Esn, window, seq, seqHi));

    [Fact]
    public void Crossing_2_pow_32_forward_then_late_packets_from_the_old_subspace()
    {
        var sa = Sa(32, seq: 0xfffffff0);
        var mib = new XfrmMib();

        // 0xfffffff1 .. 0x1_00000005: 15 + 6 = 21 packets, all new. The one with low half 0 is
        // 2^32 itself: top 0xffffffff >= 31 (case A), bottom 0xffffffe0, 0 < bottom -> seq_hi + 1.
        for (ulong s = 0xfffffff1; s <= Sub1 + 5; s++) Assert.Equal(DropReason.None, sa.Input(s, mib));
        Assert.Equal((1u, 5u), (sa.Replay.SeqHi, sa.Replay.Seq));

        // Now top low 5 < 31: case B, the window spans two subspaces; bottom = 5 - 32 + 1 = 0xffffffe6.
        Assert.Equal(DropReason.Replay, sa.Input(Sub1 + 3, mib));      // diff 2
        Assert.Equal(DropReason.Replay, sa.Input(0xfffffff5, mib));    // low >= bottom: diff ~seq + top + 1 = 16
        Assert.Equal(DropReason.None, sa.Input(0xffffffe6, mib));      // diff 31, never seen; seq_hi inferred 0
        Assert.Equal(DropReason.None, sa.Input(0xfffffff0, mib));      // the initial top, never seen (bit clear)

        // 0xffffffe5 is one below the window: top < low < bottom reads as "new, this subspace",
        // seq_hi 1, so the receiver authenticates 0x1_ffffffe5; the sender used 0x0_ffffffe5.
        Assert.Equal(DropReason.IntegrityFailed, sa.Input(0xffffffe5, mib));

        // Bits are (n - 1) mod 32 (2^32 is a multiple of 32): f1..ff -> 16..30, 2^32 -> 31,
        // 2^32+1..+5 -> 0..4, e6 -> 5, f0 -> 15.
        Assert.Equal(0xffff003fu | (1u << 15), sa.Replay.Bmp[0]);
        Assert.Equal((1u, 5u), (sa.Replay.SeqHi, sa.Replay.Seq));
        Assert.Equal((0u, 2u, 1u), (sa.Stats.ReplayWindow, sa.Stats.Replay, sa.Stats.IntegrityFailed));
        Assert.Equal(2ul, mib.XfrmInStateSeqError);
        Assert.Equal(1ul, mib.XfrmInStateProtoError);
    }

    [Fact]
    public void Crossing_2_pow_32_backward_window_spans_two_subspaces_from_the_start()
    {
        // SA installed at top 0x2_00000003 (replay-seq-hi 2, replay-seq 3), window 64: the window
        // covers 0x1_ffffffc4 .. 0x2_00000003.
        var sa = Sa(64, seq: 3, seqHi: 2);
        var mib = new XfrmMib();
        Assert.Equal(1u, sa.Replay.InferSeqHi(0xffffffc4)); // bottom = 3 - 64 + 1 = 0xffffffc4 -> previous subspace
        Assert.Equal(2u, sa.Replay.InferSeqHi(0xffffffc3)); // below the bottom -> "new" in subspace 2
        Assert.Equal(2u, sa.Replay.InferSeqHi(2));

        Assert.Equal(DropReason.None, sa.Input((1ul << 33) - 60, mib)); // 0x1_ffffffc4, diff 63
        Assert.Equal(DropReason.None, sa.Input((1ul << 33) - 1, mib));  // 0x1_ffffffff, diff 4
        Assert.Equal(DropReason.Replay, sa.Input((1ul << 33) - 1, mib));
        Assert.Equal(DropReason.None, sa.Input((2ul << 32) + 10, mib)); // forward, same subspace
        Assert.Equal((2u, 10u), (sa.Replay.SeqHi, sa.Replay.Seq));
    }

    [Fact]
    public void Wrong_seq_hi_inference_fails_the_icv_and_leaves_the_state_alone()
    {
        // Top 100 in subspace 0, window 32, nothing received below it. The sender has lost
        // 2^32 - 30 packets and sends 0x1_00000046 (low 70): low 70 lies inside the window
        // (diff 30, bit clear), so the check passes and seq_hi is inferred 0; the ICV over
        // (SPI, seq_hi 0, seq 70) does not match the sender's (SPI, 1, 70).
        var sa = Sa(32, seq: 100);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.InputBegin(70, EspEncap.EspInUdp, mib, out var ticket));
        Assert.Equal(new EspInputTicket(70, 0), ticket);
        Assert.False(ticket.IcvMatches(Sub1 + 70, esn: true));
        Assert.Equal(DropReason.IntegrityFailed, sa.InputResume(ticket, false, 0, mib));

        Assert.Equal(1u, sa.Stats.IntegrityFailed);
        Assert.Equal(1ul, mib.XfrmInStateProtoError);
        Assert.Equal(0ul, mib.XfrmInStateSeqError);
        Assert.Equal((0u, 100u, 0u), (sa.Replay.SeqHi, sa.Replay.Seq, sa.Replay.Bmp[0]));

        // Without ESN the same low half authenticates (the AAD has no high half).
        Assert.True(ticket.IcvMatches(Sub1 + 70, esn: false));
    }

    [Fact]
    public void Right_inference_into_the_next_subspace_clears_the_bitmap()
    {
        // Low 50 < bottom 69 -> seq_hi 1 = the sender's: accepted, diff ~100 + 50 + 1 =
        // 2^32 - 50 >= 32 -> bitmap cleared, then bit (100 - 1 + diff) % 32 = (50 - 1) % 32 = 17.
        var sa = Sa(32, seq: 100);
        var mib = new XfrmMib();
        for (ulong s = 90; s <= 100; s++) sa.Input(s, mib);
        Assert.Equal(DropReason.None, sa.Input(Sub1 + 50, mib));
        Assert.Equal((1u, 50u, 1u << 17), (sa.Replay.SeqHi, sa.Replay.Seq, sa.Replay.Bmp[0]));
    }

    [Fact]
    public void A_packet_older_than_the_window_counts_as_integrity_failed_not_replay_window()
    {
        // RFC 4303 A2.2: below the window the receiver assumes the next subspace. Top 100,
        // window 32: 10 < bottom 69 -> seq_hi 1, the sender used 0.
        var sa = Sa(32, seq: 100);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.IntegrityFailed, sa.Input(10, mib));
        Assert.Equal((0u, 0u, 1u), (sa.Stats.ReplayWindow, sa.Stats.Replay, sa.Stats.IntegrityFailed));
    }

    [Fact]
    public void Sequence_zero_is_dropped_only_at_the_start_of_the_first_subspace()
    {
        var sa = Sa(32);
        var mib = new XfrmMib();
        // seq 0, seq_hi 0, top 0 < 31 -> dropped, no per-SA counter.
        Assert.Equal(DropReason.SequenceZero, sa.Input(0, mib));
        Assert.Equal(default, sa.Stats);
        for (ulong s = 1; s <= 40; s++) sa.Input(s, mib);
        // top 40 >= 31: low 0 < bottom 9 is the next subspace's 2^32, a legitimate number.
        Assert.Equal(DropReason.None, sa.Input(Sub1, mib));
        Assert.Equal((1u, 0u), (sa.Replay.SeqHi, sa.Replay.Seq));
        Assert.Equal(1ul, mib.XfrmInStateSeqError);
    }

    [Fact]
    public void Window_zero_is_refused_for_an_inbound_esn_sa()
    {
        Assert.Contains("must be > 0", XfrmReplay.Validate(XfrmReplayMode.Esn, 0, 0), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => XfrmReplay.Create(XfrmReplayMode.Esn, 0));
        // An outbound ESN SA may have window 0 (xfrm_init_replay checks dir).
        Assert.Equal(0u, XfrmReplay.Create(XfrmReplayMode.Esn, 0, inbound: false).ReplayWindow);
    }

    [Fact]
    public void Recheck_counts_a_seq_hi_that_moved_during_async_crypto_as_replay_window()
    {
        // Top 0xfffffff0 (case A, bottom 0xffffffd1). A = 0xffffffe0 passes the check with
        // seq_hi 0 and goes to the crypto; meanwhile B = 0x1_00000010 completes: diff
        // ~0xfffffff0 + 0x10 + 1 = 32 -> bitmap cleared, top 0x1_00000010. Now the window spans
        // two subspaces with bottom 0xfffffff1 and A's low half (< bottom) infers seq_hi 1 != 0.
        var sa = Sa(32, seq: 0xfffffff0);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.InputBegin(0xffffffe0, EspEncap.EspInUdp, mib, out var a));
        Assert.Equal(DropReason.None, sa.InputBegin(0x10, EspEncap.EspInUdp, mib, out var b));
        Assert.Equal(1u, b.SeqHi);
        Assert.Equal(DropReason.None, sa.InputResume(b, b.IcvMatches(Sub1 + 0x10, true), 0, mib));
        Assert.True(a.IcvMatches(0xffffffe0, true));
        Assert.Equal(DropReason.ReplayWindow, sa.InputResume(a, true, 0, mib));
        Assert.Equal(1u, sa.Stats.ReplayWindow);
        Assert.Equal(1ul, mib.XfrmInStateSeqError);
    }

    [Fact]
    public void Kernel_quirk_window_not_dividing_2_pow_32_misplaces_the_ring_after_crossing()
    {
        // The ring index is (seq - 1) % window on the low half, but advance places a new top at
        // (pos + diff) % window. For window 100, 2^32 is not a multiple of the window: 0xfffffff0
        // .. 0xffffffff land on bits 79..94 (0xffffffee % 100 = 78), 2^32 on (94 + 1) = 95 and
        // 2^32 + 1 on 96, while a later check of low half 1 reads bit (1 - 1) % 100 = 0, which
        // is clear. A resent 0x1_00000001 therefore slips through, exactly as in the kernel;
        // power-of-two windows (32, 64, ..., 4096) divide 2^32 and are not affected.
        var sa = Sa(100, seq: 0xffffffef);
        var mib = new XfrmMib();
        for (ulong s = 0xfffffff0; s <= Sub1 + 1; s++) Assert.Equal(DropReason.None, sa.Input(s, mib));
        Assert.Equal(DropReason.None, sa.Input(Sub1 + 1, mib));

        var pow2 = Sa(128, seq: 0xffffffef);
        for (ulong s = 0xfffffff0; s <= Sub1 + 1; s++) pow2.Input(s, mib);
        Assert.Equal(DropReason.Replay, pow2.Input(Sub1 + 1, mib));
    }
}
