using Lab.Esp.Replay;
using Lab.Esp.Sa;

namespace Lab.Esp.Tests;

/// <summary>
/// xfrm_replay_check_bmp / xfrm_replay_advance_bmp (v6.12). The bitmap is a ring: the top's bit is
/// pos = (seq - 1) % window, "diff below the top" is bit (pos - diff) mod window, word bit >> 5,
/// bit bit &amp; 31.
/// </summary>
public class ReplayBmpTests
{
    static XfrmStateIn Sa(uint window, uint seq = 0) =>
        new(new XfrmId(0x200, XfrmAddress.Parse("2001:db8::1"), XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.None,
            XfrmReplay.Create(XfrmReplayMode.Bmp, window, seq));

    [Fact]
    public void Window_4096_accepts_top_minus_4095_and_rejects_top_minus_4096()
    {
        var sa = Sa(4096, seq: 10000);
        var mib = new XfrmMib();
        Assert.Equal(128, sa.Replay.BmpLen); // ceil(4096 / 32)

        // 10000 - 4096 = 5904: diff 4096 >= 4096 -> replay_window.
        Assert.Equal(DropReason.ReplayWindow, sa.Input(5904, mib));
        // 10000 - 4095 = 5905: diff 4095, bit clear -> accepted.
        Assert.Equal(DropReason.None, sa.Input(5905, mib));
        // Its bit: pos = 9999 % 4096 = 1807; diff 4095 > pos -> 4096 - (4095 - 1807) = 1808,
        // word 1808 >> 5 = 56, bit 1808 & 31 = 16.
        Assert.Equal(1u << 16, sa.Replay.Bmp[56]);
        for (int i = 0; i < 128; i++) if (i != 56) Assert.Equal(0u, sa.Replay.Bmp[i]);
        Assert.Equal(DropReason.Replay, sa.Input(5905, mib));
        Assert.Equal(10000u, sa.Replay.Seq);
        Assert.Equal((1u, 1u), (sa.Stats.ReplayWindow, sa.Stats.Replay));
    }

    [Fact]
    public void Window_32_behaves_like_legacy_for_1_to_100_then_68_and_99()
    {
        var sa = Sa(32);
        var mib = new XfrmMib();
        for (ulong s = 1; s <= 100; s++) Assert.Equal(DropReason.None, sa.Input(s, mib));
        Assert.Equal(0xffffffffu, sa.Replay.Bmp[0]);
        Assert.Equal(DropReason.ReplayWindow, sa.Input(68, mib));
        Assert.Equal(DropReason.Replay, sa.Input(99, mib));
        Assert.Equal(DropReason.SequenceZero, sa.Input(0, mib));
        Assert.Equal(3ul, mib.XfrmInStateSeqError);
    }

    [Fact]
    public void A_jump_of_more_than_the_window_clears_every_word()
    {
        var sa = Sa(64);
        var mib = new XfrmMib();
        for (ulong s = 1; s <= 10; s++) sa.Input(s, mib);
        Assert.Equal(0x3ffu, sa.Replay.Bmp[0]);
        // 100: diff 90 >= 64 -> words 0..(64-1)>>5 = 0..1 cleared; pos = 9, bit (9 + 90) % 64 = 35
        // -> word 1, bit 3.
        Assert.Equal(DropReason.None, sa.Input(100, mib));
        Assert.Equal(0u, sa.Replay.Bmp[0]);
        Assert.Equal(8u, sa.Replay.Bmp[1]);
        Assert.Equal(DropReason.ReplayWindow, sa.Input(10, mib)); // diff 90
        Assert.Equal(DropReason.None, sa.Input(99, mib));         // diff 1, its bit was cleared
    }

    [Fact]
    public void A_jump_inside_the_window_clears_only_the_skipped_bits()
    {
        var sa = Sa(64);
        var mib = new XfrmMib();
        for (ulong s = 1; s <= 64; s++) sa.Input(s, mib);
        Assert.Equal((0xffffffffu, 0xffffffffu), (sa.Replay.Bmp[0], sa.Replay.Bmp[1]));
        // 70: pos = 63, diff 6: bits (63 + 1..5) % 64 = 0..4 cleared (they held 1..5), bit 5 set.
        Assert.Equal(DropReason.None, sa.Input(70, mib));
        Assert.Equal(0xffffffe0u | (1u << 5), sa.Replay.Bmp[0]);
        Assert.Equal(DropReason.ReplayWindow, sa.Input(6, mib)); // diff 64
        Assert.Equal(DropReason.Replay, sa.Input(7, mib));       // diff 63 -> bit 64 - (63 - 5) = 6, set by 7
        Assert.Equal(DropReason.None, sa.Input(65, mib));        // diff 5 -> bit 0, cleared
    }

    [Fact]
    public void Window_zero_gives_no_replay_protection()
    {
        var sa = Sa(0);
        var mib = new XfrmMib();
        Assert.Equal(0, sa.Replay.BmpLen);
        foreach (ulong s in new ulong[] { 3, 3, 0, 1 }) Assert.Equal(DropReason.None, sa.Input(s, mib));
        Assert.Equal(0ul, mib.XfrmInStateSeqError);
    }

    [Fact]
    public void Window_above_4096_is_refused()
    {
        Assert.NotNull(XfrmReplay.Validate(XfrmReplayMode.Bmp, 4097, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => XfrmReplay.Create(XfrmReplayMode.Bmp, 4097));
        Assert.Null(XfrmReplay.Validate(XfrmReplayMode.Bmp, 4096, 0));
    }
}
