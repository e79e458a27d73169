using Lab.Core;
using Lab.Scenarios.Profiles;

namespace Lab.Scenarios.Tests;

public class CostProfileTests
{
    static CostProfile Sample() => new()
    {
        Machine = "epyc-2core-host-6.18 (test)",
        Measured = new DateTimeOffset(2026, 12, 6, 7, 0, 0, TimeSpan.Zero),
        LabCommit = "0123456789abcdef",
        Kernel = new ProfileKernel("6.18.44-fc", "host", false),
        Cpu = new ProfileCpu("AMD EPYC", 2),
        Method = new ProfileMethod(200_000, 5, 64, 1000, "busy = user+nice+system+irq+softirq: \"all CPUs\"", "injector on CPU 1"),
        Stages =
        [
            new ProfileStage("baseline", 812.25, 800.5, 824, 500.125, 5),
            new ProfileStage("linear_rule", 3.412, 3.1, 3.724, null, 5),
            ProfileStage.Unmeasured("flowtable_fast_path", "nft refused a flowtable: Error: syntax error # no NF_FLOW_TABLE"),
        ],
        Costs =
        [
            new ProfileCost("forward", "rx_ingress", 71_250, 60.5, 80, ["forward"], "forward split 80:60:40:150"),
            new ProfileCost("forward", "per_linear_rule", 3_412, 3.1, 3.724, ["linear_rule"]),
            new ProfileCost("forward", "dnat", 0, -5.5, 4.25, ["nat_established"], null, "x"),
        ],
    };

    [Fact]
    public void A_profile_reads_back_to_the_same_values()
    {
        var p = Sample();
        string yaml = p.ToYaml();
        var back = CostProfile.Parse(yaml, "p.yaml");
        Assert.Equal(p with { SourceFile = "p.yaml", Stages = back.Stages, Costs = back.Costs }, back);
        Assert.Equal(p.Stages, back.Stages);
        Assert.Equal(p.Costs.Count, back.Costs.Count);
        for (int i = 0; i < p.Costs.Count; i++)
        {
            Assert.Equal(p.Costs[i] with { From = [] }, back.Costs[i] with { From = [] });
            Assert.Equal(p.Costs[i].From, back.Costs[i].From);
        }
        // Writing what was read gives the same bytes (deterministic writer).
        Assert.Equal(yaml, back.ToYaml());
        Assert.Equal(3_412, back.CostsFor("forward")["per_linear_rule"].ValuePs);
        Assert.Equal("cost.per_linear_rule", back.CostsFor("forward")["per_linear_rule"].ParameterKey);
        Assert.Contains("      value: 71.25ns\n", yaml, StringComparison.Ordinal);
        Assert.Contains("    ci95: [800.5, 824]\n", yaml, StringComparison.Ordinal);
    }

    static LabInputException Bad(string yaml, Func<string, IReadOnlyCollection<string>?>? keys = null) =>
        Assert.Throws<LabInputException>(() => CostProfileReader.Parse(yaml, "bad.yaml", keys));

    [Fact]
    public void Every_problem_is_reported_with_its_position()
    {
        string yaml = Sample().ToYaml();
        // Line numbers counted in Sample().ToYaml(): 1 comment, 2 format, 3 machine, 4 measured, ...
        string broken = yaml
            .Replace("measured: 2026-12-06T07:00:00Z", "measured: yesterday", StringComparison.Ordinal)
            .Replace("  where: host", "  where: hots", StringComparison.Ordinal)
            .Replace("    ns: 812.25", "    ns: fast", StringComparison.Ordinal)
            .Replace("  linear_rule:", "  linear_rules:", StringComparison.Ordinal)
            .Replace("      from: [forward]", "      from: [forwrd]", StringComparison.Ordinal);
        var e = Bad(broken, el => el == "forward" ? ["rx_ingress", "per_linear_rule", "dnat"] : null);
        string[] lines = broken.Split('\n');
        int Line(string start) => Array.FindIndex(lines, l => l.StartsWith(start, StringComparison.Ordinal)) + 1;
        Assert.Contains($"bad.yaml:{Line("measured:")}:11: measured: expected a UTC time such as 2026-12-06T07:00:00Z, found 'yesterday'", e.Problems);
        Assert.Contains($"bad.yaml:{Line("  where:")}:10: kernel.where: expected one of host, vm, found 'hots' (did you mean 'host'?)", e.Problems);
        Assert.Contains($"bad.yaml:{Line("    ns: fast")}:9: stages.baseline.ns: expected a number, found 'fast'", e.Problems);
        Assert.Contains($"bad.yaml:{Line("  linear_rules:")}:3: unknown stage 'linear_rules' (did you mean 'linear_rule'?)", e.Problems);
        Assert.Contains($"bad.yaml:{Line("      from: [forwrd]")}:14: costs.forward.rx_ingress.from: expected a stage name, found 'forwrd' (did you mean 'forward'?)", e.Problems);
        Assert.Equal(5, e.Problems.Count);
    }

