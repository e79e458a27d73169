using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>IP-TFS in scenarios: lab describe, metrics of a run with a known loss pattern, bad input, the example.</summary>
public sealed class IpTfsScenarioTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-iptfs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    Dictionary<(int Point, string Metric), double> RunScenario(string yaml) => ScenarioRun.Metrics(_dir, yaml);

    [Fact]
    public void Describe_iptfs_names_the_kernel_defaults_and_says_validation_cannot_cover_it()
    {
        var (code, output, _) = Lab("describe", "iptfs");
        Assert.Equal(0, code);
        Assert.Contains("no Debian kernel here has it", output, StringComparison.Ordinal);
        Assert.Contains("iptfs_in.reorder_window", output, StringComparison.Ordinal);
        Assert.Contains("IPTFS_DEFAULT_DROP_TIME_USECS", output, StringComparison.Ordinal);
        Assert.Contains("1024 * 10240", output, StringComparison.Ordinal);
        var (code2, output2, _) = Lab("describe", "iptfs_in");
        Assert.Equal(0, code2);
        Assert.Contains("No Debian kernel here has IP-TFS", output2, StringComparison.Ordinal);
    }

    // 200 Mbit/s of 64 B frames offers 109.5 Mbit/s of IP octets (46 of every 84 wire octets); a 100 Mbit/s
    // constant-rate tunnel carries 100 x 1442 / 1538 = 93.8 Mbit/s of them, so its queue never empties and
    // every outer packet is full: wire efficiency 1442 / 1538 exactly, no padding. Every 10th outer packet is
    // lost; a full payload of 1442 octets touches 32 or 33 packets of 46 octets (1442 / 46 = 31.3, plus the
    // packets cut at both ends), all lost with it. Plain tunnel mode: 46 / 138 and one inner per outer.
    const string Saturated = """
        name: iptfs-saturated
        run: { duration: 30ms, warmup: 10ms, seed: 1 }
        traffic:
          - { name: t, kind: cbr, rate: 200Mbit/s, size: 64B }
        path:
          - iptfs_out: { mode: constant, rate: 100Mbit/s }
          - loss: { every: 10 }
          - iptfs_in: {}
        outputs: { timeseries: 0s, latency_cdf: false }
        sweep:
          path.iptfs_out.mode: [constant, tunnel]
        """;

    [Fact]
    public void Saturated_tunnel_metrics_follow_from_the_formats()
    {
        var m = RunScenario(Saturated);
        Assert.Equal(1442.0 / 1538, m[(0, "iptfs_out.wire_efficiency")], 12);
        Assert.Equal(0, m[(0, "iptfs_out.padding_share")]);
        Assert.Equal(0, m[(0, "iptfs_out.size_cv")]);
        Assert.InRange(m[(0, "iptfs_in.loss_amplification")], 32.0, 33.0);
        Assert.True(m[(0, "iptfs_in.outer_lost")] >= 10);
        Assert.Equal(46.0 / 138, m[(1, "iptfs_out.wire_efficiency")], 12);
        Assert.Equal(1, m[(1, "iptfs_in.loss_amplification")]);
    }

    [Fact]
    public void Iptfs_in_naming_no_sender_is_bad_input()
    {
        string f = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(f, """
            name: bad
            run: { duration: 1ms }
            traffic:
              - { name: t, kind: cbr, rate: 1Mbit/s }
            path:
              - iptfs_out: { mode: demand }
              - iptfs_in: { sender: nosuch }
            """);
        var (code, _, err) = Lab("run", f, "--out", Path.Combine(_dir, "o"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains("iptfs_in.sender: expected the name of an earlier iptfs_out element, found 'nosuch'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Constant_mode_without_a_rate_is_bad_input()
    {
        string f = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(f, """
            name: bad
            run: { duration: 1ms }
            traffic:
              - { name: t, kind: cbr, rate: 1Mbit/s }
            path:
              - iptfs_out: { mode: constant }
              - iptfs_in: {}
            """);
        var (code, _, err) = Lab("check", f);
        Assert.Equal(2, code);
        Assert.Contains("missing key 'rate'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_scenario_checks()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        var (code, output, err) = Lab("check", Path.Combine(root, "scenarios", "examples", "iptfs-vs-tunnel.yaml"));
        Assert.True(code == 0, err + output);
    }
}
