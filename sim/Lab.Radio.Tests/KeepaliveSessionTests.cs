using Lab.Engine;
using Lab.Radio.Keepalive;
using Lab.Radio.Power;
using Lab.Core;

namespace Lab.Radio.Tests;

public class KeepaliveSessionTests
{
    const long S = SimTime.Second;
    static readonly RrcProfile Lte = RrcProfiles.Lte();
    static RandomStream Rng() => RandomStream.For(1, 0, "nat");

    [Fact]
    public void An_interval_below_the_nat_timeout_keeps_the_mapping()
    {
        var r = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.NatT, 20 * S), new NatTimeout.Fixed(30 * S), [], 100 * S, Rng());
        Assert.Equal(4, r.KeepalivesSent); // 20 40 60 80
        Assert.Equal(0, r.MappingsLost);
        Assert.Equal(4, r.Radio.Promotions);
    }

    [Fact]
    public void An_interval_above_the_nat_timeout_loses_the_mapping_and_reestablishes_with_ike()
    {
        // Keepalives at 60 120 180 behind a 30 s NAT: each gap of 60 s loses the mapping (at 30, 90,
        // 150 s). A NAT-T keepalive is not authenticated, so each time the tunnel is re-established
        // with 2 IKE exchanges (4 packets), 0.2 s. A downlink packet at 45 s is lost, one at 10 s is not.
        Transmission[] app = [new(10 * S, 100, Direction.Downlink), new(45 * S, 100, Direction.Downlink)];
        var r = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.NatT, 60 * S), new NatTimeout.Fixed(30 * S), app, 200 * S, Rng());
        Assert.Equal(3, r.KeepalivesSent);
        Assert.Equal(3, r.MappingsLost);
        Assert.Equal(3, r.Reestablishments);
        Assert.Equal(12, r.IkePackets);
        Assert.Equal(1, r.DownlinkPacketsLost);
    }

    [Fact]
    public void An_authenticated_esp_keepalive_lets_the_peer_follow_the_new_mapping()
    {
        Transmission[] app = [new(45 * S, 100, Direction.Downlink), new(60 * S + 1, 100, Direction.Downlink)];
        var r = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.EspKeepalive, 60 * S), new NatTimeout.Fixed(30 * S), app, 80 * S, Rng());
        Assert.Equal(1, r.MappingsLost);
        Assert.Equal(1, r.MappingUpdates);
        Assert.Equal(0, r.Reestablishments);
        Assert.Equal(0, r.IkePackets);
        Assert.Equal(1, r.DownlinkPacketsLost); // 45 s lost, 60 s + 1 ps delivered
        Assert.Equal(64, new KeepaliveStrategy(KeepaliveKind.EspKeepalive, S).UplinkBytes);
    }

    [Fact]
    public void Suppression_skips_keepalives_after_other_traffic()
    {
        Transmission[] app = [new(15 * S, 100, Direction.Uplink)];
        var suppressed = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.NatT, 20 * S, SuppressWhenTraffic: true), new NatTimeout.Fixed(120 * S), app, 50 * S, Rng());
        var fixedGrid = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.NatT, 20 * S, SuppressWhenTraffic: false), new NatTimeout.Fixed(120 * S), app, 50 * S, Rng());
        Assert.Equal(1, suppressed.KeepalivesSent); // at 35 s only
        Assert.Equal(1, suppressed.KeepalivesSuppressed);
        Assert.Equal(2, fixedGrid.KeepalivesSent); // 20 and 40 s
    }

    [Fact]
    public void Offload_removes_the_application_processor_cost_but_not_the_radio_cost()
    {
        var onAp = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.NatT, 20 * S), new NatTimeout.Fixed(120 * S), [], 100 * S, Rng());
        var offloaded = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.NatT, 20 * S, OffloadedToModem: true), new NatTimeout.Fixed(120 * S), [], 100 * S, Rng());
        Assert.Equal(4 * 30.0, onAp.ApplicationProcessorMj, 9);
        Assert.Equal(0, offloaded.ApplicationProcessorMj);
        Assert.Equal(onAp.Radio.TotalEnergyMj, offloaded.Radio.TotalEnergyMj, 9);
    }

    [Fact]
    public void Esp_ping_elicits_a_downlink_reply()
    {
        var r = KeepaliveSession.Run(Lte, new KeepaliveStrategy(KeepaliveKind.EspPing, 20 * S), new NatTimeout.Fixed(120 * S), [], 30 * S, Rng());
        // Request 64 B up at 6 Mbit/s = 85.333333 us; reply 64 B down at 13 Mbit/s = 39.384615 us.
        Assert.Equal(85_333_333L + 39_384_615L, r.Radio.Time(RrcState.Connected));
    }

    [Fact]
    public void Nat_timeouts_are_drawn_from_the_seeded_stream()
    {
        var uniform = new NatTimeout.Uniform(NatTimeout.HatonenShortest, NatTimeout.Rfc4787Minimum);
        var a = RandomStream.For(3, 0, "nat");
        var b = RandomStream.For(3, 0, "nat");
        for (int i = 0; i < 1000; i++)
        {
            long x = uniform.Draw(a);
            Assert.Equal(x, uniform.Draw(b));
            Assert.InRange(x, 30 * S, 120 * S);
        }
        var empirical = new NatTimeout.Empirical([30 * S, 60 * S]);
        Assert.Contains(empirical.Draw(a), new[] { 30 * S, 60 * S });
    }
}
