using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lab.Experiments.Sweeps;
using Lab.Results;

namespace Lab.Cli.Tests;

/// <summary>lab sweep and lab merge in process: determinism across --jobs, resuming, changed scenarios, sequential stopping, shards.</summary>
public sealed class SweepCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-sweep-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>2 points x 3 replications = 6 runs of 20 ms each.</summary>
    public const string Scenario = """
        name: sw
        run: { duration: 20ms, warmup: 2ms, seed: 7, replications: 3 }
        traffic:
          - { name: bulk, kind: poisson, rate: 2Gbit/s, size: imix, flows: 100 }
        path:
          - link: { rate: 10Gbit/s, delay: 1us }
          - rss: { cores: 2 }
          - stage: { name: forward, cost: 300ns, dist: exponential }
        outputs: { timeseries: 5ms }
        sweep:
          traffic.bulk.rate: [1Gbit/s, 3Gbit/s]
        """;

    public static readonly string[] ResultFiles = ["scenario.yaml", "summary.json", "metrics.csv", "timeseries.csv", "latency_cdf.csv"];

    string ScenarioFile()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Scenario);
        return f;
    }

    string P(string name) => Path.Combine(_dir, name);

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    static string Ok(params string[] args)
    {
        var (code, o, e) = Lab(args);
        Assert.True(code == 0, $"lab {string.Join(' ', args)} exited {code}: {e}");
        return o;
    }

    internal static void AssertSameResults(string a, string b)
    {
        foreach (var name in ResultFiles)
        {
            byte[] x = File.ReadAllBytes(Path.Combine(a, name)), y = File.ReadAllBytes(Path.Combine(b, name));
            Assert.True(x.AsSpan().SequenceEqual(y), $"{name} differs between {a} and {b}");
            Assert.True(x.Length > 50, $"{name} is suspiciously small");
        }
    }

    /// <summary>The runs sweep.log says were executed, in log order.</summary>
    internal static List<string> Executed(string dir) =>
        File.Exists(Path.Combine(dir, "sweep.log"))
            ? File.ReadAllLines(Path.Combine(dir, "sweep.log")).Select(l => l.Split(' ')[4]).ToList()
            : [];

    static JsonElement Summary(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;

    static double[] Values(string dir, int point, string metric) =>
        [.. Summary(dir).GetProperty("points")[point].GetProperty("metrics").GetProperty(metric).GetProperty("values").EnumerateArray().Select(v => v.GetDouble())];

    [Fact]
    public void Results_do_not_depend_on_the_number_of_jobs()
    {
        string f = ScenarioFile();
        string o1 = Ok("sweep", f, "--jobs", "1", "--out", P("j1"), "--no-store");
        Ok("sweep", f, "--jobs", "2", "--out", P("j2"), "--no-store");
        AssertSameResults(P("j1"), P("j2"));
        Assert.Equal(6, Directory.GetFiles(P("j2"), "p*-r*.json", SearchOption.AllDirectories).Length);
        Assert.Equal(6, Executed(P("j2")).Distinct().Count());
        var lines = File.ReadAllLines(P("j1/metrics.csv"));
        Assert.Equal("point,traffic.bulk.rate,replication,metric,unit,value", lines[0]);
        Assert.Equal(6, lines.Count(l => l.Contains(",delivered_pps,", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("1,3Gbit/s,2,delivered_pps,pps,", StringComparison.Ordinal));
        var run = Summary(P("j1")).GetProperty("run");
        Assert.Equal(0.002, run.GetProperty("warmup_s").GetDouble());
        Assert.Equal(3, run.GetProperty("replications").GetInt32());
        // The warm-up is stated in what the sweep prints, with the window the metrics cover.
        Assert.Contains("warm-up: the first 2ms of each run is discarded; every metric covers 2ms..20ms (summary.json run.warmup_s = 0.002)", o1);
        Assert.Contains("6 run(s): 6 run(s) executed now with 1 job(s), 0 resumed", o1);
        Assert.Matches(@"\n0 +1Gbit/s +3 +\d", o1);
    }

    [Fact]
    public void A_sweep_writes_what_lab_run_writes_for_the_same_scenario()
    {
        // Fixed-size frames: the IMIX deck of SizeDistribution keeps its position from one run
        // to the next in `lab run` (which reuses one bound scenario for all replications), so
        // only without IMIX do the two commands see the same inputs for replications 1 and up.
        string f = P("fixed.yaml");
        File.WriteAllText(f, Scenario.Replace("size: imix", "size: 512B", StringComparison.Ordinal));
        Ok("run", f, "--out", P("run"), "--no-store");
        Ok("sweep", f, "--out", P("sweep"), "--no-store", "--jobs", "2");
        AssertSameResults(P("run"), P("sweep"));
    }

    [Fact]
    public void A_restarted_sweep_runs_only_what_is_missing()
    {
        string f = ScenarioFile();
        Ok("sweep", f, "--jobs", "2", "--out", P("a"), "--no-store");
        var before = ResultFiles.ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(P("a"), n)));
        File.Delete(P("a/runs/p0-r1.json"));
        File.Delete(P("a/runs/p1-r2.json"));
        // What a process killed while writing a run leaves behind: never read, removed on restart.
        File.WriteAllText(P("a/runs/.p1-r0.json.tmp-99999-7"), "{\"format\": 1, \"run_ha");
        string o = Ok("sweep", f, "--jobs", "2", "--out", P("a"), "--no-store");
        Assert.Contains("6 run(s): 2 run(s) executed now with 2 job(s), 4 resumed", o);
        Assert.Equal(["p0-r1", "p1-r2"], Executed(P("a")).Skip(6).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(P("a/runs/.p1-r0.json.tmp-99999-7")));
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(P("a"), name))), $"{name} changed");
        // Nothing missing: nothing runs.
        Assert.Contains("0 run(s) executed now", Ok("sweep", f, "--out", P("a"), "--no-store"));
        Assert.Equal(8, Executed(P("a")).Count);
    }

    [Fact]
    public void A_changed_scenario_is_refused_unless_restarted_but_more_replications_extend_the_sweep()
    {
        string f = ScenarioFile();
        Ok("sweep", f, "--out", P("a"), "--no-store");
        var first = Values(P("a"), 1, "delivered_pps");
        string summary = File.ReadAllText(P("a/summary.json"));

        var (code, _, err) = Lab("sweep", f, "--out", P("a"), "--no-store", "--set", "path.forward.cost=400ns");
        Assert.Equal(2, code);
        Assert.Contains("sweep.json: made from a different scenario", err);
        Assert.Contains("Use --restart to discard the runs in", err);
        Assert.Equal(summary, File.ReadAllText(P("a/summary.json")));
        Assert.Equal(6, Executed(P("a")).Count);

        // A run file from another scenario is refused too, even if sweep.json agrees.
        File.Copy(P("a/runs/p0-r0.json"), P("keep.json"));
        Ok("sweep", f, "--out", P("b"), "--no-store", "--seed", "8");
        File.Copy(P("b/runs/p0-r0.json"), P("a/runs/p0-r0.json"), overwrite: true);
        (code, _, err) = Lab("sweep", f, "--out", P("a"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains("p0-r0.json: made from a different scenario", err);
        File.Copy(P("keep.json"), P("a/runs/p0-r0.json"), overwrite: true);

        // More replications: the same runs plus new ones (a run does not depend on how many there are).
        string o = Ok("sweep", f, "--out", P("a"), "--no-store", "--replications", "4");
        Assert.Contains("8 run(s): 2 run(s) executed now", o);
        Assert.Equal(["p0-r3", "p1-r3"], Executed(P("a")).Skip(6).Order(StringComparer.Ordinal));
        Assert.Equal(first, Values(P("a"), 1, "delivered_pps")[..3]);

        o = Ok("sweep", f, "--out", P("a"), "--no-store", "--seed", "8", "--restart");
        Assert.Contains("6 run(s): 6 run(s) executed now", o);
        Assert.Equal(File.ReadAllText(P("b/summary.json")), File.ReadAllText(P("a/summary.json")));
    }

    [Fact]
    public void Sequential_stopping_adds_batches_until_every_metric_is_precise_or_capped()
    {
        string f = ScenarioFile();
        const double target = 0.015;
        const int batch = 2, cap = 12;
        string[] metrics = ["delivered_pps", "latency_mean_us"];
        string o = Ok("sweep", f, "--out", P("p"), "--no-store", "--jobs", "2", "--replications", "2",
            "--precision", "1.5%", "--metric", metrics[0], "--metric", metrics[1], "--max-replications", "12");
        Assert.Contains("precision: adding batches of 2 until the 95% CI half-width of delivered_pps, latency_mean_us is under 1.5% of the mean, at most 12 replications per point", o);

        // Independently of the lab's Summary: t(0.975, df) from a t table.
        double[] t975 = [double.NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201];
        bool Precise(double[] v)
        {
            double mean = v.Average();
            double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
            return t975[v.Length - 1] * sd / Math.Sqrt(v.Length) < target * Math.Abs(mean);
        }
        var counts = new List<int>();
        for (int point = 0; point < 2; point++)
        {
            var values = metrics.Select(m => Values(P("p"), point, m)).ToList();
            int n = values[0].Length;
            counts.Add(n);
            Assert.True(n % batch == 0 && n is >= batch and <= cap, $"point {point}: {n} replications");
            // Stopped at the first batch end where every metric is precise (or at the cap) ...
            Assert.True(n == cap || values.All(v => Precise(v)), $"point {point} stopped at {n} without precision");
            // ... and not earlier.
            for (int m = batch; m < n; m += batch) Assert.False(values.All(v => Precise(v[..m])), $"point {point} should have stopped at {m}");
            Assert.Contains(n == cap && !values.All(v => Precise(v)) ? "NOT reached (cap)" : "reached", o.Split('\n').First(l => l.StartsWith(point.ToString(CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal)));
        }
        // The rule had work to do: some point needed more than one batch.
        Assert.True(counts.Max() > batch, $"replications {string.Join(", ", counts)}");
        Assert.Equal(counts.Max(), Summary(P("p")).GetProperty("run").GetProperty("replications").GetInt32());

        // The same decisions with one job, and the replications are the plain sweep's.
        Ok("sweep", f, "--out", P("p1"), "--no-store", "--jobs", "1", "--replications", "2",
            "--precision", "1.5%", "--metric", metrics[0], "--metric", metrics[1], "--max-replications", "12");
        Assert.Equal(File.ReadAllText(P("p/metrics.csv")), File.ReadAllText(P("p1/metrics.csv")));
        Ok("sweep", f, "--out", P("plain"), "--no-store", "--replications", "2");
        Assert.Equal(Values(P("plain"), 0, "delivered_pps"), Values(P("p"), 0, "delivered_pps")[..2]);
    }

    [Fact]
    public void Shards_merge_into_the_results_of_one_sweep()
    {
        string f = ScenarioFile();
        Ok("sweep", f, "--out", P("whole"), "--no-store");
        for (int i = 0; i < 3; i++)
        {
            string o = Ok("sweep", f, "--shard", $"{i}/3", "--out", P($"s{i}"), "--no-store", "--jobs", "1");
            Assert.Contains($"shard {i}/3: 2 run(s) of 6", o);
            Assert.False(File.Exists(P($"s{i}/summary.json")), "a shard alone is not a result set");
        }
        // k = point * 3 + replication, shard = k mod 3.
        Assert.Equal(["p0-r1.json", "p1-r1.json"], Directory.GetFiles(P("s1/runs")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        string merged = Ok("merge", P("s0"), P("s1"), P("s2"), "--out", P("m"), "--no-store");
        Assert.Contains("merged 6 run(s) from 3 folder(s)", merged);
        AssertSameResults(P("whole"), P("m"));
    }

    [Fact]
    public void Merge_reports_missing_runs_and_refuses_duplicates_and_strangers()
    {
        string f = ScenarioFile();
        for (int i = 0; i < 3; i++) Ok("sweep", f, "--shard", $"{i}/3", "--out", P($"s{i}"), "--no-store");

        var (code, _, err) = Lab("merge", P("s0"), P("s2"), "--out", P("m"), "--no-store");
        Assert.Equal(1, code);
        Assert.Contains("lab merge: incomplete, nothing written: 2 of 6 run(s) missing: p0-r1, p1-r1", err);
        Assert.Contains("shard 1/3 misses 2", err);
        Assert.False(Directory.Exists(P("m")));

        (code, _, err) = Lab("merge", P("s0"), P("s1"), P("s2"), P("s1"), "--out", P("m"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains("run p0-r1 is also in", err);
        Assert.False(Directory.Exists(P("m")));

        Ok("sweep", f, "--shard", "1/3", "--out", P("other"), "--no-store", "--seed", "9");
        (code, _, err) = Lab("merge", P("s0"), P("other"), P("s2"), "--out", P("m"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains("a sweep of a different scenario than", err);

        (code, _, err) = Lab("merge", P("s0"), P("s1"), P("s2"), "--out", P("s0"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains("is a sweep folder; merging into it would replace its runs", err);
        Assert.Equal(2, Directory.GetFiles(P("s0/runs")).Length);

        (code, _, err) = Lab("merge", _dir, "--out", P("m"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains("not a sweep folder (no sweep.json", err);
    }

    [Fact]
    public void The_emitted_slurm_script_runs_each_shard_and_merges_without_slurm()
    {
        string f = ScenarioFile();
        string o = Ok("sweep", f, "--emit", "slurm", "--shards", "4", "--out", P("shared"), "--set", "run.duration=20ms");
        string script = File.ReadAllText(P("shared/sweep.sbatch"));
        Assert.Contains($"wrote {P("shared/sweep.sbatch")}: a Slurm job array of 4 task(s) for 6 run(s)", o);
        Assert.StartsWith("#!/bin/bash\n#SBATCH --job-name=lab-sw\n#SBATCH --array=0-3\n", script);
        Assert.Contains($"#SBATCH --output={P("shared")}/slurm-%A_%a.out\n", script);
        Assert.Contains($" sweep {f} --set run.duration=20ms --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\" --no-store --shard \"${{SLURM_ARRAY_TASK_ID}}/4\" --out {P("shared")}/shard-\"${{SLURM_ARRAY_TASK_ID}}\"\n", script);

        // What each array task does, by hand: bash runs the script with the task's id (the
        // #SBATCH lines are comments to bash). The slurm test does the same through Slurm.
        for (int i = 0; i < 4; i++)
        {
            var psi = new ProcessStartInfo("bash", [P("shared/sweep.sbatch")]) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["SLURM_ARRAY_TASK_ID"] = i.ToString(CultureInfo.InvariantCulture);
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"task {i}: {stdout}{stderr}");
        }
        Ok("merge", P("shared/shard-0"), P("shared/shard-1"), P("shared/shard-2"), P("shared/shard-3"), "--out", P("merged"), "--no-store");
        Ok("sweep", f, "--out", P("local"), "--no-store");
        AssertSameResults(P("local"), P("merged"));
    }

    [Theory]
    [InlineData("--jobs 0", "--jobs: expected a positive number of worker threads, found 0")]
    [InlineData("--shard 3/3", "--shard: expected I/N with 0 <= I < N")]
    [InlineData("--precision 2% --shard 0/2", "--precision: sequential stopping needs all replications of a point in one process")]
    [InlineData("--precision 200%", "--precision: expected a relative half-width between 0 and 1")]
    [InlineData("--max-replications 9", "--max-replications: only with --precision")]
    [InlineData("--precision 2% --max-replications 2", "--max-replications: expected at least 2 and at least run.replications (3), found 2")]
    [InlineData("--emit pbs --shards 2", "--emit: expected 'slurm', found 'pbs'")]
    [InlineData("--emit slurm", "--emit slurm: expected --shards N")]
    [InlineData("--shards 4", "--shards: only with --emit slurm")]
    [InlineData("--precision 50% --metric nope", "--metric nope: point 0 has no such metric")]
    public void Bad_flags_exit_2_with_one_clear_line(string flags, string message)
    {
        string f = ScenarioFile();
        var (code, _, err) = Lab(["sweep", f, "--out", P("x"), "--no-store", .. flags.Split(' ')]);
        Assert.Equal(2, code);
        Assert.StartsWith($"lab: error: {message}", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}
