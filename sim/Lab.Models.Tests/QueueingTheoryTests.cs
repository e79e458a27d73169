using Lab.Core;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Models.Tests;

public class QueueingTheoryTests
{
    // A core serving one packet per microsecond on average; Poisson arrivals at 0.8 per microsecond.
    // 64 B frames are 672 wire bits, so 0.8 Mpps is 537.6 Mbit/s on the wire.
    const double Lambda = 0.8e6;
    const double ArrivalBps = Lambda * 672;

    static double MeanSojournMicroseconds(bool exponentialService)
    {
        var ctx = new SimulationContext(seed: 7, replication: 0);
        var sink = new Sink(ctx);
        var cost = new CostModel(SimTime.Microsecond, 0, exponentialService);
        var cores = new CoreSet(ctx, "cpu", 1, ringPackets: 0, [new FixedCostStage("work", cost, ctx.Random("stage.work"))]) { Next = sink };
        _ = new TrafficSource(ctx, PathHarness.Source("poisson", ArrivalProcess.Poisson, ArrivalBps, SizeDistribution.Fixed(64)), 0, cores);
        ctx.Run(100 * SimTime.Millisecond, 5 * SimTime.Second);
        return sink.Latency.Mean() / SimTime.Microsecond;
    }

    [Fact]
    public void MM1_mean_time_in_system_is_one_over_mu_minus_lambda()
    {
        // W = 1 / (mu - lambda) = 1 / (1 - 0.8) us = 5 us.
        Assert.InRange(MeanSojournMicroseconds(exponentialService: true), 5.0 * 0.98, 5.0 * 1.02);
    }

    [Fact]
    public void MD1_mean_time_in_system_follows_pollaczek_khinchine()
    {
        // W = 1/mu + rho / (2 mu (1 - rho)) = 1 + 0.8 / (2 x 0.2) = 3 us.
        Assert.InRange(MeanSojournMicroseconds(exponentialService: false), 3.0 * 0.98, 3.0 * 1.02);
    }
}
