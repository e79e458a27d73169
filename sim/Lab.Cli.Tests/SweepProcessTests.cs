using System.Diagnostics;
using Lab.Results;

namespace Lab.Cli.Tests;

/// <summary>Starts the built lab (lab.dll beside the tests) as a child process.</summary>
static class LabProcess
{
    public static ProcessStartInfo Info(IEnumerable<string> args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "lab.dll");
        string muxer = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(muxer) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public static (int Code, string Out, string Err) Run(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o, err.Result);
    }

    /// <summary>Waits until <paramref name="dir"/>/runs holds at least <paramref name="count"/> run files, or the process exits.</summary>
    public static int WaitForRuns(Process p, string dir, int count)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            int n = RunFiles(dir).Count;
            if (n >= count || p.HasExited) return n;
            Thread.Sleep(10);
        }
        throw new TimeoutException($"no {count} runs in {dir} after 3 minutes");
    }

    public static List<string> RunFiles(string dir) =>
        Directory.Exists(Path.Combine(dir, "runs"))
            ? [.. Directory.GetFiles(Path.Combine(dir, "runs"), "p*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)]
            : [];
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SweepProcessCollection
{
    public const string Name = "sweep processes";
}

/// <summary>lab sweep as a real process: killed half-way, stopped with Ctrl-C, merging into the results store.</summary>
[Collection(SweepProcessCollection.Name)]
public sealed class SweepProcessTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-sweep-proc-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>4 points x 2 replications of 100 ms at up to 8 Gbit/s: long enough to stop a sweep half-way.</summary>
    const string Scenario = """
        name: slow
        run: { duration: 100ms, warmup: 10ms, seed: 3, replications: 2 }
        traffic:
          - { name: bulk, kind: poisson, rate: 8Gbit/s, size: imix, flows: 1000 }
        path:
          - link: { rate: 10Gbit/s, delay: 5us }
          - rss: { cores: 2 }
          - stage: { name: forward, cost: 350ns }
        outputs: { timeseries: 10ms }
        sweep:
          traffic.bulk.rate: [5Gbit/s, 6Gbit/s, 7Gbit/s, 8Gbit/s]
        """;

    string P(string name) => Path.Combine(_dir, name);

    string ScenarioFile()
    {
        File.WriteAllText(P("slow.yaml"), Scenario);
        return P("slow.yaml");
    }

    static void Ok(params string[] args)
    {
        var se = new StringWriter();
        int code = LabCommand.Run(args, new StringWriter(), se);
        Assert.True(code == 0, $"lab {string.Join(' ', args)} exited {code}: {se}");
    }

    [Fact]
    public void Killing_a_sweep_half_way_and_restarting_gives_the_uninterrupted_results_with_no_run_done_twice()
    {
        string f = ScenarioFile(), dir = P("killed");
        using (var p = Process.Start(LabProcess.Info(["sweep", f, "--jobs", "1", "--out", dir, "--no-store"]))!)
        {
            int seen = LabProcess.WaitForRuns(p, dir, 3);
            // (The message only when it fails: reading the child's stderr waits for it to exit.)
            if (p.HasExited) Assert.Fail($"the sweep ended before it could be killed ({seen} runs): {p.StandardError.ReadToEnd()}");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var present = LabProcess.RunFiles(dir);
        var before = SweepCommandTests.Executed(dir);
        Assert.True(present.Count is >= 3 and <= 7, $"{present.Count} runs after the kill: {File.ReadAllText(Path.Combine(dir, "sweep.log"))}");
        Assert.Equal(before.Count, before.Distinct().Count());
        // Every logged run has its file; at most one run (killed between its rename and its log line) has a file but no line.
        Assert.Subset(present.ToHashSet(), before.ToHashSet());
        Assert.InRange(present.Count - before.Count, 0, 1);

        Ok("sweep", f, "--jobs", "2", "--out", dir, "--no-store");
        var after = SweepCommandTests.Executed(dir).Skip(before.Count).Order(StringComparer.Ordinal).ToList();
        var all = Enumerable.Range(0, 4).SelectMany(pt => Enumerable.Range(0, 2).Select(r => $"p{pt}-r{r}")).ToList();
        // The restart ran exactly the runs that had no file: none twice, none lost.
        Assert.Equal(all.Except(present).Order(StringComparer.Ordinal), after);
        Assert.Equal(8, LabProcess.RunFiles(dir).Count);

        Ok("sweep", f, "--jobs", "1", "--out", P("whole"), "--no-store");
        SweepCommandTests.AssertSameResults(P("whole"), dir);
    }

    [Fact]
    public async Task Ctrl_c_abandons_the_runs_in_progress_and_keeps_the_finished_ones()
    {
        string f = ScenarioFile(), dir = P("interrupted");
        using var p = Process.Start(LabProcess.Info(["sweep", f, "--jobs", "1", "--out", dir, "--no-store"]))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        int seen = LabProcess.WaitForRuns(p, dir, 2);
        Assert.False(p.HasExited, $"the sweep ended before Ctrl-C ({seen} runs)");
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2))) await p.WaitForExitAsync(timeout.Token);
        string o = await stdout, e = await stderr;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {e}");
        Assert.Equal(LabCommand.InterruptedMessage + "\n", e);
        Assert.Contains("interrupted: ", o);
        Assert.Contains("run the same command again to finish the rest", o);
        // The run in progress was abandoned, not half-written: every logged run has its file and vice versa.
        Assert.Equal(LabProcess.RunFiles(dir), SweepCommandTests.Executed(dir).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "runs"), ".*"));
        Assert.False(File.Exists(Path.Combine(dir, "summary.json")));
    }

    [Fact]
    public void Merge_records_the_merged_set_in_the_results_store()
    {
        string f = ScenarioFile();
        string db = P("store.duckdb");
        for (int i = 0; i < 2; i++) Ok("sweep", f, "--shard", $"{i}/2", "--out", P($"s{i}"), "--no-store", "--set", "run.duration=20ms");
        var psi = LabProcess.Info(["merge", P("s0"), P("s1"), "--out", P("m")]);
        psi.Environment["LAB_RESULTS_DB"] = db;
        var (code, o, e) = LabProcess.Run(psi);
        Assert.True(code == 0, o + e);
        using var store = new ResultsStore(db);
        var (_, rows) = store.Query("SELECT count(DISTINCT point), count(DISTINCT replication), count(*) FILTER (WHERE metric = 'delivered_pps'), min(out_dir) FROM metrics JOIN runs USING (run_id, point)");
        Assert.Equal(["4", "2", "8", P("m")], rows[0]);
    }
}