    [Fact]
    public void Unknown_cost_keys_and_elements_are_named()
    {
        string yaml = Sample().ToYaml().Replace("    per_linear_rule:", "    per_linear_rul:", StringComparison.Ordinal);
        var e = Bad(yaml, el => el == "forward" ? ["rx_ingress", "per_linear_rule", "dnat"] : null);
        int line = Array.FindIndex(yaml.Split('\n'), l => l == "    per_linear_rul:") + 1;
        Assert.Equal([$"bad.yaml:{line}:5: costs.forward: unknown cost key 'per_linear_rul' (did you mean 'per_linear_rule'?)"], e.Problems);
        var e2 = Bad(Sample().ToYaml(), _ => null);
        Assert.Single(e2.Problems);
        Assert.StartsWith("bad.yaml:", e2.Problems[0], StringComparison.Ordinal);
        Assert.EndsWith("costs.forward: no element type 'forward' has cost keys", e2.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Another_format_or_a_not_measured_stage_with_values_is_refused()
    {
        var e = Bad("format: lab-cost-profile/9\nmachine: x\n");
        Assert.Equal(["bad.yaml:1:9: format: expected 'lab-cost-profile/1', found 'lab-cost-profile/9'"], e.Problems);
        var empty = Bad("");
        Assert.Equal(["bad.yaml:1:1: expected a cost profile (a YAML mapping starting with 'format: lab-cost-profile/1'), found an empty file"], empty.Problems);
        string yaml = Sample().ToYaml().Replace("    not_measured:", "    ns: 5\n    not_measured:", StringComparison.Ordinal);
        var both = Bad(yaml);
        int line = Array.FindIndex(yaml.Split('\n'), l => l == "    ns: 5") + 1;
        Assert.Equal([$"bad.yaml:{line}:9: stages.flowtable_fast_path.ns: a stage that was not measured has no values; found both not_measured and ns"], both.Problems);
        string inverted = Sample().ToYaml().Replace("ci95: [800.5, 824]", "ci95: [824, 800.5]", StringComparison.Ordinal);
        Assert.Contains("stages.baseline.ci95: expected low <= high, found [824, 800.5]", Bad(inverted).Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_never_replaces_a_file_that_is_not_a_profile()
    {
        string dir = Directory.CreateTempSubdirectory("lab-profile-test-").FullName;
        try
        {
            string other = Path.Combine(dir, "notes.txt");
            File.WriteAllText(other, "my notes\n");
            // The library names the parameter ("out"); the command line words it as its flag.
            var e = Assert.Throws<ParameterException>(() => CostProfileFile.Write(Sample(), other));
            Assert.Equal("out", Assert.Single(e.Problems).Parameter);
            Assert.Contains("exists and is not a lab cost profile", e.Message, StringComparison.Ordinal);
            Assert.Equal("my notes\n", File.ReadAllText(other));
            string path = Path.Combine(dir, "p.yaml");
            CostProfileFile.Write(Sample(), path);
            CostProfileFile.Write(Sample() with { Machine = "second" }, path); // a profile may be replaced
            Assert.Equal("second", CostProfile.Read(path).Machine);
            Assert.Equal(["p.yaml", "notes.txt"], Directory.GetFiles(dir).Select(Path.GetFileName).OrderByDescending(n => n));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public class CostProfileDocumentationTests
{
    [Fact]
    public void Every_profile_key_is_documented_in_the_scenarios_readme()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "scenarios", "README.md"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("no scenarios/README.md above the test binary");
        string readme = File.ReadAllText(Path.Combine(dir, "scenarios", "README.md"));
        int section = readme.IndexOf("## Cost profiles", StringComparison.Ordinal);
        Assert.True(section > 0, "scenarios/README.md has no section \"Cost profiles\"");
        string text = readme[section..];
        var all = new[] { CostProfileSchema.TopLevel, CostProfileSchema.Kernel, CostProfileSchema.Cpu, CostProfileSchema.Method, CostProfileSchema.Stage, CostProfileSchema.Cost };
        foreach (var key in all.SelectMany(s => s)) Assert.Contains($"| `{key.Key}` |", text, StringComparison.Ordinal);
        foreach (string stage in CostProfileSchema.StageNames.Where(s => !s.StartsWith("esp_", StringComparison.Ordinal)))
            Assert.Contains($"`{stage}`", text, StringComparison.Ordinal);
    }
}
