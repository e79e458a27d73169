using Lab.Core;

namespace Lab.Scenarios.Tests;

/// <summary>
/// Issue 16 (an absurd rate) and issue 19 (--set on a swept key; a path type that names several
/// elements) at the loader: refused before anything runs, one line with the position or the flag.
/// </summary>
public sealed class ScenarioLoaderIssue19Tests
{
    const string Good = """
        name: t
        run: { duration: 10ms }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s }
        path:
          - link: { rate: 10Gbit/s }
        """;

    const string TwoSided = """
        name: two
        run: { duration: 10ms }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s }
        path:
          - rss: { name: tx, cores: 1 }
          - stage: { name: encrypt, cost: 1us }
          - link: { rate: 10Gbit/s }
          - rss: { name: rx, cores: 2 }
          - stage: { name: decrypt, cost: 1us }
        """;

    static IReadOnlyList<string> Problems(Action load) => Assert.Throws<LabInputException>(load).Problems;

    static LoadedScenario LoadText(string yaml, params string[] sets) => new ScenarioLoader().LoadText(yaml, "s.yaml", sets);

    // ---- packets per run (issue 16)

    [Fact]
    public void An_absurd_rate_given_by_set_is_refused_with_the_estimate_and_the_limit()
    {
        // 10^6 Tbit/s = 10^18 bit/s of 64 B frames: (64 + 20) x 8 = 672 bit each, 1.488e15 packets/s, x 10 ms = 14,880,952,380,952.4.
        var p = Problems(() => LoadText(Good, "traffic.bulk.rate=1000000Tbit/s"));
        Assert.Equal(["set traffic.bulk.rate=1000000Tbit/s: traffic[0].rate: expected at most 1000000000 packets per run (all replications of a point), " +
            "found an estimate of 14880952380952 (1000000Tbit/s / ((64 B + 20 B) x 8 bit) x 10ms active x 1 replication(s)); lower the rate, run.duration or run.replications"], p);
    }

    [Fact]
    public void An_absurd_rate_in_the_file_names_its_position_and_counts_replications_and_the_active_time()
    {
        // 100 Tbit/s / 672 bit = 1.488e11 packets/s over stop 6 ms - start 1 ms = 5 ms: 7.44e8 per replication, x 2 = 1,488,095,238.1.
        string yaml = Good.Replace("duration: 10ms", "duration: 10ms, replications: 2", StringComparison.Ordinal)
            .Replace("rate: 1Gbit/s", "rate: 100Tbit/s, start: 1ms, stop: 6ms", StringComparison.Ordinal);
        var p = Problems(() => LoadText(yaml));
        Assert.Equal(["s.yaml:4:36: traffic[0].rate: expected at most 1000000000 packets per run (all replications of a point), " +
            "found an estimate of 1488095238 (100Tbit/s / ((64 B + 20 B) x 8 bit) x 5ms active x 2 replication(s)); lower the rate, run.duration or run.replications"], p);
    }

    [Fact]
    public void A_rate_just_under_the_limit_is_accepted_and_just_over_it_refused()
    {
        // 67 Tbit/s / 672 bit x 10 ms = 997,023,809.52 packets (under 10^9); 68 Tbit/s gives 1,011,904,761.9 (over).
        Assert.Equal(67e12, LoadText(Good, "traffic.bulk.rate=67Tbit/s").First.Traffic[0].Spec.WireBitsPerSecond);
        Assert.Single(Problems(() => LoadText(Good, "traffic.bulk.rate=68Tbit/s")));
        Assert.Equal(997_023_809.52, PacketBudget.Estimate(LoadText(Good, "traffic.bulk.rate=67Tbit/s").First.Traffic[0].Spec, 10 * SimTime.Millisecond, 1), 0.01);
    }

