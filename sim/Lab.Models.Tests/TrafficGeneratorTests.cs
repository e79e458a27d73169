using Lab.Core;
using Lab.Engine;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Models.Tests;

public class TrafficGeneratorTests
{
    [Fact]
    public void Imix_is_drawn_as_decks_of_seven_64_four_594_and_one_1518()
    {
        var imix = SizeDistribution.Imix();
        // (7 x 64 + 4 x 594 + 1 x 1518) / 12 = (448 + 2376 + 1518) / 12 = 4342 / 12
        Assert.Equal(4342 / 12.0, imix.MeanBytes, 12);
        var sampler = imix.NewSampler();
        var rng = new RandomStream(42);
        for (int deck = 0; deck < 10; deck++)
        {
            var cards = Enumerable.Range(0, 12).Select(_ => sampler.Draw(rng)).ToList();
            Assert.Equal((7, 4, 1), (cards.Count(c => c == 64), cards.Count(c => c == 594), cards.Count(c => c == 1518)));
        }
    }

    [Fact]
    public void Fixed_uniform_and_empirical_sizes_have_their_means_and_ranges()
    {
        var rng = new RandomStream(1);
        Assert.Equal(64, SizeDistribution.Fixed(64).MeanBytes);
        Assert.Equal(64, SizeDistribution.Fixed(64).NewSampler().Draw(rng));
        // uniform(100, 200) includes both ends: mean (100 + 200) / 2 = 150
        var uniform = SizeDistribution.Uniform(100, 200);
        Assert.Equal(150, uniform.MeanBytes);
        var s = uniform.NewSampler();
        var draws = Enumerable.Range(0, 20_000).Select(_ => s.Draw(rng)).ToList();
        // 20,000 draws over 101 values: the chance of missing an end is (100/101)^20000, about e^-199
        Assert.Equal((100, 200), (draws.Min(), draws.Max()));
        // weights 1:3 on 100 and 300 B: (1 x 100 + 3 x 300) / 4 = 250
        var empirical = SizeDistribution.Empirical([(100, 1), (300, 3)]);
        Assert.Equal(250, empirical.MeanBytes);
        var e = empirical.NewSampler();
        Assert.All(Enumerable.Range(0, 1000).Select(_ => e.Draw(rng)), d => Assert.Contains(d, new[] { 100, 300 }));
    }

    [Fact]
    public void A_uniform_flow_mix_keeps_ids_in_its_source_block_without_first_or_last_marks()
    {
        // source 2 owns ids [2 x 2^24, 2 x 2^24 + 4) for 4 flows
        var mix = FlowMix.Uniform(2, 4);
        var rng = new RandomStream(3);
        var ids = new HashSet<int>();
        for (int i = 0; i < 400; i++)
        {
            ids.Add(mix.Next(rng, out bool first, out bool last));
            Assert.False(first || last);
        }
        Assert.Equal(Enumerable.Range(2 * (1 << 24), 4).ToHashSet(), ids);
        Assert.Equal(0, mix.FlowsStarted);
    }

    [Fact]
    public void A_churning_flow_mix_runs_each_flow_for_its_pareto_length_then_starts_the_next()
    {
        // One active flow, alpha 10^6, mean 5 packets: xm = 5 x (10^6 - 1) / 10^6 = 4.999995, and a Pareto
        // draw xm x exp(E / 10^6) with E ~ Exp(1) (E < 40 here) stays within 4.999995 x 1.00004 < 5.5:
        // every flow is exactly round(...) = 5 packets, so 100 packets are flows 0..19 of 5 each.
        var mix = FlowMix.ParetoChurn(0, 1, 1e6, 5);
        var rng = new RandomStream(9);
        for (int flow = 0; flow < 20; flow++)
        {
            for (int k = 0; k < 5; k++)
            {
                int id = mix.Next(rng, out bool first, out bool last);
                Assert.Equal((flow, k == 0, k == 4), (id, first, last));
            }
        }
        Assert.Equal(20, mix.FlowsStarted);
    }

    [Fact]
    public void Constant_bit_rate_carries_the_sub_picosecond_remainder_so_the_long_run_rate_is_exact()
    {
        // 105 B frames are 125 B = 1000 bit on the wire; at 3 Gbit/s that is 333,333 1/3 ps per frame.
        // Emissions at floor(k x 333,333 1/3) ps while before 1 s + 100 ps: k = 0..3,000,000, 3,000,001 frames.
        // (Dropping the third of a picosecond would emit every 333,333 ps: k up to 3,000,003, four more.)
        var ctx = new SimulationContext(1, 0);
        var sink = new Sink(ctx);
        var spec = PathHarness.Source("cbr", ArrivalProcess.ConstantBitRate, 3e9, SizeDistribution.Fixed(105)) with { Stop = SimTime.Second + 100 };
        var source = new TrafficSource(ctx, spec, 0, sink);
        ctx.Run(0, 2 * SimTime.Second);
        Assert.Equal(3_000_001, source.Sent);
        Assert.Equal(3_000_001, sink.Packets);
        // frame 105 B, wire 125 B, goodput 105 - 14 - 4 = 87 B per packet
        Assert.Equal((3_000_001L * 105, 3_000_001L * 125, 3_000_001L * 87), (sink.FrameBytes, sink.WireBytes, sink.GoodputBytes));
    }

    [Fact]
    public void A_source_starts_at_its_start_time_numbers_its_packets_and_stops_at_its_stop_time()
    {
        // 1 Gbit/s, 125 B on the wire = 1 us per frame; start 5 us, stop 10 us: frames at 5, 6, 7, 8, 9 us
        var ctx = new SimulationContext(1, 0);
        var rec = new Recorder(ctx);
        var spec = PathHarness.Source("cbr", ArrivalProcess.ConstantBitRate, 1e9, SizeDistribution.Fixed(105)) with
        {
            Start = 5 * SimTime.Microsecond,
            Stop = 10 * SimTime.Microsecond,
            Dscp = 46,
        };
        _ = new TrafficSource(ctx, spec, 3, rec);
        ctx.Run(0, SimTime.Millisecond);
        Assert.Equal([5, 6, 7, 8, 9], rec.Seen.Select(s => s.At / SimTime.Microsecond));
        Assert.Equal([1L, 2, 3, 4, 5], rec.Seen.Select(s => s.Seq));
        Assert.All(rec.Seen, s => Assert.Equal((105, 87, 3 * FlowMix.IdSpace), (s.Size, s.InnerBytes, s.Flow)));
    }

    [Fact]
    public void A_list_source_emits_in_time_order_and_keeps_list_order_at_equal_times()
    {
        var ctx = new SimulationContext(1, 0);
        var rec = new Recorder(ctx);
        _ = new ListSource(ctx, [new(500, 100, 7, 1, 0), new(200, 200, 8, 2, 0), new(500, 10, 9, 3, 0)], 0, rec);
        ctx.Run(0, SimTime.Millisecond);
        // 200 ps: seq 2; 500 ps: seq 1 then seq 3 (list order); a 10 B packet has no room for 18 B of header: 0 inner bytes
        Assert.Equal([(200L, 2L, 182), (500, 1, 82), (500, 3, 0)], rec.Seen.Select(s => (s.At, s.Seq, s.InnerBytes)));
    }
}
