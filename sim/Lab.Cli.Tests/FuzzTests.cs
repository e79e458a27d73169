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
    public void About_a_quarter_of_the_flows_are_ipv6_in_the_test_network_and_load()
    {
        var flows = Enumerable.Range(0, 200).SelectMany(i => FuzzGrammar.Generate(11, i, "6.18", FuzzKernelCapabilities.Host).Flows).ToList();
        var v6 = flows.Where(f => f.Client.Contains(':', StringComparison.Ordinal)).ToList();
        // Each flow is IPv6 with probability 1/4 (its own stream): about 125 of ~500 flows; far from none and from all.
        Assert.InRange(v6.Count, flows.Count / 8, flows.Count * 3 / 8);
        Assert.All(v6, f => Assert.True(f.Client.StartsWith("2001:db8:1::", StringComparison.Ordinal) && f.Server.StartsWith("2001:db8:2::", StringComparison.Ordinal), f.ToString()));
        // The YAML brackets IPv6 endpoints; a case with an IPv6 flow loads and simulates.
        int i6 = Enumerable.Range(0, 200).First(i => FuzzGrammar.Generate(11, i, "6.18", FuzzKernelCapabilities.Host).Flows.Any(f => f.Client.Contains(':', StringComparison.Ordinal)));
        var c = FuzzGrammar.Generate(11, i6, "6.18", FuzzKernelCapabilities.Host);
        Assert.Contains("src: \"[2001:db8:1::", c.ToYaml(), StringComparison.Ordinal);
        Assert.Equal(c.Packets.Count, FuzzCaseRunner.Simulate(c, "host", CancellationToken.None).Trace.Packets.Count);
    }

    [Fact]
    public void Bad_flags_exit_2_with_the_flag_named()
    {
        var (code, _, err) = ScenarioRun.Lab("fuzz", "--kernel", "vm", "--cases", "0", "--out", Path.Combine(_dir, "vm"));
        Assert.Equal(2, code);
        Assert.Contains("--cases: expected 1 to 1000000 cases, found 0", err, StringComparison.Ordinal);
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

    [VmFact]
    public void One_guest_plays_esp_and_forward_cases_each_on_a_clean_namespace()
    {
        // One boot for the whole test, as lab fuzz --kernel vm boots once for its run.
        using var vm = VmFuzzKernel.Open();
        var runner = new FuzzCaseRunner(vm);

        // ESP, window 4 (legacy), sequence numbers 1 2 2 7 4 3 6; xfrm_replay_check and xfrm_replay_advance
        // (net/xfrm/xfrm_replay.c, legacy):
        //   1, 2      accepted: seq 2, bitmap 0b11
        //   2 again   diff 0, bit 0 set: stats replay 1
        //   7         diff 5 >= 4: bitmap = 1, seq 7
        //   4         diff 3 < 4, bit 3 clear: accepted, bitmap 0b1001
        //   3         diff 4 >= 4: stats replay-window 1
        //   6         diff 1, bit 1 clear: accepted, bitmap 0b1011
        // Five accepted; xfrm_input counts both rejections as XfrmInStateSeqError.
        ulong[] seqs = [1, 2, 2, 7, 4, 3, 6];
        var espCase = new FuzzCase("fuzz-vm-esp", vm.ModelVersion, [new FuzzFlow("sa0", "esp", "192.0.2.1", 0, "192.0.2.2", 0, 0x1000)],
            [.. seqs.Select((q, k) => new FuzzPacket(10 * k, "sa0", false, Seq: q))], null, [], [25, 80], Esp: new FuzzEsp(4, false, 0, 0, false, false, false));
        var esp = runner.Run(espCase, CancellationToken.None);
        Assert.True(esp.Agrees, string.Join("\n", esp.Outcome.Checks.Where(c => !c.Agree)) + esp.Outcome.Failure);
        var run = esp.EspRun!;
        Assert.Equal([1, 1, 0, 1, 1, 0, 1], run.OutCount);
        var sa = Assert.Single(run.Probes[^1].States);
        Assert.Equal(7UL, sa.Seq);
        Assert.Equal(0b1011u, sa.Bitmap[0]);
        Assert.Equal(1u, sa.Replay);
        Assert.Equal(1u, sa.ReplayWindow);
        Assert.Equal(5UL, sa.Packets);
        Assert.Equal(2, run.Probes[^1].Stat["XfrmInStateSeqError"]);
        // The probe at 25 ms saw packets 0-2 only (10 and 20 ms): seq 2, one replay.
        Assert.Equal(2UL, Assert.Single(run.Probes[0].States).Seq);

        // A UDP exchange, played twice: each play starts on an empty table with zero counters (a fresh namespace in
        // the guest), so the second sees one entry, not two, and agrees with the model just as the first does.
        var udp = new FuzzCase("fuzz-vm-udp", vm.ModelVersion, [new FuzzFlow("f1", "udp", "10.0.0.1", 5000, "198.18.0.1", 53)],
            [new FuzzPacket(0, "f1", false), new FuzzPacket(300, "f1", true)], new FuzzNat(true, null, null, []), [], [600]);
        foreach (int play in new[] { 1, 2 })
        {
            var r = runner.Run(udp, CancellationToken.None);
            // Timing: the UDP timeouts are 30 s and 120 s; nothing here is near a boundary, late or not.
            Assert.True(r.Agrees, $"play {play}: " + string.Join("\n", r.Outcome.Checks.Where(c => !c.Agree)) + r.Outcome.Failure);
            var probe = Assert.Single(r.Outcome.Run!.Probes);
            var entry = Assert.Single(probe.Entries);
            Assert.False(entry.Unreplied);
            Assert.Equal(1, probe.Stats["nf_conntrack_count"]);
        }

        // Generated cases through the same guest: the first ESP case of seed 20261206 with a tunnel-mode SA (a
        // transport-mode one is kept as fuzz-20261206-5, played recorded) and the first forward case with a flowtable.
        var generated = Enumerable.Range(0, 100).Select(i => FuzzGrammar.Generate(20261206, i, vm.ModelVersion, vm.Capabilities)).ToList();
        foreach (var c in new[] { generated.First(c => c.Esp is { Transport: false }), generated.First(c => c.Flowtable) })
        {
            var r = runner.Run(c, CancellationToken.None);
            // Whatever the model's agreement, the case ran to a comparison: no harness failure, no refused scenario.
            Assert.True(r.Outcome.Failure is null, c.Name + ": " + r.Outcome.Failure);
            Assert.DoesNotContain(r.Kinds, k => k is DisagreementKind.Harness or DisagreementKind.Rejected);
            Assert.NotEmpty(r.Outcome.Checks);
        }
    }

    [Theory]
    // fuzz-20261206-29: the kernel forwarded two client ACKs of an unanswered SYN (SYN_SENT -> sIV) untranslated; the
    // model masqueraded them until invalid packets left untracked.
    [InlineData(29)]
    // fuzz-20261206-53: a UDP reply to 203.0.113.1:5000 after its entry expired; the kernel dropped it (no route: nothing
    // de-NATs it) and kept port 5000 for the client's next query; the model forwarded it, confirmed an entry for it, and
    // so moved the port, until such packets were dropped at routing without confirming anything.
    [InlineData(53)]
    // fuzz-20261206-5 (--kernel vm): one ESP packet through a transport-mode SA; the kernel counts the transport payload
    // in x->curlft.bytes (46 B IP packet - 20 B IPv4 header = 26), the model counted 46 until esp_in knew the SA's mode.
    [InlineData(5)]
    // fuzz-20261206-24 (--kernel vm, flowtable on): snat to 203.0.113.1-203.0.113.2; the 6.1 guest chose .1 for
    // 10.0.0.2 -> 198.18.0.2, the model .2, until it hashed as find_best_ips_proto does (jhash2, NatAddressChoiceTests).
    [InlineData(24)]
    // fuzz-20261206-14 (--kernel vm, flowtable on): a SYN/ACK to the NAT address with no entry, dropped at routing;
    // agrees since the no-route fix, played recorded since a recording's flowtable is no longer refused.
    [InlineData(14)]
    // fuzz-20261206-1 (host 6.18): snat to 203.0.113.1-203.0.113.2; the kernel chose .2 for 10.0.0.2 -> 198.18.0.1, the
    // old model .1 (the seeded hash before the jhash2 address choice; the run used the build before that fix).
    [InlineData(1)]
    // fuzz-20261206-1510 (host 6.18): a SYN repeated at 1.674 s with tcp_syn_sent 2 s; the kernel does not renew the
    // timeout on a SYN retransmit, so the entry is gone at 2.564 s; the model renewed it until it followed that rule.
    [InlineData(1510)]
    // fuzz-20261206-6 (--kernel vm): one ESP packet, IPv6 tunnel, default 64 B frame; the harness sent the 60 B inner
    // packet that carries its index (IPv6 40 + UDP 8 + 12), the kernel counted 60 bytes, the model 46 until the
    // validation played the model at the size the kernel is sent.
    [InlineData(6)]
    // fuzz-20261206-40 (--kernel vm, shrunk by the second run to 2 packets): the client's UDP entry expired (udp 1 s), so
    // the server's packet at 2.116 s is an entry of its own, original direction from the server, and reaches the client as
    // sent (10.0.0.3:40000); the validation reported it as a reply de-NATed to its entry's original source (198.18.0.1:53).
    [InlineData(40)]
    // fuzz-20261206-33 (--kernel vm): the cause of case 119 with one packet: 278 ms left at the probe, tools 970 ms late.
    [InlineData(33)]
    // fuzz-20261206-119 (--kernel vm): a UDP entry with 84 ms left at the 2.709 s probe; the guest's tools ran 348 ms
    // late and it had expired: absent, and nf_conntrack_count one lower, as the timeout allowance says.
    [InlineData(119)]
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

    /// <summary>
    /// A 64 B frame (the grammar's usual size) is a 46 B IP packet. The kernel is sent an inner UDP datagram that carries
    /// the packet's 12 B index (EspTraceFrames), so an IPv6 one is 40 + 8 + 12 = 60 B and an IPv4 one 46 B as asked
    /// (20 + 8 + 12 = 40 fits). The model plays the same size, and x->curlft.bytes (xfrm_input, after esp_input_done2
    /// pulled the ESP header and IV and trimmed the trailer) is the whole inner packet in tunnel mode and the payload
    /// after the IP header in transport mode (the header was pulled before xfrm4_rcv / xfrm6_rcv):
    /// IPv4 tunnel 46, IPv6 tunnel 60 (the guest's 60 in fuzz-20261206-6), IPv4 transport 46 - 20 = 26 (the guest's 26
    /// in fuzz-20261206-5), IPv6 transport 60 - 40 = 20.
    /// </summary>
    [Theory]
    [InlineData(false, false, 46, 46)]
    [InlineData(true, false, 60, 60)]
    [InlineData(false, true, 46, 26)]
    [InlineData(true, true, 60, 20)]
    public void An_esp_case_plays_the_model_at_the_inner_size_the_kernel_is_sent(bool ipv6, bool transport, int sent, int bytes)
    {
        string client = ipv6 ? "2001:db8::1" : "192.0.2.1", server = ipv6 ? "2001:db8::2" : "192.0.2.2";
        var c = new FuzzCase("fuzz-9-2", "6.1", [new FuzzFlow("sa0", "esp", client, 0, server, 0, 0x1000)],
            [new FuzzPacket(0, "sa0", false, Seq: 1)], null, [], [10], Esp: new FuzzEsp(32, false, 0, 0, ipv6, transport, false));

        var model = FuzzCaseRunner.SimulateEsp(c, CancellationToken.None);

        Assert.Equal(sent, Assert.Single(model.Packets).InnerLength);
        Assert.Equal(sent != 46 ? 1 : 0, model.Notes.Count);
        var sa = Assert.Single(model.Result.Probes!, r => r.Table == "xfrm_state");
        Assert.Equal(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), sa.Cells.Single(x => x.Key == "bytes").Value);
    }

    [Fact]
    public void A_kept_esp_case_records_the_xfrm_observations_and_replays_them_without_a_kernel()
    {
        // scenarios/examples/script-esp-replay.yaml's first four packets, window 32 (legacy): seq 1, 2, 3 accepted,
        // 3 again a replay (xfrm_replay_check: diff 0, bit 0 set). The recording below is what the kernel shows:
        // seq 0x3, bitmap 0x00000007 (three accepted), stats replay 1, XfrmInStateSeqError 1, 3 x 46 inner bytes.
        var c = new FuzzCase("fuzz-9-1", "6.1", [new FuzzFlow("sa0", "esp", "192.0.2.1", 0, "192.0.2.2", 0, 0x1000)],
            [new FuzzPacket(0, "sa0", false, Seq: 1), new FuzzPacket(10, "sa0", false, Seq: 2), new FuzzPacket(20, "sa0", false, Seq: 3), new FuzzPacket(30, "sa0", false, Seq: 3)],
            null, [], [40], Esp: new FuzzEsp(32, false, 0, 0, false, false, false));
        var sa = new Lab.KernelLab.Vm.XfrmSaCounters("192.0.2.1", "192.0.2.2", "esp", 0x1000, 1, "tunnel", false, 32, 3, 0, [7u], 138, 3, 0, 1, 0);
        var stat = new Dictionary<string, long> { ["XfrmInNoStates"] = 0, ["XfrmInStateSeqError"] = 1, ["XfrmInStateProtoError"] = 0, ["XfrmInStateMismatch"] = 0 };
        var run = new ScriptEspKernelRun("vm: test", [1, 1, 1, 0], [new KernelEspProbe(40_000_000, 300_000_000, [sa], stat, null)],
            [new DropInterval(0, 4, [new KernelDrop("NOT_SPECIFIED", "")])], null, 0, []);
        var result = new FuzzCaseResult(c, new ScriptKernelOutcome("vm: test", [], null, null), ["xfrm_state seq"]) { EspRun = run };

        string kept = FuzzCaseWriter.Write(_dir, result, []);

        var back = RecordedEspRun.Read(RecordedKernelRun.PathFor(kept));
        Assert.Equal([1, 1, 1, 0], back.OutCount);
        Assert.Equal(sa, Assert.Single(Assert.Single(back.Probes).States) with { Bitmap = sa.Bitmap });
        Assert.Equal([7u], back.Probes[0].States[0].Bitmap);
        Assert.Equal(1, back.Probes[0].Stat["XfrmInStateSeqError"]);
        Assert.Equal("NOT_SPECIFIED", Assert.Single(Assert.Single(back.DropIntervals).Drops).Reason);
        // The model agrees with these observations: lab validate --kernel recorded, no kernel, exit 0 (packets 4,
        // xfrm_state 11 fields, xfrm_stat 4 counters, the one drop's reason).
        var (code, stdout, err) = ScenarioRun.Lab("validate", kept, "--kernel", "recorded", "--out", Path.Combine(_dir, "esp-recorded"));
        Assert.True(code == 0, stdout + err);
        Assert.Contains("result: all 20 facts agree", stdout, StringComparison.Ordinal);
    }
}
