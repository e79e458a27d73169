using System.Reflection;
using BenchmarkDotNet.Attributes;
using Lab.Bench;
using Lab.Captures.Netns;
using Lab.Benchmarking;

namespace Lab.Cli.Tests;

/// <summary>Tests that run benchmarks in this process share the host registration and the environment.</summary>
[CollectionDefinition("bench", DisableParallelization = true)]
public sealed class BenchCollection;

[Collection("bench")]
public sealed class BenchCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-bench-").FullName;

    readonly BdnBenchmarkHost _host = new();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(BenchHost.SlowdownVariable, null);
        Environment.SetEnvironmentVariable(BaselineHostBuild.HostVariable, null);
        Environment.SetEnvironmentVariable(BenchHost.DebugQuickVariable, null);
        Directory.Delete(_dir, true);
    }

    (int Code, string Out, string Err) Lab(params string[] args)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(args, so, se, _host);
        return (code, so.ToString(), se.ToString());
    }

    string[] Common(params string[] more) =>
        [.. more, "--db", Path.Combine(_dir, "lab.duckdb"), "--baseline-dir", Path.Combine(_dir, "baselines"), "--artifacts", Path.Combine(_dir, "artifacts")];

    /// <summary>
    /// Every benchmark case that can run on this machine, worked out from the attributes:
    /// suite/Type.Method(Param=value,...). CI runs as root, where that is every case.
    /// </summary>
    static SortedSet<string> ExpectedCases()
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var suite in Suites.All)
        {
            foreach (var type in typeof(BdnBenchmarkHost).Assembly.GetTypes())
            {
                if (type.GetCustomAttribute<BenchmarkCategoryAttribute>()?.Categories.Contains(suite) != true) continue;
                if (BenchmarkPrerequisiteAttribute.UnavailableReason(type) is not null) continue;
                var combos = new List<string> { "" };
                foreach (var p in type.GetProperties())
                {
                    IEnumerable<object?>? values = p.GetCustomAttribute<ParamsAttribute>()?.Values;
                    if (p.GetCustomAttribute<ParamsSourceAttribute>() is { } src)
                        values = ((IEnumerable<string>)type.GetMethod(src.Name)!.Invoke(null, null)!).Cast<object?>();
                    if (values is null) continue;
                    combos = [.. combos.SelectMany(c => values.Select(v => (c.Length == 0 ? "" : c + ",") + $"{p.Name}={v}"))];
                }
                foreach (var m in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
                {
                    foreach (var c in combos) keys.Add(c.Length == 0 ? $"{suite}/{type.Name}.{m.Name}" : $"{suite}/{type.Name}.{m.Name}({c})");
                }
            }
        }
        return keys;
    }

    [Fact]
    public void Every_benchmark_runs_once_in_a_dry_job_and_is_recorded()
    {
        var (code, output, err) = Lab(Common("bench", "--dry", "--save", "smoke"));
        Assert.True(code == 0, output + err);
        var saved = BaselineFile.Load(Path.Combine(_dir, "baselines", "smoke.json"));
        var expected = ExpectedCases();
        Assert.Equal(expected, new SortedSet<string>(saved.Measurements.Select(m => m.Key), StringComparer.Ordinal));
        // Six suites, each with its own reference measurement, and the quickstart among the end-to-end runs.
        Assert.Equal(6, saved.Measurements.Count(m => m.IsReference));
        Assert.Contains("end-to-end/EndToEndBenchmarks.Run(Scenario=quickstart)", expected);
        var e2e = saved.Measurements.Single(m => m.Key == "end-to-end/EndToEndBenchmarks.Run(Scenario=quickstart)");
        Assert.True(e2e.EventsPerOp > 0 && e2e.PacketsPerOp > 0);
        // The replayer's send loop runs where namespaces can be built (root), and is otherwise left out with the reason.
        if (BenchmarkPrerequisiteAttribute.UnavailableReason(typeof(ReplaySendBenchmarks)) is { } reason)
        {
            Assert.Contains($"skipped (not measured on this machine): io/ReplaySendBenchmarks: {reason}", output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("io/ReplaySendBenchmarks.SendBatch(FrameSize=60)", expected);
            Assert.Contains("io/ReplaySendBenchmarks.Replay(FrameSize=1514)", expected);
            Assert.Equal("packet", saved.Measurements.Single(m => m.Key == "io/ReplaySendBenchmarks.SendBatch(FrameSize=60)").OpUnit);
            Assert.DoesNotContain("skipped", output, StringComparison.Ordinal);
            // GlobalCleanup removed every namespace the benchmark built (role "bench": lab-PID-N-bench).
            Assert.Empty(Directory.Exists(NetworkNamespace.RunDirectory)
                ? Directory.GetFiles(NetworkNamespace.RunDirectory, $"lab-{Environment.ProcessId}-*-bench") : []);
        }

        using var store = new BenchStore(Path.Combine(_dir, "lab.duckdb"));
        var runs = store.Runs();
        Assert.Single(runs);
        Assert.Equal(expected.Count, runs[0].Measurements.Count);
        Assert.Equal(BenchMode.Dry, runs[0].Mode);
        store.Dispose();

        var (hcode, history, _) = Lab("bench", "history", "--mode", "dry", "--suite", "engine", "--db", Path.Combine(_dir, "lab.duckdb"));
        Assert.Equal(0, hcode);
        Assert.Contains("engine/EngineHoldBenchmarks.Hold(Pending=1000000)", history, StringComparison.Ordinal);
        Assert.DoesNotContain("packet-path/", history, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slowed_build_is_caught_by_compare_and_a_plain_rerun_is_not()
    {
        // Quick in-process runs of the packet-path suite only (the quickstart path and the reference).
        // The threshold is wider than the 10% default because CI machines are shared; the slowdown
        // switch adds several times the path's own per-packet work.
        string[] quick = ["bench", "--quick", "--suite", "packet-path", "--no-store", "--threshold", "50%"];
        var first = Lab(Common([.. quick, "--save", "plain"]));
        Assert.True(first.Code == 0, first.Out + first.Err);

        var again = Lab(Common([.. quick, "--compare", "plain"]));
        Assert.True(again.Code == 0, "a plain rerun was flagged:\n" + again.Out + again.Err);
        Assert.Contains("result: no benchmark got slower", again.Out, StringComparison.Ordinal);

        // The baseline's commit is this checkout's, so the confirmation is interleaved with the
        // baseline's own code: here the lab beside the tests (this build, without the slowdown
        // switch) in separate processes, named by the test switch instead of a Release build of the
        // commit in a worktree (minutes). Like this process, it times the code as built (Debug here).
        Environment.SetEnvironmentVariable(BaselineHostBuild.HostVariable, Path.Combine(AppContext.BaseDirectory, "lab.dll"));
        Environment.SetEnvironmentVariable(BenchHost.DebugQuickVariable, "1");
        Environment.SetEnvironmentVariable(BenchHost.SlowdownVariable, "1");
        // Three pairs, not two: the interval's Student-t factor is 12.71 with one degree of freedom
        // and 4.30 with two, so under load (CI on a shared machine, load 7) two pairs that disagree
        // left the slowdown's interval reaching -39% although its median read +258%.
        var slowed = Lab(Common([.. quick, "--compare", "plain", "--confirm", "3"]));
        Environment.SetEnvironmentVariable(BenchHost.SlowdownVariable, null);
        Assert.True(slowed.Code == 1, "the slowed build was not caught:\n" + slowed.Out + slowed.Err);
        Assert.Contains("LAB_BENCH_SLOWDOWN=1", slowed.Out, StringComparison.Ordinal);
        // Its row in the comparison, then in the confirmation: three pairs of processes, the
        // baseline's code (the switch removed) then the slowed one, each against its own reference.
        var rows = slowed.Out.Split('\n').Where(l => l.StartsWith("packet-path/PacketPathBenchmarks.Quickstart", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.EndsWith("SLOWER", rows[0].TrimEnd(), StringComparison.Ordinal);
        Assert.EndsWith("SLOWER (confirmed)", rows[1].TrimEnd(), StringComparison.Ordinal);
        string commit = BaselineFile.Load(Path.Combine(_dir, "baselines", "plain.json")).Commit;
        Assert.Contains($"confirmation interleaved with commit {commit[..12]}: ", slowed.Out, StringComparison.Ordinal);
        Assert.Contains("confirmation pair 3 of 3 done", slowed.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("re-measures this code alone", slowed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_baseline_whose_commit_is_not_in_the_repository_is_confirmed_against_its_numbers_and_says_why()
    {
        // A baseline from commit 0123456789ab (no such commit here) whose packet path ratio is a
        // tenth of any real one: the first measurement flags it, the confirmation cannot run that
        // commit's code, so it re-measures this code alone (one more run) and says why.
        string[] quick = ["bench", "--quick", "--suite", "packet-path", "--filter", "*PacketPathBenchmarks*", "--no-store"];
        var first = Lab(Common([.. quick, "--save", "real"]));
        Assert.True(first.Code == 0, first.Out + first.Err);
        var real = BaselineFile.Load(Path.Combine(_dir, "baselines", "real.json"));
        var fake = real with
        {
            Commit = "0123456789ab",
            Measurements = [.. real.Measurements.Select(m => m.IsReference ? m : m with { MedianNs = m.MedianNs / 10, MeanNs = m.MeanNs / 10, StdErrNs = m.StdErrNs / 10 })],
        };
        BaselineFile.Save(Path.Combine(_dir, "baselines", "elsewhere.json"), fake, "elsewhere");
        var again = Lab(Common([.. quick, "--compare", "elsewhere", "--confirm", "1"]));
        Assert.True(again.Code == 1, again.Out + again.Err);
        Assert.Contains("note: the confirmation re-measures this code alone, not interleaved with the baseline's: "
            + "commit 0123456789ab is not in the lab's repository ", again.Out, StringComparison.Ordinal);
        Assert.Contains("confirmation run 1 of 1 done", again.Out, StringComparison.Ordinal);
        var rows = again.Out.Split('\n').Where(l => l.StartsWith("packet-path/PacketPathBenchmarks.Quickstart", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.EndsWith("SLOWER (confirmed)", rows[1].TrimEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--suite", "nonsense")]
    [InlineData("--threshold", "ten")]
    [InlineData("--compare", "no-such-baseline")]
    [InlineData("--save", "../escape")]
    [InlineData("--runs", "0")]
    [InlineData("--confirm", "-1")]
    public void Bad_input_exits_2_naming_the_flag(string flag, string value)
    {
        var (code, _, err) = Lab(Common("bench", "--quick", flag, value));
        Assert.Equal(2, code);
        Assert.Contains(flag, err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lab_host_runs_full_and_dry_runs_itself_and_quick_runs_only_in_optimized_code()
    {
        // As the lab binary registers it. Full runs time BenchmarkDotNet's own Release child; quick runs time this process.
        IBenchmarkHost lab = new BdnBenchmarkHost { QuickNeedsOptimizedProcess = true };
        Assert.True(lab.Measures(BenchMode.Full));
        Assert.True(lab.Measures(BenchMode.Dry));
        // This test build: Debug locally (quick goes to the Release host), optimized only if built -c Release.
        Assert.Equal(BdnBenchmarkHost.ModelCodeOptimized(), lab.Measures(BenchMode.Quick));
        Assert.True(((IBenchmarkHost)new BdnBenchmarkHost()).Measures(BenchMode.Quick));
    }

    [Fact]
    public void Compare_with_a_baseline_from_another_cpu_model_exits_2_naming_both_before_measuring()
    {
        var baseline = new BenchRun("r", DateTimeOffset.UnixEpoch, "abc", "0.1.0", "h", "Imaginary CPU 9000, 2 logical cores", BenchMode.Quick, true, false,
            [new("packet-path", "ReferenceBenchmarks.FixedWork", "", 1000, 1000, 1, 15, 0, "fixed work", true)]) { CpuModel = "Imaginary CPU 9000" };
        BaselineFile.Save(Path.Combine(_dir, "baselines", "other.json"), baseline, "other");
        var (code, output, err) = Lab(Common("bench", "--quick", "--suite", "packet-path", "--no-store", "--compare", "other"));
        Assert.Equal(2, code);
        Assert.Contains("\"Imaginary CPU 9000\"", err, StringComparison.Ordinal);
        Assert.Contains($"\"{CpuModel.Current() ?? CpuModel.Unknown}\"", err, StringComparison.Ordinal);
        Assert.Contains("--cross-machine", err, StringComparison.Ordinal);
        // Refused before anything ran.
        Assert.DoesNotContain("suite packet-path", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_matching_nothing_is_bad_input()
    {
        var (code, _, err) = Lab(Common("bench", "--dry", "--no-store", "--filter", "*NoSuchBenchmark*"));
        Assert.Equal(2, code);
        Assert.Contains("--filter", err, StringComparison.Ordinal);
    }
}
