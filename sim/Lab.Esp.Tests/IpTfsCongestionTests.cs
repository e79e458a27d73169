using Lab.Core;
using Lab.Esp.IpTfs;
using Lab.Models;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Esp.Tests;

/// <summary>The congestion-controlled sender (RFC 9347 section 2.4.2) against a drop-tail bottleneck.</summary>
public sealed class IpTfsCongestionTests
{
    [Fact]
    public void Tfrc_rate_settles_near_a_bottleneck_it_does_not_know()
    {
        // The sender may use 100 Mbit/s; a 20 Mbit/s link with a 30-packet queue and 5 ms delay lies between
        // the ends; the inner load (1400-octet frames every 400 us: 28.4 Mbit/s on the wire) exceeds it. A
        // fixed 100 Mbit/s sender would lose 80% of its outer packets; TFRC must bring the rate down to the
        // bottleneck's neighbourhood from its loss events and RTT.
        var ctx = new SimulationContext(1, 0);
        var sink = new Sink(ctx);
        var cfg = new IpTfsOutConfig(IpTfsSendMode.CongestionControlled, IpTfsGeometry.Ipv4Gcm(cc: true), 0, 1500, 100e6, 0,
            IpTfsOutConfig.DefaultMaxQueueBytes, false, 5 * SimTime.Millisecond, SimTime.Millisecond);
        var sender = new IpTfsSender(ctx, "iptfs_out", cfg);
        var link = new Link(ctx, "bottleneck", 20_000_000, 5 * SimTime.Millisecond, 30, 0);
        var receiver = new IpTfsReceiver(ctx, "iptfs_in", new IpTfsInConfig("iptfs_out", 3, SimTime.Second), sender) { Next = sink };
        sender.Next = link;
        link.Next = receiver;
        var traffic = new List<ListedPacket>();
        for (int i = 0; i < 5000; i++) traffic.Add(new ListedPacket(i * 400 * SimTime.Microsecond, 1400, 1, i + 1, 0));
        _ = new ListSource(ctx, traffic, 0, sender);
        ctx.Run(SimTime.Second, 2 * SimTime.Second);

        double rateBps = sender.MeanCcRatePps * cfg.FixedWireBytes * 8;
        double lossShare = receiver.OuterLost / (double)(receiver.OuterLost + receiver.OuterReceived);
        Assert.InRange(rateBps, 10e6, 24e6);
        Assert.InRange(lossShare, 0.0, 0.1);
        Assert.True(receiver.LossEvents > 0);
        // RTT: 5 + 5 ms of delay plus queueing and serialisation, and never below the two transmit delays.
        Assert.InRange(sender.Rtt, 10 * SimTime.Millisecond, 40 * SimTime.Millisecond);
        Assert.Equal(0, sender.SizeStats.CoefficientOfVariation);
    }
}
