using Lab.Esp.Sa;
using Lab.Esp.Wire;

namespace Lab.Esp.Tests;

/// <summary>
/// esp_output sizes (esp4.c/esp6.c, v6.12): outer IP + [UDP 8] + ESP 8 + IV + payload + pad +
/// 2 + ICV, with clen = ALIGN(payload + 2 + tfclen, ALIGN(blocksize, 4)). IPv4 header 20 (no
/// options), IPv6 header 40. Each expectation is worked out by hand in its comment.
/// </summary>
public class WireSizeTests
{
    static EspSaGeometry G(XfrmMode m, IpFamily f, EspCipher c, EspEncap e = EspEncap.None, IpFamily? inner = null, int tfc = 0) =>
        new(m, f, inner ?? f, e, c, tfc);

    [Theory]
    // 20 + 8 (UDP) + 8 + 8 (IV) + ALIGN(1438 + 2, 4) = 1440 + 16 = 1500
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv4, IpFamily.Ipv4, EspCipher.Gcm16, true, 1438, 1500, 0)]
    // transport: payload 100 - 20 = 80; 20 + 8 + 8 + ALIGN(82, 4) = 84 + 16 = 136, pad 2
    [InlineData(XfrmMode.Transport, IpFamily.Ipv4, IpFamily.Ipv4, EspCipher.Gcm16, false, 100, 136, 2)]
    // 40 + 8 + 8 + ALIGN(1002, 4) = 1004 + 16 = 1076, pad 2
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv6, IpFamily.Ipv6, EspCipher.Gcm16, false, 1000, 1076, 2)]
    // 20 + 8 + 16 (IV) + ALIGN(102, 16) = 112 + 16 = 172, pad 10
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv4, IpFamily.Ipv4, EspCipher.CbcSha256, false, 100, 172, 10)]
    // transport v6: payload 1240; ALIGN(1242, 16) = 1248; 40 + 8 + 16 + 1248 + 16 = 1328, pad 6
    [InlineData(XfrmMode.Transport, IpFamily.Ipv6, IpFamily.Ipv6, EspCipher.CbcSha256, false, 1280, 1328, 6)]
    // null + HMAC-SHA-256-128: 20 + 8 + 0 + ALIGN(66, 4) = 68 + 16 = 112, pad 2
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv4, IpFamily.Ipv4, EspCipher.Null, false, 64, 112, 2)]
    // null, no auth, transport: payload 20; 20 + 8 + ALIGN(22, 4) = 24 -> 52, pad 2
    [InlineData(XfrmMode.Transport, IpFamily.Ipv4, IpFamily.Ipv4, EspCipher.NullNoAuth, false, 40, 52, 2)]
    // BEET v4/v4: payload 1438; 20 + 8 + 8 + 1440 + 16 = 1492
    [InlineData(XfrmMode.Beet, IpFamily.Ipv4, IpFamily.Ipv4, EspCipher.Gcm16, false, 1458, 1492, 0)]
    // BEET, IPv4 inner over IPv6: payload 80; 40 + 8 + 8 + 84 + 16 = 156
    [InlineData(XfrmMode.Beet, IpFamily.Ipv6, IpFamily.Ipv4, EspCipher.Gcm16, false, 100, 156, 2)]
    // IPv4 inner in an IPv6 UDP tunnel: 40 + 8 + 8 + 8 + ALIGN(1002, 4) = 1004 + 16 = 1084
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv6, IpFamily.Ipv4, EspCipher.Gcm16, true, 1000, 1084, 2)]
    public void Outer_size_and_padding(XfrmMode m, IpFamily f, IpFamily inner, EspCipher c, bool udp, int innerBytes, int total, int pad)
    {
        var l = G(m, f, c, udp ? EspEncap.EspInUdp : EspEncap.None, inner).Layout(innerBytes);
        Assert.Equal(total, l.Total);
        Assert.Equal(pad, l.Padding);
        Assert.Equal(0, l.EncryptedBytes % Math.Max(4, EspCipherParams.For(c).BlockSize));
    }

    [Fact]
    public void The_1438_byte_example_breaks_down_field_by_field()
    {
        var l = G(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.Gcm16, EspEncap.EspInUdp).Layout(1438);
        Assert.Equal(new EspPacketLayout(20, 8, 8, 8, 1438, 0, 0, 2, 16), l);
    }

    [Theory]
    // header_len = 8 + 8 + 20 + 8 = 44; (1500 - 44 - 16) & ~3 = 1440; - 2 = 1438
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.Gcm16, true, 1500, 1438)]
    // header_len = 8 + 16 + 20 = 44; (1500 - 44 - 16) & ~15 = 1440; - 2 = 1438
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.CbcSha256, false, 1500, 1438)]
    // (1400 - 44 - 16) = 1340 & ~15 = 1328; - 2 = 1326
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.CbcSha256, false, 1400, 1326)]
    // transport: header_len 16, net_adj 20: (1500 - 16 - 16 - 20) & ~3 = 1448; + 20 - 2 = 1466
    [InlineData(XfrmMode.Transport, IpFamily.Ipv4, EspCipher.Gcm16, false, 1500, 1466)]
    // BEET v4: header_len 16 + 8 (pseudo-header room): (1500 - 24 - 16 - 20) & ~3 = 1440; + 18 = 1458
    [InlineData(XfrmMode.Beet, IpFamily.Ipv4, EspCipher.Gcm16, false, 1500, 1458)]
    // IPv6 tunnel at 1280: (1280 - 56 - 16) & ~3 = 1208 - 2 = 1206, clamped to IPV6_MIN_MTU 1280
    [InlineData(XfrmMode.Tunnel, IpFamily.Ipv6, EspCipher.Gcm16, false, 1280, 1280)]
    public void State_mtu_matches_xfrm_state_mtu(XfrmMode m, IpFamily f, EspCipher c, bool udp, int mtu, int expected) =>
        Assert.Equal(expected, G(m, f, c, udp ? EspEncap.EspInUdp : EspEncap.None).StateMtu(mtu));

    [Fact]
    public void Beet_leaves_the_pseudo_header_room_unused_without_ip_options()
    {
        var g = G(XfrmMode.Beet, IpFamily.Ipv4, EspCipher.Gcm16);
        Assert.Equal(1500 - 8, g.Layout(g.StateMtu(1500)).Total);
    }

    [Fact]
    public void Tfc_padding_pads_up_to_min_of_tfcpad_and_state_mtu()
    {
        // stateMtu (tunnel v4 gcm16, 1500): (1500 - 36 - 16) & ~3 = 1448 - 2 = 1446.
        // tfcpad 1000, inner 100: tfclen 900, clen = ALIGN(100 + 2 + 900, 4) = 1004 -> 20+8+8+1004+16 = 1056
        var l = G(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.Gcm16, tfc: 1000).Layout(100, 1500);
        Assert.Equal((900, 2, 1056), (l.TfcPadding, l.Padding, l.Total));
        // tfcpad 2000 is capped at 1446: tfclen 1346, clen 1448 -> exactly the MTU.
        var full = G(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.Gcm16, tfc: 2000).Layout(100, 1500);
        Assert.Equal(1500, full.Total);
    }

    [Fact]
    public void Kernel_refusals()
    {
        Assert.NotNull(G(XfrmMode.Transport, IpFamily.Ipv4, EspCipher.Gcm16, inner: IpFamily.Ipv6).Validate());
        Assert.Contains("tunnel mode", G(XfrmMode.Transport, IpFamily.Ipv4, EspCipher.Gcm16, tfc: 100).Validate(), StringComparison.Ordinal);
        Assert.Null(G(XfrmMode.Beet, IpFamily.Ipv6, EspCipher.Gcm16, inner: IpFamily.Ipv4).Validate());
    }

    [Fact]
    public void Ipv4_with_df_too_big_gets_fragmentation_needed_with_the_state_mtu()
    {
        var g = G(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.Gcm16, EspEncap.EspInUdp);
        Assert.Equal(MtuVerdict.Fits, EspMtu.Decide(g, 1438, 1500, true).Verdict);
        var d = EspMtu.Decide(g, 1439, 1500, true);
        Assert.Equal((MtuVerdict.FragmentationNeeded, 1438, "XfrmOutStateModeError"), (d.Verdict, d.ReportedMtu, d.Counter));
    }

    [Fact]
    public void Ipv4_without_df_fragments_the_outer_packet()
    {
        // 1439 -> 20 + 8 + 8 + 8 + ALIGN(1441, 4) = 1444 + 16 = 1504 > 1500;
        // (1500 - 20) & ~7 = 1480 per fragment, 1504 - 20 = 1484 -> 2 fragments.
        var g = G(XfrmMode.Tunnel, IpFamily.Ipv4, EspCipher.Gcm16, EspEncap.EspInUdp);
        var d = EspMtu.Decide(g, 1439, 1500, false);
        Assert.Equal((MtuVerdict.OuterFragmented, 2, "FragCreates"), (d.Verdict, d.Fragments, d.Counter));
    }

    [Fact]
    public void Ipv6_inner_too_big_gets_packet_too_big_and_small_mtus_fragment_the_outer_packet()
    {
        var g = G(XfrmMode.Tunnel, IpFamily.Ipv6, EspCipher.Gcm16);
        // stateMtu(1500) = (1500 - 56 - 16) & ~3 = 1428 - 2 = 1426
        var d = EspMtu.Decide(g, 1500, 1500, true);
        Assert.Equal((MtuVerdict.PacketTooBig, 1426), (d.Verdict, d.ReportedMtu));
        // mtu 1280: stateMtu clamped to 1280, inner 1280 passes; ESP packet 40 + 8 + 8 +
        // ALIGN(1282, 4) = 1284 + 16 = 1356 > 1280 -> ip6_fragment: (1280 - 48) & ~7 = 1232 per
        // fragment, 1356 - 40 = 1316 -> 2 fragments.
        var f = EspMtu.Decide(g, 1280, 1280, true);
        Assert.Equal((MtuVerdict.OuterFragmented, 2, "Ip6FragCreates"), (f.Verdict, f.Fragments, f.Counter));
    }

    [Fact]
    public void Transport_mode_oversize_is_a_local_error_or_inner_fragmentation()
    {
        var g = G(XfrmMode.Transport, IpFamily.Ipv4, EspCipher.Gcm16);
        Assert.Equal(MtuVerdict.LocalMessageTooBig, EspMtu.Decide(g, 3000, 1500, true).Verdict);
        // stateMtu 1466: (1466 - 20) & ~7 = 1440 per fragment; 3000 - 20 = 2980 -> 3 fragments.
        var d = EspMtu.Decide(g, 3000, 1500, false);
        Assert.Equal((MtuVerdict.InnerFragmented, 3), (d.Verdict, d.Fragments));
    }
}