    [Fact]
    public void The_estimate_uses_the_mean_frame_of_a_mix()
    {
        // IMIX mean (7 x 64 + 4 x 594 + 1518) / 12 = 361.83 B; + 20 B = 381.83 B = 3054.67 bit; 1 Gbit/s x 1 s / 3054.67 bit = 327,367.96.
        var spec = LoadText(Good.Replace("run: { duration: 10ms }", "run: { duration: 1s }", StringComparison.Ordinal)
            .Replace("rate: 1Gbit/s", "rate: 1Gbit/s, size: imix", StringComparison.Ordinal)).First.Traffic[0].Spec;
        Assert.Equal(1e9 / (((7 * 64 + 4 * 594 + 1518) / 12.0 + 20) * 8), PacketBudget.Estimate(spec, SimTime.Second, 1), 1e-6);
        Assert.Equal(327_367.96, PacketBudget.Estimate(spec, SimTime.Second, 1), 0.01);
    }

    // ---- --set on a swept key (issue 19)

    [Fact]
    public void Set_on_a_swept_key_is_an_error_naming_the_key_and_the_sweep()
    {
        string yaml = Good + "\nsweep:\n  traffic.bulk.rate: [1Gbit/s, 2Gbit/s]\n";
        var p = Problems(() => LoadText(yaml, "traffic.bulk.rate=5Gbit/s"));
        Assert.Equal(["set traffic.bulk.rate=5Gbit/s: traffic.bulk.rate is swept (sweep at s.yaml:8:3: traffic.bulk.rate); the sweep sets it at every point, " +
            "so this value would be ignored: remove traffic.bulk.rate from the sweep, or drop the flag"], p);
    }

    [Fact]
    public void Set_on_another_key_than_the_swept_one_still_applies()
    {
        string yaml = Good + "\nsweep:\n  traffic.bulk.rate: [1Gbit/s, 2Gbit/s]\n";
        var loaded = LoadText(yaml, "traffic.bulk.size=128B");
        Assert.Equal(2, loaded.Points.Count);
        Assert.All(loaded.Points, p => Assert.Equal(128, p.Scenario.Traffic[0].Spec.Sizes.MeanBytes));
        Assert.Equal([1e9, 2e9], loaded.Points.Select(p => p.Scenario.Traffic[0].Spec.WireBitsPerSecond));
    }

    // ---- a type that names several path elements (issue 19: a cores sweep applied to the sender only)

    [Fact]
    public void A_sweep_of_a_type_two_elements_have_is_ambiguous_and_names_the_alternatives()
    {
        var p = Problems(() => LoadText(TwoSided + "\nsweep:\n  path.rss.cores: [1, 2]\n"));
        Assert.Equal(["s.yaml:12:3: sweep: ambiguous parameter 'path.rss.cores': 2 'rss' elements; name the one you mean: path.tx.cores or path.rx.cores"], p);
    }

    [Fact]
    public void Set_of_a_type_two_elements_have_is_ambiguous()
    {
        var p = Problems(() => LoadText(TwoSided, "path.stage.cost=2us"));
        Assert.Equal(["set path.stage.cost=2us: ambiguous parameter 'path.stage.cost': 2 'stage' elements; name the one you mean: path.encrypt.cost or path.decrypt.cost"], p);
    }

    [Fact]
    public void Naming_the_side_sets_that_side_only()
    {
        var loaded = LoadText(TwoSided + "\nsweep:\n  path.rx.cores: [4, 8]\n");
        Assert.Equal([4, 8], loaded.Points.Select(p => ((RssElement)p.Scenario.Path[3]).Cores));
        Assert.All(loaded.Points, p => Assert.Equal(1, ((RssElement)p.Scenario.Path[0]).Cores));
    }

    [Fact]
    public void A_type_one_element_has_still_finds_it()
    {
        var s = LoadText(Good, "path.link.rate=5Gbit/s").First;
        Assert.Equal(5e9, ((LinkElement)s.Path[0]).BitsPerSecond);
    }
}
