using System.Text.Json;
using Lab.Cli;

namespace Lab.Cli.Tests;

public sealed class RunCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    const string Scenario = """
        name: det
        run: { duration: 20ms, warmup: 2ms, seed: 42, replications: 2 }
        traffic:
          - { name: bulk, kind: poisson, rate: 2Gbit/s, size: imix, flows: 100 }
        path:
          - link: { rate: 10Gbit/s, delay: 1us }
          - rss: { cores: 2 }
          - stage: { name: forward, cost: 300ns, dist: exponential }
        outputs: { timeseries: 5ms }
        """;

    string Write(string name, string yaml)
    {
        string f = Path.Combine(_dir, name);
        File.WriteAllText(f, yaml);
        return f;
    }

    int Lab(params string[] args)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(args, so, se);
        Assert.True(code == 0, se.ToString());
        return code;
    }

    [Fact]
    public void Same_scenario_seed_and_replication_give_byte_identical_results()
    {
        string f = Write("s.yaml", Scenario);
        Lab("run", f, "--out", Path.Combine(_dir, "a"), "--no-store");
        Lab("run", f, "--out", Path.Combine(_dir, "b"), "--no-store");
        foreach (var name in new[] { "scenario.yaml", "summary.json", "metrics.csv", "timeseries.csv", "latency_cdf.csv" })
        {
            byte[] a = File.ReadAllBytes(Path.Combine(_dir, "a", name));
            byte[] b = File.ReadAllBytes(Path.Combine(_dir, "b", name));
            Assert.True(a.AsSpan().SequenceEqual(b), $"{name} differs between two identical runs");
            Assert.True(a.Length > 50, $"{name} is suspiciously small");
        }
    }

    [Fact]
    public void Replications_draw_differently_and_seeds_change_results()
    {
        string f = Write("s.yaml", Scenario);
        Lab("run", f, "--out", Path.Combine(_dir, "a"), "--no-store");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "a", "summary.json")));
        var values = doc.RootElement.GetProperty("points")[0].GetProperty("metrics").GetProperty("latency_mean_us").GetProperty("values");
        Assert.Equal(2, values.GetArrayLength());
        Assert.NotEqual(values[0].GetDouble(), values[1].GetDouble());

        Lab("run", f, "--out", Path.Combine(_dir, "c"), "--no-store", "--seed", "43");
        Assert.NotEqual(File.ReadAllText(Path.Combine(_dir, "a", "metrics.csv")), File.ReadAllText(Path.Combine(_dir, "c", "metrics.csv")));
        Assert.Contains("seed: 43", File.ReadAllText(Path.Combine(_dir, "c", "scenario.yaml")));
    }

    [Fact]
    public void Extends_merges_the_base_and_set_overrides_it()
    {
        Write("base.yaml", Scenario);
        string child = Write("child.yaml", """
            extends: base.yaml
            name: child
            run: { replications: 1 }
            """);
        Lab("run", child, "--out", Path.Combine(_dir, "x"), "--no-store", "--set", "traffic.bulk.rate=1Gbit/s");
        string resolved = File.ReadAllText(Path.Combine(_dir, "x", "scenario.yaml"));
        Assert.Contains("name: child", resolved);
        Assert.Contains("duration: 20ms", resolved);   // from the base
        Assert.Contains("replications: 1", resolved);  // from the child
        Assert.Contains("rate: 1Gbit/s", resolved);    // from --set
        Assert.DoesNotContain("extends", resolved);
    }

    [Fact]
    public void A_sweep_runs_every_point_and_labels_the_rows()
    {
        string f = Write("sw.yaml", Scenario.Replace("replications: 2", "replications: 1", StringComparison.Ordinal) + """

            sweep:
              traffic.bulk.rate: [1Gbit/s, 3Gbit/s]
              path.rss.cores: [1, 2]
            """);
        Lab("run", f, "--out", Path.Combine(_dir, "sw"), "--no-store");
        var lines = File.ReadAllLines(Path.Combine(_dir, "sw", "metrics.csv"));
        Assert.Equal("point,traffic.bulk.rate,path.rss.cores,replication,metric,unit,value", lines[0]);
        // The first parameter varies slowest: (1G,1) (1G,2) (3G,1) (3G,2).
        Assert.Contains(lines, l => l.StartsWith("3,3Gbit/s,2,0,delivered_pps,pps,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("1,1Gbit/s,2,0,cpu1.utilization,", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("0,1Gbit/s,1,0,cpu1.", StringComparison.Ordinal));
    }

    [Fact]
    public void Runs_are_recorded_in_the_results_store_and_queryable()
    {
        string f = Write("s.yaml", Scenario);
        string db = Path.Combine(_dir, "store.duckdb");
        Environment.SetEnvironmentVariable("LAB_RESULTS_DB", db);
        try
        {
            Lab("run", f, "--out", Path.Combine(_dir, "a"));
            var so = new StringWriter();
            Assert.Equal(0, LabCommand.Run(["results", "query", "SELECT count(DISTINCT replication) AS reps, max(metric = 'delivered_pps') AS has FROM metrics"], so, new StringWriter()));
            Assert.Contains("2     True", so.ToString());
            so = new StringWriter();
            Assert.Equal(0, LabCommand.Run(["results", "list"], so, new StringWriter()));
            Assert.Contains("det-", so.ToString());
            var se = new StringWriter();
            Assert.Equal(2, LabCommand.Run(["results", "query", "SELECT nope FROM metrics"], new StringWriter(), se));
            Assert.StartsWith("lab: error: query:", se.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("LAB_RESULTS_DB", null);
        }
    }

    [Fact]
    public void Describe_lists_models_and_prints_parameters()
    {
        var so = new StringWriter();
        Assert.Equal(0, LabCommand.Run(["describe", "scenario"], so, new StringWriter()));
        Assert.Contains("path[].link.queue", so.ToString());
        Assert.Contains("default: 1000", so.ToString());
        var se = new StringWriter();
        Assert.Equal(2, LabCommand.Run(["describe", "senario"], new StringWriter(), se));
        Assert.Contains("did you mean 'scenario'?", se.ToString());
    }

    [Fact]
    public void The_quickstart_example_checks_clean()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        foreach (var f in Directory.GetFiles(Path.Combine(root, "scenarios", "examples"), "*.yaml"))
        {
            var se = new StringWriter();
            Assert.True(LabCommand.Run(["check", f], new StringWriter(), se) == 0, se.ToString());
        }
    }
}

public class ScenarioDocsTests
{
    [Fact]
    public void Scenarios_readme_documents_every_key_of_the_schema()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        string readme = File.ReadAllText(Path.Combine(root, "scenarios", "README.md"));
        var sections = new[] { Lab.Scenarios.ScenarioSchema.TopLevel, Lab.Scenarios.ScenarioSchema.Run, Lab.Scenarios.ScenarioSchema.Traffic,
            Lab.Scenarios.ScenarioSchema.Link, Lab.Scenarios.ScenarioSchema.Rss, Lab.Scenarios.ScenarioSchema.Stage, Lab.Scenarios.ScenarioSchema.Outputs,
            Lab.Scenarios.ScenarioSchema.ScriptPacket, Lab.Scenarios.ScenarioSchema.Probes };
        foreach (var key in sections.SelectMany(s => s)) Assert.Contains($"| `{key.Key}` |", readme);
    }
}
