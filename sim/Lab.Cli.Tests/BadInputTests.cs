using Lab.Cli;

namespace Lab.Cli.Tests;

/// <summary>Every kind of user mistake: one clear line naming file:line:column (or the flag), exit 2, nothing written.</summary>
public sealed class BadInputTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    const string Good = """
        name: t
        run: { duration: 10ms, seed: 1 }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s, size: 64B }
        path:
          - link: { rate: 10Gbit/s }
        """;

    (int Code, string Out, string Err, string OutDir) Run(string yaml, params string[] extra)
    {
        string file = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(file, yaml);
        string outDir = Path.Combine(_dir, "out");
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(["run", file, "--out", outDir, "--no-store", .. extra], so, se);
        return (code, so.ToString(), se.ToString(), outDir);
    }

    // Columns are counted by hand on the lines above, e.g. "  - { name: bulk, kind: cbr, rate: 1Gbit/s"
    // puts the rate's value at column 36 and "  - link: { rate: 10Gbit/s }" at column 19.
    static void AssertBad((int Code, string Out, string Err, string OutDir) r, params string[] fragments)
    {
        Assert.Equal(2, r.Code);
        foreach (var f in fragments) Assert.Contains(f, r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.False(Directory.Exists(r.OutDir), "nothing may be written on bad input");
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void The_good_scenario_runs()
    {
        var r = Run(Good);
        Assert.Equal(0, r.Code);
        Assert.True(File.Exists(Path.Combine(r.OutDir, "summary.json")));
    }

    [Fact]
    public void Missing_file()
    {
        var se = new StringWriter();
        int code = LabCommand.Run(["run", Path.Combine(_dir, "nope.yaml"), "--no-store"], new StringWriter(), se);
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {Path.Combine(_dir, "nope.yaml")}: no such scenario file", se.ToString().Trim());
    }

    [Fact]
    public void Yaml_syntax_error_names_line_and_column() =>
        AssertBad(Run("name: t\nrun: { duration: 10ms\ntraffic: []\n"), "s.yaml:3:", "YAML syntax error");

    [Fact]
    public void Unknown_key_suggests_the_nearest() =>
        AssertBad(Run(Good.Replace("duration: 10ms", "durtion: 10ms", StringComparison.Ordinal)),
            "s.yaml:2:8: unknown key 'durtion' in run (did you mean 'duration'?)");

    [Fact]
    public void Missing_unit() =>
        AssertBad(Run(Good.Replace("rate: 1Gbit/s", "rate: 1000", StringComparison.Ordinal)),
            "s.yaml:4:36: traffic[0].rate: expected a bit rate such as 10Gbit/s or 400Mbit/s, found '1000' (the unit is missing)");

    [Fact]
    public void Wrong_unit() =>
        AssertBad(Run(Good.Replace("duration: 10ms", "duration: 10Gbit/s", StringComparison.Ordinal)),
            "s.yaml:2:18: run.duration: expected a duration such as 10ms, 1.2us or 20s, found '10Gbit/s' (unknown unit 'Gbit/s')");

    [Fact]
    public void Zero_rate() =>
        AssertBad(Run(Good.Replace("rate: 10Gbit/s", "rate: 0Gbit/s", StringComparison.Ordinal)),
            "s.yaml:6:19: path[0].link.rate: expected a positive bit rate, found '0Gbit/s'");

    [Fact]
    public void Negative_rate() =>
        AssertBad(Run(Good.Replace("rate: 1Gbit/s", "rate: -1Gbit/s", StringComparison.Ordinal)),
            "s.yaml:4:36: traffic[0].rate: expected a positive bit rate, found '-1Gbit/s'");

    [Fact]
    public void Empty_traffic() =>
        AssertBad(Run("name: t\ntraffic: []\npath:\n  - link: { rate: 10Gbit/s }\n"),
            "s.yaml:2:10: traffic: expected a list of at least one generator, found an empty list");

    [Fact]
    public void Sweep_over_an_unknown_parameter() =>
        AssertBad(Run(Good + "\nsweep:\n  traffic.bulkk.rate: [1Gbit/s, 2Gbit/s]\n"),
            "s.yaml:8:3: sweep: unknown parameter 'traffic.bulkk.rate': no item 'bulkk' in traffic (found: bulk)");

    [Fact]
    public void Bad_set_without_equals() =>
        AssertBad(Run(Good, "--set", "run.duration"), "--set run.duration: expected key=value (for example run.duration=2s), found no '='");

    [Fact]
    public void Bad_set_value_names_the_flag() =>
        AssertBad(Run(Good, "--set", "run.duration=fast"), "--set run.duration=fast: run.duration: expected a duration such as 10ms, 1.2us or 20s, found 'fast'");

    [Fact]
    public void Unknown_flag() =>
        AssertBad(Run(Good, "--sed", "3"), "lab: error:", "--sed");

    [Fact]
    public void All_problems_are_reported_together()
    {
        var r = Run(Good.Replace("duration: 10ms", "duration: 10", StringComparison.Ordinal).Replace("size: 64B", "size: 64", StringComparison.Ordinal));
        AssertBad(r, "s.yaml:2:18: run.duration", "s.yaml:4:51: traffic[0].size");
        Assert.Equal(2, r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
