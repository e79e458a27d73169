using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lab.Core;
using Lab.Esp.Replay;
using Lab.Results;
using Lab.Simulation.Running;

namespace Lab.Cli.Tests;

/// <summary>
/// Issue 19's "say why nothing happened" and small items, and issue 16's packet bound, through the
/// command entry (and the library types the summary calls).
/// </summary>
public sealed partial class FirstHourTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-first-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    string Write(string name, string text)
    {
        string f = Path.Combine(_dir, name);
        File.WriteAllText(f, text);
        return f;
    }

    // ---- why a run dropped packets

    [Fact]
    public void Imix_over_the_mtu_says_which_key_to_change()
    {
        // IMIX through esp_out at the default 1500 B MTU: only the 1518 B frames (1 in 12) no longer fit once ESP
        // tunnel headers are added, so every drop is XfrmOutStateModeError: 100% of drops.
        string f = Write("mtu.yaml", """
            name: mtu
            run: { duration: 20ms, warmup: 2ms }
            traffic:
              - { name: bulk, kind: poisson, rate: 1Gbit/s, size: imix, flows: 10 }
            path:
              - esp_out: { mode: tunnel }
              - link: { name: wire, rate: 10Gbit/s }
            outputs: { timeseries: 0s }
            """);
        var (code, o, e) = Lab("run", f, "--out", Path.Combine(_dir, "out"), "--no-store");
        Assert.True(code == 0, e);
        Assert.Contains("\n  100% of drops: esp_out.XfrmOutStateModeError (packets over the MTU): raise path.esp_out.mtu, set path.esp_out.df: false, or lower the traffic size\n", o, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_says_which_key_to_change_as_run_does_and_its_run_files_keep_the_causes()
    {
        // The IMIX-over-MTU scenario swept over the MTU: at 1500 B only the 1518 B frames (1 in 12) grow past
        // it once tunnel headers are added (100% of drops); at 9000 B everything fits and nothing drops.
        string f = Write("mtu-sweep.yaml", """
            name: mtu-sweep
            run: { duration: 20ms, warmup: 2ms }
            traffic:
              - { name: bulk, kind: poisson, rate: 1Gbit/s, size: imix, flows: 10 }
            path:
              - esp_out: { mode: tunnel }
              - link: { name: wire, rate: 10Gbit/s }
            outputs: { timeseries: 0s }
            sweep:
              path.esp_out.mtu: [1500B, 9000B]
            """);
        string outDir = Path.Combine(_dir, "sweep");
        var (code, o, e) = Lab("sweep", f, "--out", outDir, "--no-store", "--jobs", "1");
        Assert.True(code == 0, e);
        const string Note = "point 0: 100% of drops: esp_out.XfrmOutStateModeError (packets over the MTU): raise path.esp_out.mtu, set path.esp_out.df: false, or lower the traffic size\n";
        Assert.Contains("\n" + Note, o, StringComparison.Ordinal);
        Assert.DoesNotContain("point 1: ", o, StringComparison.Ordinal);

        // The run file stores the causes its models declared: a resumed sweep prints the same note.
        string run0 = Path.Combine(outDir, "runs", "p0-r0.json");
        using (var doc = JsonDocument.Parse(File.ReadAllText(run0)))
        {
            var mtu = doc.RootElement.GetProperty("drop_causes").EnumerateArray().Single(c => c[0].GetString() == "esp_out.XfrmOutStateModeError");
            Assert.Equal("packets over the MTU", mtu[1].GetString());
        }
        (code, o, e) = Lab("sweep", f, "--out", outDir, "--no-store", "--jobs", "1");
        Assert.True(code == 0, e);
        Assert.Contains("0 run(s) executed now", o, StringComparison.Ordinal);
        Assert.Contains("\n" + Note, o, StringComparison.Ordinal);

        // A run file written before drop_causes existed still reads: no causes, so no note, and no error.
        foreach (var file in Directory.GetFiles(Path.Combine(outDir, "runs"), "*.json"))
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            Assert.True(node.Remove("drop_causes") || file.EndsWith("p1-r0.json", StringComparison.Ordinal), file);
            File.WriteAllText(file, node.ToJsonString() + "\n");
        }
        (code, o, e) = Lab("sweep", f, "--out", outDir, "--no-store", "--jobs", "1");
        Assert.True(code == 0, e);
        Assert.Contains("0 run(s) executed now", o, StringComparison.Ordinal);
        Assert.DoesNotContain("of drops:", o, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_without_drops_or_with_studied_drops_only_gets_no_note()
    {
        // 64 B frames fit the MTU: no drops at all, so nothing to explain.
        string f = Write("fit.yaml", """
            name: fit
            run: { duration: 5ms }
            traffic:
              - { name: bulk, kind: cbr, rate: 100Mbit/s, size: 64B }
            path:
              - esp_out: { mode: tunnel }
            outputs: { timeseries: 0s }
            """);
        var (code, o, e) = Lab("run", f, "--out", Path.Combine(_dir, "out"), "--no-store");
        Assert.True(code == 0, e);
        Assert.DoesNotContain("of drops:", o, StringComparison.Ordinal);
    }

    static PointResult Point(params (string Name, double Count, DropCause? Cause)[] drops) =>
        new(3, [], [new ReplicationResult(0, [.. drops.Select(d => new MetricValue("drop." + d.Name, "packets", d.Count))], [], [], 0)
        {
            DropCauses = drops.Where(d => d.Cause is not null).ToDictionary(d => d.Name, d => d.Cause!),
        }]);

    [Fact]
    public void The_dominant_declared_cause_is_named_with_its_share_rounded_down()
    {
        var mtu = new DropCause("packets over the MTU", "raise path.esp_out.mtu or lower the traffic size");
        // 82 of 100 drops; 82.9 of 100 is still 82%.
        Assert.Equal("82% of drops: esp_out.XfrmOutStateModeError (packets over the MTU): raise path.esp_out.mtu or lower the traffic size",
            DropDiagnosis.Of(Point(("esp_out.XfrmOutStateModeError", 82, mtu), ("esp_in.replay_window", 18, null))));
        Assert.StartsWith("82% ", DropDiagnosis.Of(Point(("esp_out.XfrmOutStateModeError", 82.9, mtu), ("esp_in.replay_window", 17.1, null))), StringComparison.Ordinal);
    }

    [Fact]
    public void Half_of_the_drops_or_an_undeclared_majority_is_not_dominance()
    {
        var ring = new DropCause("receive ring full", "raise path.rx.cores");
        Assert.Null(DropDiagnosis.Of(Point(("rx.rx_ring_full", 50, ring), ("esp_in.replay_window", 50, null))));
        Assert.Null(DropDiagnosis.Of(Point(("rx.rx_ring_full", 10, ring), ("esp_in.replay_window", 90, null))));
        Assert.Null(DropDiagnosis.Of(Point(("rx.rx_ring_full", 0, ring))));
        Assert.Equal("51% of drops: rx.rx_ring_full (receive ring full): raise path.rx.cores",
            DropDiagnosis.Of(Point(("rx.rx_ring_full", 51, ring), ("esp_in.replay_window", 49, null))));
    }

    [Fact]
    public void A_legacy_window_clamped_to_32_is_named_as_the_cause_of_its_replay_drops()
    {
        // Sequence numbers 1..50, then 10: with a window of 64 it would be accepted (50 - 10 = 40 < 64), but the
        // legacy window is clamped to 32, so 10 (<= 50 - 32) is too old: one replay_window drop, all the drops there are.
        var lines = new List<string>();
        for (int k = 1; k <= 50; k++) lines.Add($"      - {{ at: {k}us, seq: {k} }}");
        lines.Add("      - { at: 60us, seq: 10 }");
        string f = Write("clamp.yaml", "name: clamp\nrun: { duration: 1ms }\ntraffic:\n  - name: seqs\n    kind: sequence\n    packets:\n" +
            string.Join('\n', lines) + "\npath:\n  - esp_in: { replay: legacy, window: 64 }\noutputs: { timeseries: 0s }\n");
        var (code, o, e) = Lab("run", f, "--out", Path.Combine(_dir, "out"), "--no-store");
        Assert.True(code == 0, e);
        Assert.Contains($"\n  100% of drops: esp_in.replay_window (replay window clamped: {XfrmReplay.ClampNote(XfrmReplayMode.Legacy, 64)}): " +
            "set path.esp_in.replay: bmp (or esn with esn: true) to get the window of 64\n", o, StringComparison.Ordinal);
        Assert.Contains("legacy window 64 clamped to 32 (net/xfrm/xfrm_user.c copy_from_user_state", o, StringComparison.Ordinal);
    }

    // ---- core groups

    [Fact]
    public void Stages_without_rss_run_on_a_group_named_after_their_first_stage()
    {
        string f = Write("groups.yaml", """
            name: groups
            run: { duration: 2ms }
            traffic:
              - { name: bulk, kind: cbr, rate: 100Mbit/s, size: 64B }
            path:
              - esp_out: { mode: tunnel }
              - link: { name: wire, rate: 10Gbit/s }
              - esp_in: { window: 32 }
            outputs: { timeseries: 0s }
            """);
        var m = ScenarioRun.Metrics(_dir, File.ReadAllText(f));
        Assert.Contains((0, "esp_out.utilization_max"), m.Keys);
        Assert.Contains((0, "esp_in.utilization_max"), m.Keys);
        Assert.Contains((0, "esp_in0.utilization"), m.Keys);
        Assert.DoesNotContain(m.Keys, k => k.Metric.StartsWith("cpu", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cores_sweep_on_a_two_sided_path_must_name_its_side()
    {
        string f = Write("two.yaml", """
            name: two
            run: { duration: 2ms }
            traffic:
              - { name: bulk, kind: cbr, rate: 100Mbit/s }
            path:
              - rss: { name: tx, cores: 1 }
              - esp_out: {}
              - link: { rate: 10Gbit/s }
              - rss: { name: rx, cores: 2 }
              - esp_in: {}
            sweep:
              path.rss.cores: [1, 2]
            """);
        var (code, o, e) = Lab("check", f);
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Equal($"lab: error: {f}:12:3: sweep: ambiguous parameter 'path.rss.cores': 2 'rss' elements; name the one you mean: path.tx.cores or path.rx.cores\n", e);
    }

    // ---- radio settings

    [Fact]
    public void Lte_with_out_of_order_delivery_or_a_numerology_is_an_error_at_the_key()
    {
        // Columns: "  - cellular: { radio: lte, delivery: out-of-order, numerology: 2 }": delivery's value at 39, numerology's at 65.
        string f = Write("lte.yaml", "name: lte\nrun: { duration: 2ms }\ntraffic:\n  - { name: bulk, kind: cbr, rate: 1Mbit/s }\npath:\n" +
            "  - cellular: { radio: lte, delivery: out-of-order, numerology: 2 }\n");
        var (code, o, e) = Lab("check", f);
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Equal(
            $"lab: error: {f}:6:39: path[0].cellular.delivery: expected in-order with radio: lte, found out-of-order: LTE delivers each radio bearer in sequence " +
            "(RLC reordering, TS 36.322 sections 5.1.2.2 and 5.1.3.2; PDCP passes that order on, TS 36.323 sections 5.1.2.1.2 and 5.1.2.1.3), and outOfOrderDelivery is an NR PDCP option (TS 38.323 section 5.2.2.1); " +
            "use radio: nr, or reorder an SA on LTE across QoS bearers with priority_dscp (RFC 4301 section 4.1; scenarios/examples/cellular-lte-qos-reorder.yaml)\n" +
            $"lab: error: {f}:6:65: path[0].cellular.numerology: expected no numerology with radio: lte (LTE has 1 ms subframes only, TS 36.211 section 4), found one; numerology is for radio: nr\n", e);
        // The same bearer as NR is fine.
        File.WriteAllText(f, File.ReadAllText(f).Replace("radio: lte", "radio: nr", StringComparison.Ordinal));
        Assert.Equal(0, Lab("check", f).Code);
    }

    static string RepoFile(string relative)
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Lab.sln"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new InvalidOperationException("Lab.sln not found above the test binary"), relative);
    }

    [Fact]
    public void The_lte_example_reorders_across_qos_bearers_and_not_with_one_bearer()
    {
        // Points: priority_dscp "46" x windows 32, 64, 128, 256, then "" (one bearer) x the same windows.
        string outDir = Path.Combine(_dir, "lte");
        var (code, _, e) = Lab("run", RepoFile("scenarios/examples/cellular-lte-qos-reorder.yaml"), "--out", outDir, "--no-store");
        Assert.True(code == 0, e);
        var m = new Dictionary<(int, string), double>();
        foreach (var line in File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Skip(1))
        {
            var c = line.Split(',');
            if (c[^4] != "0") continue; // replication 0 (there is one)
            m[(int.Parse(c[0], System.Globalization.CultureInfo.InvariantCulture), c[^3])] = double.Parse(c[^1], System.Globalization.CultureInfo.InvariantCulture);
        }
        double minWindow = m[(0, "reorder.min_window")];
        // As its description says: drops at 32 to 128, none at 256, so the smallest clean window is in (128, 256].
        Assert.InRange(minWindow, 129, 256);
        for (int p = 0; p < 3; p++) Assert.True(m[(p, "esp_in.replay_window")] > 0, $"point {p}");
        Assert.Equal(0, m[(3, "esp_in.replay_window")]);
        Assert.True(m[(0, "esp_in.replay_window")] > m[(1, "esp_in.replay_window")] && m[(1, "esp_in.replay_window")] > m[(2, "esp_in.replay_window")]);
        // One bearer: in order, whatever HARQ did.
        for (int p = 4; p < 8; p++)
        {
            Assert.True(m[(p, "cellular.harq_retransmissions")] > 0);
            Assert.Equal(0, m[(p, "reorder.reordered_ratio")]);
            Assert.Equal(0, m[(p, "esp_in.replay_window")]);
        }
    }

    // ---- packets per run (issue 16)

    [Theory]
    [InlineData("run")]
    [InlineData("check")]
    [InlineData("sweep")]
    public void An_absurd_rate_is_refused_before_anything_runs(string command)
    {
        string f = Write("rate.yaml", "name: rate\nrun: { duration: 10ms }\ntraffic:\n  - { name: bulk, kind: cbr, rate: 1000000Tbit/s }\npath:\n  - link: { rate: 10Gbit/s }\n");
        string outDir = Path.Combine(_dir, "out");
        string[] args = command == "check" ? [command, f] : [command, f, "--out", outDir, "--no-store"];
        var (code, o, e) = Lab(args);
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Equal($"lab: error: {f}:4:36: traffic[0].rate: expected at most 1000000000 packets per run (all replications of a point), found an estimate of 14880952380952 " +
            "(1000000Tbit/s / ((64 B + 20 B) x 8 bit) x 10ms active x 1 replication(s)); lower the rate, run.duration or run.replications\n", e);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Set_on_a_swept_key_is_refused_by_run()
    {
        string f = Write("sw.yaml", "name: sw\nrun: { duration: 2ms }\ntraffic:\n  - { name: bulk, kind: cbr, rate: 1Gbit/s }\npath:\n  - link: { rate: 10Gbit/s }\nsweep:\n  traffic.bulk.rate: [1Gbit/s, 2Gbit/s]\n");
        var (code, _, e) = Lab("run", f, "--set", "traffic.bulk.rate=5Gbit/s", "--out", Path.Combine(_dir, "out"), "--no-store");
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: --set traffic.bulk.rate=5Gbit/s: traffic.bulk.rate is swept (sweep at {f}:8:3: traffic.bulk.rate); the sweep sets it at every point, " +
            "so this value would be ignored: remove traffic.bulk.rate from the sweep, or drop the flag\n", e);
    }

    // ---- bare lab, typos

    [Fact]
    public void Bare_lab_lists_every_command()
    {
        var (code, o, e) = Lab();
        Assert.Equal(0, code);
        Assert.Equal("", e);
        Assert.StartsWith("usage: lab COMMAND [options]  (lab COMMAND --help for its options)\n\ncommands:\n", o, StringComparison.Ordinal);
        foreach (var name in new[] { "run", "check", "describe", "results", "esp", "power", "replay", "report", "sweep", "merge", "reorder", "bench", "regress", "validate", "calibrate", "fuzz" })
            Assert.Matches(new Regex($"\\n  {name} +\\S"), o);
        Assert.Contains("\n  run        Simulate a scenario, print a summary and write its results folder\n", o, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistyped_command_gets_the_closest_one_and_exit_2()
    {
        var (code, o, e) = Lab("runn", "x.yaml");
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Equal("lab: error: unknown command 'runn' (did you mean 'run'?); commands: run, check, describe, results, esp, power, replay, report, sweep, merge, reorder, bench, regress, validate, calibrate, fuzz\n", e);
        Assert.StartsWith("lab: error: unknown command 'swep' (did you mean 'sweep'?)", Lab("swep").Err, StringComparison.Ordinal);
        Assert.Equal("lab: error: unknown command 'frobnicate'; commands: run, check, describe, results, esp, power, replay, report, sweep, merge, reorder, bench, regress, validate, calibrate, fuzz\n", Lab("frobnicate").Err);
    }

    // ---- clamps, stdin, provenance

    [Fact]
    public void Esp_replay_notes_a_clamped_legacy_window_on_stderr_with_its_source()
    {
        string f = Write("seq.txt", "1\n2\n");
        var (code, o, e) = Lab("esp", "replay", "--mode", "legacy", "--window", "64", f);
        Assert.Equal(0, code);
        Assert.Equal("lab: note: legacy window 64 clamped to 32 (net/xfrm/xfrm_user.c copy_from_user_state: min(replay_window, sizeof(x->replay.bitmap) * 8)); " +
            "iproute2 sends a window above 32 as XFRMA_REPLAY_ESN_VAL (bmp) instead\n", e);
        Assert.StartsWith("accept\naccept\nreplay mode legacy replay-window 32\n", o, StringComparison.Ordinal);
        Assert.Equal("", Lab("esp", "replay", "--mode", "legacy", "--window", "32", f).Err);
        Assert.Equal("", Lab("esp", "replay", "--mode", "bmp", "--window", "64", f).Err);
    }

    [Fact]
    public void Lab_reorder_on_a_terminal_says_it_reads_stdin()
    {
        // A real terminal: script(1) (bsdutils, an essential Debian package) gives the child a pseudo-terminal as stdin.
        Assert.True(File.Exists("/usr/bin/script"), "script(1) is needed for the pseudo-terminal: apt-get install bsdutils");
        var lab = LabProcess.Info(["reorder"]);
        string command = string.Join(' ', new[] { lab.FileName }.Concat(lab.ArgumentList).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var psi = new ProcessStartInfo("/usr/bin/script", ["-qfec", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var seen = new System.Text.StringBuilder();
        var read = Task.Run(() =>
        {
            var buffer = new char[256];
            int n;
            while ((n = p.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (seen) seen.Append(buffer, 0, n);
            }
        });
        var clock = Stopwatch.StartNew();
        const string Notice = "lab reorder: reading arrival sequence numbers, one per line from stdin (end with Ctrl-D); give a FILE to read a file";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            lock (seen) if (seen.ToString().Contains(Notice, StringComparison.Ordinal)) break;
            Thread.Sleep(50);
        }
        try
        {
            lock (seen) Assert.Contains(Notice, seen.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    [Fact]
    public void Provenance_has_the_commit_lab_version_prints_for_a_scenario_outside_the_repository()
    {
        Assert.Equal("15349db48668", LabInfo.EmbeddedCommit("0.1.0+15349db48668719bea12220136e8cd0b298ecdd9"));
        Assert.Null(LabInfo.EmbeddedCommit("0.1.0"));
        Assert.Null(LabInfo.EmbeddedCommit("0.1.0+local"));
        // _dir is a temporary folder, outside the repository.
        string f = Write("q.yaml", "name: q\nrun: { duration: 1ms }\ntraffic:\n  - { name: bulk, kind: cbr, rate: 1Gbit/s }\npath:\n  - link: { rate: 10Gbit/s }\n");
        string outDir = Path.Combine(_dir, "out");
        Assert.Equal(0, Lab("run", f, "--out", outDir, "--no-store").Code);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "provenance.json")));
        string commit = doc.RootElement.GetProperty("commit").GetString()!;
        Assert.Matches(HexCommit(), commit);
        // --version of the real lab process (in process it would print the test host's version).
        var version = LabProcess.Run(LabProcess.Info(["--version"])).Out.Trim();
        Assert.StartsWith(LabInfo.Version + "+" + commit, version, StringComparison.Ordinal);
    }

    [GeneratedRegex("^[0-9a-f]{12}$")]
    private static partial Regex HexCommit();

    // ---- no empty test project

    [Fact]
    public void Every_test_project_in_the_solution_has_tests()
    {
        // An empty one makes `dotnet test Lab.sln` print "No test is available".
        var projects = Regex.Matches(File.ReadAllText(RepoFile("Lab.sln")), "\"([^\"]+\\.Tests\\.csproj)\"").Select(m => m.Groups[1].Value.Replace('\\', '/')).ToList();
        Assert.True(projects.Count >= 10, string.Join(", ", projects));
        foreach (var project in projects)
        {
            string dir = Path.GetDirectoryName(RepoFile(project))!;
            bool any = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
                .Any(f => Regex.IsMatch(File.ReadAllText(f), @"\[(Fact|Theory)\b"));
            Assert.True(any, $"{project} has no [Fact] or [Theory]: dotnet test would print \"No test is available\"");
        }
    }
}
