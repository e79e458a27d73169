using Lab.Experiments.Fuzzing;
using Lab.Experiments.Validation;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.ScriptValidation;
using Lab.Results;

namespace Lab.Cli.Tests;

/// <summary>
/// `lab fuzz` (issue 18, item 5): the grammar, a short host run, the shrinker on a planted model bug, and the kept regression files.
/// Alone, after the others: its cases play in real time (a busy core makes them late), and its namespaces
/// must not meet another test's check that none of the process's are left.
/// </summary>
[Collection(KernelValidationCollection.Name)]
public sealed class FuzzTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-fuzz-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void The_same_seed_gives_the_same_cases_and_another_seed_others()
    {
        for (int i = 0; i < 20; i++)
        {
            string a = FuzzGrammar.Generate(42, i, "6.18", FuzzKernelCapabilities.Host).ToYaml();
            Assert.Equal(a, FuzzGrammar.Generate(42, i, "6.18", FuzzKernelCapabilities.Host).ToYaml());
            Assert.NotEqual(a, FuzzGrammar.Generate(43, i, "6.18", FuzzKernelCapabilities.Host).ToYaml().Replace("fuzz-43-", "fuzz-42-", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Generated_instants_keep_away_from_whole_second_differences_and_flows_start_in_the_original_direction()
    {
        for (int i = 0; i < 300; i++)
        {
            var c = FuzzGrammar.Generate(7, i, "6.18", FuzzKernelCapabilities.Host);
            Assert.True(c.IsPlayable, c.ToYaml());
            Assert.InRange(c.Flows.Count, 1, 4);
            // The host's namespaces cannot set nf_conntrack_max and have no flowtable: never generated for it.
            Assert.Null(c.ConntrackMax);
            Assert.False(c.Flowtable);
            var instants = c.Packets.Select(p => p.AtMs).Concat(c.ProbesMs).Distinct().ToList();
            foreach (int t in instants)
                foreach (int s in instants.Where(s => s < t))
                {
                    int m = (t - s) % 1000;
                    Assert.True(t - s >= FuzzGrammar.MarginMs && Math.Min(m, 1000 - m) >= FuzzGrammar.MarginMs, $"case {i}: {s} ms and {t} ms\n{c.ToYaml()}");
                }
            // A case ends with a probe 100-900 ms after its last packet unless every such instant is within
            // the margin of a whole-second difference from an earlier one.
            int last = c.Packets.Max(p => p.AtMs);
            bool room = Enumerable.Range(last + 100, 801).Any(t => instants.All(s => Math.Abs(t - s) % 1000 is var m && Math.Min(m, 1000 - m) >= FuzzGrammar.MarginMs));
            Assert.True(c.ProbesMs.Any(t => t > last) || !room, c.ToYaml());
        }
    }

    [Fact]
    public void Generated_cases_load_and_simulate()
    {
        // Model only: the loader and the script checks accept what the grammar writes (a refusal would be a lab bug).
        for (int i = 0; i < 60; i++)
        {
            var c = FuzzGrammar.Generate(11, i, "6.18", FuzzKernelCapabilities.Host);
            var model = FuzzCaseRunner.Simulate(c, "host", CancellationToken.None);
            Assert.Equal(c.Packets.Count, model.Trace.Packets.Count);
        }
    }

    [Fact]
    public void Bad_flags_exit_2_with_the_flag_named()
    {
        var (code, _, err) = ScenarioRun.Lab("fuzz", "--kernel", "vm", "--out", Path.Combine(_dir, "vm"));
        Assert.Equal(2, code);
        Assert.Contains("--kernel vm: not built yet: lab fuzz plays each case on a fresh device", err, StringComparison.Ordinal);
        (code, _, err) = ScenarioRun.Lab("fuzz", "--kernel", "host", "--cases", "0");
        Assert.Equal(2, code);
        Assert.Contains("--cases: expected 1 to 1000000 cases, found 0", err, StringComparison.Ordinal);
        (code, _, err) = ScenarioRun.Lab("fuzz", "--kernel", "host", "--time", "soon");
        Assert.Equal(2, code);
        Assert.Contains("--time: expected a duration such as 30s, 10m or 2h (up to 7 days), found 'soon'", err, StringComparison.Ordinal);
        (code, _, err) = ScenarioRun.Lab("fuzz", "--kernel", "bsd");
        Assert.Equal(2, code);
        Assert.Contains("--kernel: expected host or vm, found 'bsd'", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "vm")));
    }

    [HostNatFact]
    public void A_short_host_run_reports_every_case_and_keeps_each_disagreement_as_a_reproducing_regression()
    {
        // Six cases of seed 20261206 (1 to 3 s each, four at once). The model does not agree with the kernel
        // everywhere yet (the fuzz run's findings, issue 18): whatever this run finds must be kept as a scenario
        // whose recorded kernel observations still disagree with the model, without a kernel.
        string outDir = Path.Combine(_dir, "kept");
        var (code, stdout, err) = ScenarioRun.Lab("fuzz", "--kernel", "host", "--cases", "6", "--seed", "20261206", "--out", outDir);

        Assert.True(code is 0 or 1, stdout + err);
        Assert.Contains("fuzz: seed 20261206 (6 cases on host, kernel ", stdout, StringComparison.Ordinal);
        Assert.Contains("  cases: 6\n", stdout, StringComparison.Ordinal);
        // Every play read the kernel's drop reasons (a tracefs instance per play), cases at once or not.
        Assert.Contains("  drop reasons: ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("without drop reasons", stdout, StringComparison.Ordinal);
        var kept = stdout.Split('\n').Where(l => l.TrimStart().StartsWith("kept: ", StringComparison.Ordinal)).Select(l => l.Trim()["kept: ".Length..]).ToList();
        if (code == 0)
        {
            Assert.Contains("result: no disagreement", stdout, StringComparison.Ordinal);
            Assert.False(Directory.Exists(outDir));
            return;
        }
        Assert.Contains("DISAGREE: ", stdout, StringComparison.Ordinal);
        Assert.NotEmpty(kept);
        foreach (var file in kept)
        {
            Assert.True(File.Exists(RecordedKernelRun.PathFor(file)), file);
            var (vcode, vout, verr) = ScenarioRun.Lab("validate", file, "--kernel", "recorded", "--out", Path.Combine(_dir, "v-" + Path.GetFileNameWithoutExtension(file)));
            Assert.True(vcode == 1, vout + verr);
        }
    }

    /// <summary>
    /// The planted bug: the model never shows a TCP entry ASSURED (its conntrack probe rows lose the flag).
    /// The kernel sets IPS_ASSURED when a connection enters ESTABLISHED from SYN_RECV or ESTABLISHED
    /// (nf_conntrack_tcp_packet, net/netfilter/nf_conntrack_proto_tcp.c, 6.18).
    /// </summary>
    static ScriptModelRun NeverAssured(ScriptModelRun m) => m with
    {
        Probes = [.. m.Probes.Select(r => r.Table == "conntrack" && r.Cells.Any(c => c.Key == "proto" && c.Value == "tcp")
            ? r with { Cells = [.. r.Cells.Select(c => c.Key == "flags" ? new KeyValuePair<string, string>("flags", c.Value.Replace("ASSURED", "", StringComparison.Ordinal).Trim()) : c)] }
            : r)],
    };

    [HostNatFact]
    public void The_shrinker_reduces_a_planted_model_bug_to_the_minimal_script()
    {
        // A UDP exchange beside a TCP handshake with data, masquerade with a flag, a short UDP timeout and
        // two probes. Only the probe at 650 ms sees the TCP entry ESTABLISHED and ASSURED (at 250 ms it is
        // in SYN_RECV), so the planted bug shows as a conntrack flags disagreement there.
        var start = new FuzzCase("fuzz-planted-0", Kernel(),
            [new FuzzFlow("f1", "udp", "10.0.0.1", 5000, "198.18.0.1", 53), new FuzzFlow("f2", "tcp", "10.0.0.2", 40000, "198.18.0.2", 80)],
            [
                new FuzzPacket(0, "f1", false), new FuzzPacket(100, "f2", false, "syn"), new FuzzPacket(150, "f1", true),
                new FuzzPacket(200, "f2", true, "syn, ack"), new FuzzPacket(300, "f2", false, "ack"), new FuzzPacket(400, "f2", false, "psh, ack", 300),
                new FuzzPacket(500, "f2", true, "ack"),
            ],
            new FuzzNat(true, null, null, ["persistent"]), [new KeyValuePair<string, int>("udp", 3)], [250, 650]);
        // No instant is near a timeout boundary (the shortest timeout is the UDP flow's 3 s), so a late play still means what it says.
        var runner = new FuzzCaseRunner(HostFuzzKernel.Open(4), NeverAssured) { LateLimitNanoseconds = 1_000_000_000 };
        var first = runner.Run(start, CancellationToken.None);
        Assert.Equal(DisagreementKind.Flags, first.Kinds[0]);

        var shrunk = new FuzzShrinker(runner).Shrink(first, CancellationToken.None);

        // Worked by hand along the shrinker's order (flows, probes, packets, NAT, timeouts, sizes, shift):
        // f1 goes (the disagreement is f2's); the probe at 250 ms goes (only 650 ms shows ASSURED); without
        // the SYN/ACK the handshake never reaches SYN_RECV, so it stays; the ACK at 300 ms goes, because the
        // client's PSH/ACK at 400 ms moves SYN_RECV to ESTABLISHED just as well (tcp_conntracks[0][TCP_ACK_SET][sSR] = sES);
        // the server's ACK at 500 ms goes (ESTABLISHED and ASSURED already); then the NAT, the UDP timeout,
        // the PSH/ACK's 300 B, and the start moves to 0 (every instant 100 ms earlier). Removing anything
        // else leaves no ASSURED entry: the SYN (the SYN/ACK would come first), the SYN/ACK (an ACK in
        // SYN_SENT is ignored: sIV), the PSH/ACK (SYN_RECV), the probe (nothing compared).
        var c = shrunk.Result.Case;
        Assert.True(shrunk.Complete);
        Assert.Equal(
            """
            traffic:
              - name: fuzz
                kind: script
                packets:
                  - { at: 0ms, flow: f2, proto: tcp, src: 10.0.0.2:40000, dst: 198.18.0.2:80, flags: [syn] }
                  - { at: 100ms, flow: f2, dir: reply, flags: [syn, ack] }
                  - { at: 300ms, flow: f2, flags: [psh, ack] }
            path:
              - forward: { kernel: KERNEL }
            probes:
              at: [550ms]

            """.Replace("KERNEL", Kernel(), StringComparison.Ordinal),
            c.ToYaml()[c.ToYaml().IndexOf("traffic:", StringComparison.Ordinal)..]);
        Assert.Equal([DisagreementKind.Flags], shrunk.Result.Kinds);

        // Kept as a regression scenario with the kernel's observations: the model without the planted bug
        // agrees with them (lab validate --kernel recorded, no kernel involved), as it will once a real bug is fixed.
        string kept = FuzzCaseWriter.Write(_dir, shrunk.Result, ["planted"]);
        Assert.Equal(Path.Combine(_dir, "fuzz-planted-0.yaml"), kept);
        var (code, stdout, err) = ScenarioRun.Lab("validate", kept, "--kernel", "recorded", "--out", Path.Combine(_dir, "recorded"));
        Assert.True(code == 0, stdout + err);
        // 3 packets x 2 (verdict, translation); one TCP row: present, state, flags, reply, timeout; 10 conntrack -S counters and the count.
        Assert.Contains("result: all 22 facts agree", stdout, StringComparison.Ordinal);
    }

    [Theory]
    // fuzz-20261206-29: the kernel forwarded two client ACKs of an unanswered SYN (SYN_SENT -> sIV) untranslated; the
    // model masqueraded them until invalid packets left untracked.
    [InlineData(29)]
    // fuzz-20261206-53: a UDP reply to 203.0.113.1:5000 after its entry expired; the kernel dropped it (no route: nothing
    // de-NATs it) and kept port 5000 for the client's next query; the model forwarded it, confirmed an entry for it, and
    // so moved the port, until such packets were dropped at routing without confirming anything.
    [InlineData(53)]
    public void A_kept_case_fixed_in_the_model_agrees_with_its_recorded_kernel(int kase)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        string kept = Path.Combine(root, "scenarios", "fuzz", $"fuzz-20261206-{kase}.yaml");
        var (code, stdout, err) = ScenarioRun.Lab("validate", kept, "--kernel", "recorded", "--out", Path.Combine(_dir, $"kept-{kase}"));
        Assert.True(code == 0, stdout + err);
        Assert.Contains("result: all ", stdout, StringComparison.Ordinal);
    }

    static string Kernel() =>
        Lab.Netfilter.KernelVersion.FromRelease(File.ReadAllText("/proc/sys/kernel/osrelease").Trim()).ToString();

    [HostDropReasonFact]
    public void Cases_playing_at_once_each_read_their_own_drop_reasons()
    {
        // Four cases at once (the fuzzer's parallelism), each with one NAT port for two clients: client b's query
        // finds 203.0.113.1:20000 taken and is dropped at confirm (insert_failed), which nf_hook_slow frees with
        // SKB_DROP_REASON_NETFILTER_DROP. Each play traces into its own tracefs instance filtered to its own sending
        // thread, so each sees exactly its own drop (one instance per process used to serve only one play).
        var runner = new FuzzCaseRunner(HostFuzzKernel.Open(4)) { LateLimitNanoseconds = 1_000_000_000 };
        var cases = Enumerable.Range(0, 4).Select(i => new FuzzCase($"fuzz-drops-{i}", Kernel(),
            [new FuzzFlow("a", "udp", "10.0.0.1", 5000, "198.18.0.1", 53), new FuzzFlow("b", "udp", "10.0.0.2", 5000, "198.18.0.1", 53)],
            [new FuzzPacket(0, "a", false), new FuzzPacket(100, "b", false)],
            new FuzzNat(true, null, "20000-20000", []), [], [400])).ToList();
        var results = new FuzzCaseResult[cases.Count];

        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = runner.Run(cases[i], CancellationToken.None));

        foreach (var r in results)
        {
            Assert.True(r.Outcome.Failure is null, r.Outcome.Failure);
            Assert.Null(r.Outcome.Run!.DropReasonsUnavailable);
            var drop = Assert.Single(r.Outcome.Checks, c => c.Kind == "drop_reason");
            Assert.Equal("conntrack -S insert_failed", drop.Model);
            Assert.True(drop.Agree, $"{drop.Model} vs {drop.Kernel}");
        }
        // A buffer shared between plays would have held the other plays' drops too (unattributed): at least one pairs.
        Assert.Contains(results, r => r.Outcome.Checks.Any(c => c.Kind == "drop_reason" && c.Kernel.StartsWith("NETFILTER_DROP", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_recording_keeps_the_drop_reasons_and_one_without_them_compares_none()
    {
        var c = new FuzzCase("fuzz-6-1", "6.18", [new FuzzFlow("f1", "udp", "10.0.0.1", 5000, "198.18.0.1", 53)], [new FuzzPacket(0, "f1", false), new FuzzPacket(100, "f1", false)], null, [], [500]);
        var run = new ScriptKernelRun("host: test", [new ForwardPacketObservation(0, null), new ForwardPacketObservation(0, null)],
            [new KernelProbe(500_000_000, 501_000_000, [], new Dictionary<string, long> { ["nf_conntrack_count"] = 0 })], 0, [])
        {
            DropIntervals = [new DropInterval(0, 2, [new KernelDrop("NETFILTER_DROP", "nf_hook_slow"), new KernelDrop("IP_INNOROUTES", "")]), new DropInterval(2, 2, [])],
            DropReasonsUnavailable = null,
            HarnessDropReason = "IP_INADDRERRORS",
        };
        string kept = FuzzCaseWriter.Write(_dir, new FuzzCaseResult(c, new ScriptKernelOutcome("host: test", [], run, null), ["packet verdict"]), []);
        string text = File.ReadAllText(RecordedKernelRun.PathFor(kept));
        Assert.Contains("drop_reasons harness=IP_INADDRERRORS\ndrops 0 2 NETFILTER_DROP@nf_hook_slow IP_INNOROUTES\ndrops 2 2\n", text, StringComparison.Ordinal);

        var back = RecordedKernelRun.Read(RecordedKernelRun.PathFor(kept));
        Assert.Null(back.DropReasonsUnavailable);
        Assert.Equal("IP_INADDRERRORS", back.HarnessDropReason);
        Assert.Equal(2, back.DropIntervals.Count);
        Assert.Equal(run.DropIntervals[0].Drops, back.DropIntervals[0].Drops);
        Assert.Equal((2, 2, 0), (back.DropIntervals[1].First, back.DropIntervals[1].End, back.DropIntervals[1].Drops.Count));

        // A recording from before drop reasons were read in fuzz plays (no drop_reasons line) compares none.
        File.WriteAllText(RecordedKernelRun.PathFor(kept), string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("drop", StringComparison.Ordinal))));
        Assert.StartsWith("not recorded", RecordedKernelRun.Read(RecordedKernelRun.PathFor(kept)).DropReasonsUnavailable, StringComparison.Ordinal);
        Assert.Empty(RecordedKernelRun.Read(RecordedKernelRun.PathFor(kept)).DropIntervals);
    }

    [Fact]
    public void A_kept_case_never_overwrites_a_file_and_its_recording_reads_back()
    {
        var c = new FuzzCase("fuzz-5-3", "6.18", [new FuzzFlow("f1", "udp", "10.0.0.1", 5000, "198.18.0.1", 53)], [new FuzzPacket(0, "f1", false)], null, [], [500]);
        var segment = new Lab.KernelLab.ForwardValidation.CapturedSegment(0, 0x20, 17, 0x0A000001, 0xC6120001, 5000, 53, Lab.Captures.Frames.TcpFlags.None);
        var entry = Lab.KernelLab.Netfilter.ConntrackListing.Parse(
            "udp      17 29 src=10.0.0.1 dst=198.18.0.1 sport=5000 dport=53 [UNREPLIED] src=198.18.0.1 dst=10.0.0.1 sport=53 dport=5000 mark=0 use=1\n")[0];
        var run = new ScriptKernelRun("host: test", [new ForwardPacketObservation(1, segment)],
            [new KernelProbe(500_000_000, 501_000_000, [entry], new Dictionary<string, long> { ["found"] = 0, ["nf_conntrack_count"] = 1 })], 0, []);
        var result = new FuzzCaseResult(c, new ScriptKernelOutcome("host: test", [], run, null), ["conntrack flags"]);
        string theirs = Path.Combine(_dir, "fuzz-5-3.yaml");
        File.WriteAllText(theirs, "not the lab's");

        string kept = FuzzCaseWriter.Write(_dir, result, []);

        Assert.Equal(Path.Combine(_dir, "fuzz-5-3-2.yaml"), kept);
        Assert.Equal("not the lab's", File.ReadAllText(theirs));
        Assert.Contains("name: fuzz-5-3-2\n", File.ReadAllText(kept), StringComparison.Ordinal);
        var back = RecordedKernelRun.Read(RecordedKernelRun.PathFor(kept));
        Assert.Equal(segment, back.Packets[0].First);
        Assert.Equal(1, back.Packets[0].Count);
        Assert.Equal(entry, back.Probes[0].Entries[0]);
        Assert.Equal(1, back.Probes[0].Stats["nf_conntrack_count"]);
        Assert.Equal(500_000_000, back.Probes[0].AtNanoseconds);
    }
}
