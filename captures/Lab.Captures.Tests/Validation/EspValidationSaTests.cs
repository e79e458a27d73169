using Lab.Captures.EspFrames;
using Lab.KernelLab.Validation;
using Lab.Esp.Replay;

namespace Lab.Captures.Tests.Validation;

public sealed class EspValidationSaTests
{
    static EspValidationSa Sa(XfrmReplayMode mode, uint window, uint seqHi = 0) => new()
    {
        Check = "c",
        Spi = 0x1000,
        Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f10111213"),
        Replay = mode,
        Window = window,
        InitialSeqHi = seqHi,
    };

    [Theory]
    [InlineData(XfrmReplayMode.Legacy, 0u)]
    [InlineData(XfrmReplayMode.Legacy, 32u)]
    [InlineData(XfrmReplayMode.Bmp, 33u)]
    [InlineData(XfrmReplayMode.Bmp, 4096u)]
    [InlineData(XfrmReplayMode.Esn, 1u)]
    [InlineData(XfrmReplayMode.Esn, 4096u)]
    public void Variants_iproute2_can_configure_are_accepted(XfrmReplayMode mode, uint window) =>
        Assert.Null(Sa(mode, window).Problem());

    [Fact]
    public void Variants_iproute2_cannot_configure_are_refused_with_the_reason()
    {
        // ip/xfrm_state.c sends XFRMA_REPLAY_ESN_VAL iff flag esn or replay-window > 32.
        Assert.StartsWith("replay legacy with window 64: iproute2 sends the ESN replay attribute for windows above 32", Sa(XfrmReplayMode.Legacy, 64).Problem());
        Assert.StartsWith("replay bmp with window 32: iproute2 sends the ESN replay attribute only with flag esn or a window above 32", Sa(XfrmReplayMode.Bmp, 32).Problem());
        // xfrm_init_replay: an inbound ESN SA needs a window; verify_replay: seq_hi only with ESN.
        Assert.StartsWith("ESN replay window must be > 0", Sa(XfrmReplayMode.Esn, 0).Problem());
        Assert.StartsWith("seq_hi is only used with ESN", Sa(XfrmReplayMode.Bmp, 64, seqHi: 1).Problem());
        Assert.StartsWith("replay window 5000 is above XFRMA_REPLAY_ESN_MAX", Sa(XfrmReplayMode.Esn, 5000).Problem());
        Assert.StartsWith("key: rfc4106(gcm(aes)) takes 20, 28 or 36 bytes", (Sa(XfrmReplayMode.Esn, 64) with { Key = new byte[16] }).Problem());
    }

    [Fact]
    public void State_add_line_carries_window_sequence_flags_key_encapsulation_and_the_inner_selector()
    {
        var sa = Sa(XfrmReplayMode.Esn, 64, seqHi: 5) with
        {
            Spi = 0xabc,
            InitialSeq = 0xfffffff0,
            OuterIpv6 = true,
            InnerIpv6 = false,
            UdpEncapsulation = true,
        };

        Assert.Equal(
            "ip xfrm state add src 2001:db8:1::1 dst 2001:db8:1::2 proto esp spi 0x00000abc reqid 3 mode tunnel replay-window 64 " +
            "replay-seq 0xfffffff0 replay-seq-hi 0x5 flag esn aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128 " +
            "sel src 0.0.0.0/0 dst 0.0.0.0/0 encap espinudp 4500 4500 ::",
            sa.StateAddCommand(3));
    }

    [Fact]
    public void Transport_state_has_no_inner_selector_and_legacy_no_esn_flag()
    {
        var sa = Sa(XfrmReplayMode.Legacy, 32) with { Mode = EspMode.Transport };

        Assert.Equal(
            "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000 reqid 1 mode transport replay-window 32 " +
            "aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128",
            sa.StateAddCommand(1));
    }
}
