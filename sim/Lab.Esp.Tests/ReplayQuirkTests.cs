using Lab.Esp.Replay;
using Lab.Esp.Sa;

namespace Lab.Esp.Tests;

/// <summary>
/// Behaviour the kernel's ring arithmetic (xfrm_replay_advance_bmp / _esn, v6.12) produces for
/// windows that do not divide 2^32, reproduced on purpose because the model must agree with the
/// kernel packet for packet. The top's bit is pos = (seq - 1) % window; for a fresh SA seq is 0
/// and 0 - 1 wraps to 0xffffffff, whose remainder is window - 1 only when the window is a power
/// of two.
/// </summary>
public class ReplayQuirkTests
{
    static XfrmStateIn Sa(XfrmReplayMode mode, uint window) =>
        new(default, XfrmMode.Tunnel, EspEncap.None, XfrmReplay.Create(mode, window));

    [Theory]
    [InlineData(XfrmReplayMode.Bmp)]
    [InlineData(XfrmReplayMode.Esn)]
    public void Window_100_accepts_one_replay_of_the_first_packet(XfrmReplayMode mode)
    {
        // First packet 1: pos = 0xffffffff % 100 = 95, bit (95 + 1) % 100 = 96 is set.
        // Its duplicate is looked up at pos = (1 - 1) % 100 = 0, which is clear.
        var sa = Sa(mode, 100);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Input(1, mib));
        Assert.True(sa.Replay.TestBit(96));
        Assert.False(sa.Replay.TestBit(0));
        Assert.Equal(DropReason.None, sa.Input(1, mib)); // the replay gets through once
        Assert.Equal(DropReason.Replay, sa.Input(1, mib)); // now bit 0 is set
        Assert.Equal(DropReason.None, sa.Input(2, mib));   // from here on pos is consistent
        Assert.Equal(DropReason.Replay, sa.Input(2, mib));
    }

    [Theory]
    [InlineData(XfrmReplayMode.Bmp, 128u)]
    [InlineData(XfrmReplayMode.Esn, 64u)]
    [InlineData(XfrmReplayMode.Bmp, 4096u)]
    public void Power_of_two_windows_catch_the_first_replay(XfrmReplayMode mode, uint window)
    {
        var sa = Sa(mode, window);
        var mib = new XfrmMib();
        Assert.Equal(DropReason.None, sa.Input(1, mib));
        Assert.Equal(DropReason.Replay, sa.Input(1, mib));
    }
}
