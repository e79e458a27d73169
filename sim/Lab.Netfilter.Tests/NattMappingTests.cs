using Lab.Core;
using Lab.Netfilter.NatT;

namespace Lab.Netfilter.Tests;

public class NattMappingTests
{
    [Fact]
    public void Rebinding_at_10G_with_1518B_frames_and_100ms_reaction()
    {
        // One 1518 B frame takes (1518 + 20) x 8 = 12,304 bits = 1,230,400 ps at 10 Gbit/s:
        // 10^12 / 1,230,400 = 812,743.8 packets/s. The SA is updated 100 ms after the first packet
        // through the new mapping, which is the packet that created it (InboundPhase 0). The return
        // stream sends at 0, T, 2T, ... after the rebinding; those before 100 ms are lost:
        // ceil(10^11 / 1,230,400) = ceil(81,274.38) = 81,275 when a return packet leaves exactly at
        // the rebinding; 81,274 when the first one leaves 470,400 ps (0.38 x T) or more later, since
        // 81,274 x T = 99,999,529,600 ps and a packet leaving exactly at the update uses the new port.
        // Averaged over the phase: 812,743.8 x 0.1 = 81,274.4, the "about 81,274".
        var s = new RebindingScenario { LineRateBitsPerSecond = 10e9, FrameBytes = 1518, DaemonReaction = 100 * SimTime.Millisecond };
        var r = NattMappingModel.Rebinding(s);
        Assert.Equal(1_230_400, r.PacketInterval);
        Assert.Equal(812_743.8, r.PacketsPerSecond, 1);
        Assert.Equal(81_275, r.ReturnPacketsLost);
        // without XFRMA_MTIMER_THRESH every inbound ESP packet from the new port in those 100 ms is reported
        Assert.Equal(81_275, r.MappingMessages);

        Assert.Equal(81_274, NattMappingModel.Rebinding(s with { ReturnPhase = 470_400 }).ReturnPacketsLost);
        Assert.Equal(81_275, NattMappingModel.Rebinding(s with { ReturnPhase = 470_399 }).ReturnPacketsLost);
    }

    [Fact]
    public void Mapping_threshold_limits_messages_to_one_per_maxage_plus_one_seconds()
    {
        // maxage 1 s, reaction 5 s, first report at 0.5 s (second 0): the next needs seconds - 0 > 1,
        // i.e. second 2 (t >= 2 s), then second 4, then second 6 is after the update at 5.5 s: 3 messages.
        var s = new RebindingScenario { LineRateBitsPerSecond = 10e6, FrameBytes = 1518, DaemonReaction = 5 * SimTime.Second, MappingMaxAgeSeconds = 1 };
        var r = NattMappingModel.Rebinding(s);
        Assert.Equal(3, r.MappingMessages);
        Assert.Equal(1, NattMappingModel.Rebinding(s with { DaemonReaction = 100 * SimTime.Millisecond }).MappingMessages);
    }

    [Theory]
    [InlineData(0u, 5_000_000_000_000L)]
    [InlineData(1u, 5_000_000_000_000L)]
    [InlineData(2u, 3_700_000_000_000L)]
    public void Closed_form_messages_match_the_per_packet_kernel_logic(uint maxAge, long reaction)
    {
        var s = new RebindingScenario { LineRateBitsPerSecond = 10e6, FrameBytes = 1518, DaemonReaction = reaction, MappingMaxAgeSeconds = maxAge, RebindAt = 700 * SimTime.Millisecond };
        var r = NattMappingModel.Rebinding(s);
        var sa = new XfrmMappingNotifier(encapSport: 4500, mappingMaxAge: maxAge);
        for (long t = r.DetectedAt; t < r.UpdatedAt; t += r.PacketInterval) sa.OnEspPacket(61000, t);
        sa.UpdateSa(61000);
        Assert.False(sa.OnEspPacket(61000, r.UpdatedAt));
        Assert.Equal(sa.Messages, r.MappingMessages);
    }

    [Fact]
    public void Keepalives_shorter_than_the_nat_timeout_keep_the_mapping()
    {
        var r = NattMappingModel.SilentExpiry(new SilentExpiryScenario { NatMappingTimeout = 30 * SimTime.Second, KeepaliveInterval = 20 * SimTime.Second });
        Assert.Equal(MappingRecovery.NeverExpired, r.Recovery);
        Assert.Equal(0, r.ReturnPacketsLost);
    }

    [Fact]
    public void Silent_expiry_is_found_by_the_next_esp_packet()
    {
        // No keepalives: the mapping dies at 30 s; the peer's ESP packet at 100 s makes a new one and
        // XFRM_MSG_MAPPING; the SA is updated at 100.1 s. Return traffic at 100 pps from t = 0: the
        // packets from 30 s to 100.1 s are lost: (100.1 - 30) x 100 = 7,010.
        var r = NattMappingModel.SilentExpiry(new SilentExpiryScenario
        {
            NatMappingTimeout = 30 * SimTime.Second, KeepaliveInterval = 0, NextEspFromPeerAt = 100 * SimTime.Second,
            ReturnPacketsPerSecond = 100,
        });
        Assert.Equal(MappingRecovery.Esp, r.Recovery);
        Assert.Equal(30 * SimTime.Second, r.ExpiredAt);
        Assert.Equal(100 * SimTime.Second, r.RecreatedAt);
        Assert.Equal(100_100 * SimTime.Millisecond, r.LearnedAt);
        Assert.Equal(7_010, r.ReturnPacketsLost);
    }

    [Fact]
    public void A_keepalive_recreates_the_mapping_but_only_dpd_tells_the_responder()
    {
        // Keepalive every 40 s > 30 s NAT timeout: expiry at 30 s, the 40 s keepalive opens a new
        // port, which the responder only learns from the DPD at 60 s (+100 ms): 3,010 packets lost.
        var s = new SilentExpiryScenario
        {
            NatMappingTimeout = 30 * SimTime.Second, KeepaliveInterval = 40 * SimTime.Second, DpdInterval = 60 * SimTime.Second,
            ReturnPacketsPerSecond = 100,
        };
        var r = NattMappingModel.SilentExpiry(s);
        Assert.Equal(MappingRecovery.Keepalive, r.Recovery);
        Assert.Equal(40 * SimTime.Second, r.RecreatedAt);
        Assert.Equal(60_100 * SimTime.Millisecond, r.LearnedAt);
        Assert.Equal(3_010, r.ReturnPacketsLost);
        // a NAT that hands the same port back: traffic flows again at 40 s: 1,000 lost
        Assert.Equal(1_000, NattMappingModel.SilentExpiry(s with { NatKeepsPort = true }).ReturnPacketsLost);
    }
}
