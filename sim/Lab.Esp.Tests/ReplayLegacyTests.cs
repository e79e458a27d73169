using Lab.Esp.Replay;
using Lab.Esp.Sa;

namespace Lab.Esp.Tests;

/// <summary>
/// xfrm_replay_check_legacy / xfrm_replay_advance (net/xfrm/xfrm_replay.c, v6.12), values worked
/// out by hand from the source. "bit d" of x->replay.bitmap means "top - d was received".
/// </summary>
public class ReplayLegacyTests
{
    static XfrmStateIn Sa(uint window, uint seq = 0) =>
        new(new XfrmId(0x100, XfrmAddress.Parse("192.0.2.1"), XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.None,
            XfrmReplay.Create(XfrmReplayMode.Legacy, window, seq));

    [Fact]
    public void Window32_after_1_to_100_68_is_too_old_and_resent_99_is_a_duplicate()
    {
        var sa = Sa(32);
        var mib = new XfrmMib();
        for (ulong s = 1; s <= 100; s++) Assert.Equal(DropReason.None, sa.Input(s, mib));

        // top = 100; 69..100 are the last 32 packets, so all 32 bits are set.
        Assert.Equal(100u, sa.Replay.Seq);
        Assert.Equal(0xffffffffu, sa.Replay.Bitmap);

        // 68: diff = 100 - 68 = 32 >= window 32 -> replay_window.
        Assert.Equal(DropReason.ReplayWindow, sa.Input(68, mib));
        // 69: diff 31 < 32, bit 31 set -> duplicate.
        Assert.Equal(DropReason.Replay, sa.Input(69, mib));
        // resent 99: diff 1, bit 1 set -> duplicate.
        Assert.Equal(DropReason.Replay, sa.Input(99, mib));

        Assert.Equal(1u, sa.Stats.ReplayWindow);
        Assert.Equal(2u, sa.Stats.Replay);
        Assert.Equal(0u, sa.Stats.IntegrityFailed);
        Assert.Equal(3ul, mib.XfrmInStateSeqError);
        Assert.Equal(100ul, sa.CurlftPackets);
    }

    [Fact]
    public void Sequence_zero_is_dropped_without_a_per_sa_counter()
    {
        var sa = Sa(32);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.SequenceZero, sa.Input(0, mib));
        Assert.Equal(default, sa.Stats);
        Assert.Equal(1ul, mib.XfrmInStateSeqError);
        Assert.Equal(0u, sa.Replay.Seq);
    }

    [Fact]
    public void Window_zero_accepts_everything_including_duplicates_and_zero_and_keeps_no_state()
    {
        // xfrm_replay_check_legacy returns 0 before looking at seq when replay_window is 0,
        // and xfrm_replay_advance returns at once.
        var sa = Sa(0);
        var mib = new XfrmMib();
        foreach (ulong s in new ulong[] { 5, 5, 0, 1, 5 }) Assert.Equal(DropReason.None, sa.Input(s, mib));
        Assert.Equal(0u, sa.Replay.Seq);
        Assert.Equal(0u, sa.Replay.Bitmap);
        Assert.Equal(0ul, mib.XfrmInStateSeqError);
    }

    [Fact]
    public void Window_above_32_is_clamped_to_32_like_copy_from_user_state()
    {
        var r = XfrmReplay.Create(XfrmReplayMode.Legacy, 64);
        Assert.Equal(32u, r.ReplayWindow);
        var sa = Sa(64);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Input(40, mib));
        // diff 40 - 8 = 32: too old for the clamped window although 32 < 64.
        Assert.Equal(DropReason.ReplayWindow, sa.Input(8, mib));
    }

    [Fact]
    public void A_jump_of_more_than_the_window_resets_the_bitmap_to_one()
    {
        var sa = Sa(32);
        var mib = new XfrmMib();
        for (ulong s = 1; s <= 5; s++) sa.Input(s, mib);
        Assert.Equal(0x1fu, sa.Replay.Bitmap); // 1..5 -> bits 0..4
        Assert.Equal(DropReason.None, sa.Input(100, mib)); // diff 95 >= 32 -> bitmap = 1
        Assert.Equal(1u, sa.Replay.Bitmap);
        Assert.Equal(DropReason.None, sa.Input(99, mib)); // diff 1, bit clear: late but new
        Assert.Equal(3u, sa.Replay.Bitmap);
        Assert.Equal(DropReason.ReplayWindow, sa.Input(5, mib)); // diff 95
    }

    [Fact]
    public void A_small_window_keeps_shifted_bits_beyond_the_window_in_the_32_bit_word()
    {
        // Window 4: each of 1..10 shifts the bitmap by 1 and sets bit 0, so all 10 bits are set
        // (0x3ff), although only diffs 0..3 are ever consulted. iproute2 shows this word.
        var sa = Sa(4);
        var mib = new XfrmMib();
        for (ulong s = 1; s <= 10; s++) sa.Input(s, mib);
        Assert.Equal(0x3ffu, sa.Replay.Bitmap);
        Assert.Equal(DropReason.ReplayWindow, sa.Input(6, mib)); // diff 4 >= 4, bit 4 set but not looked at
        Assert.Equal(DropReason.Replay, sa.Input(7, mib));       // diff 3
    }

    [Fact]
    public void Initial_replay_seq_is_the_top_but_its_bit_is_clear()
    {
        // iproute2 replay-seq 50 sends XFRMA_REPLAY_VAL {seq 50, bitmap 0}: 50 itself is unseen.
        var sa = Sa(32, seq: 50);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Input(50, mib));
        Assert.Equal(DropReason.Replay, sa.Input(50, mib));
        Assert.Equal(DropReason.ReplayWindow, sa.Input(18, mib)); // diff 32
    }

    [Fact]
    public void Recheck_after_the_async_gap_catches_a_duplicate_that_passed_the_first_check()
    {
        // Two copies of 5 are both checked before either finished decrypting (cryptd/pcrypt).
        var sa = Sa(32);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.InputBegin(5, EspEncap.None, mib, out var t1));
        Assert.Equal(DropReason.None, sa.InputBegin(5, EspEncap.None, mib, out var t2));
        Assert.Equal(DropReason.None, sa.InputResume(t1, icvVerified: true, 100, mib));
        Assert.Equal(DropReason.Replay, sa.InputResume(t2, icvVerified: true, 100, mib));
        Assert.Equal(1u, sa.Stats.Replay);
        Assert.Equal(1ul, mib.XfrmInStateSeqError);
        Assert.Equal(1ul, sa.CurlftPackets);
        Assert.Equal(100ul, sa.CurlftBytes);
    }

    [Fact]
    public void A_failed_icv_counts_integrity_failed_and_proto_error_and_does_not_advance()
    {
        var sa = Sa(32);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.IntegrityFailed, sa.Input(7, mib, payloadIntact: false));
        Assert.Equal(1u, sa.Stats.IntegrityFailed);
        Assert.Equal(1ul, mib.XfrmInStateProtoError);
        Assert.Equal(0ul, mib.XfrmInStateSeqError);
        Assert.Equal(0u, sa.Replay.Seq);
        Assert.Equal(DropReason.None, sa.Input(7, mib)); // the genuine packet still gets in
    }
}
