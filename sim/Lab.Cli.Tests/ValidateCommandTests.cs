using System.Globalization;
using System.Text;
using Lab.Captures.EspFrames;
using Lab.Captures.Netns;
using Lab.Captures.Pcap;
using Lab.Engine;
using Lab.Esp.Replay;
using Lab.Esp;
using Lab.Experiments.Validation;
using Lab.KernelLab.Netns;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;

namespace Lab.Cli.Tests;

/// <summary>`lab validate`: bad input, the host kernel (ESP skipped where it has none), the VM kernel end to end, and the exit code on a disagreement.</summary>
[Collection(KernelValidationCollection.Name)]
public sealed class ValidateCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Run(params string[] args) => ScenarioRun.Lab(args);

    string Scenario(string yaml)
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, yaml);
        return f;
    }

    /// <summary>A sequence scenario into one esp_in: the trace's packets 10 us apart (esp_in's core needs 3.2 us each, so none is lost in its ring).</summary>
    static string SequenceYaml(IEnumerable<ulong> seqs, string espIn, string sweep = "")
    {
        var sb = new StringBuilder("name: validate-test\nrun: { duration: 100ms, seed: 1 }\ntraffic:\n  - name: trace\n    kind: sequence\n    packets:\n");
        int k = 0;
        foreach (var s in seqs) sb.Append(CultureInfo.InvariantCulture, $"      - {{ at: {10 * ++k}us, seq: {s} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"path:\n  - esp_in: {espIn}\noutputs: {{ timeseries: 0s }}\n{sweep}");
        return sb.ToString();
    }

    [Fact]
    public void Unknown_kernel_is_bad_input()
    {
        var (code, _, err) = Run("validate", Scenario(SequenceYaml([1, 2], "{ window: 32 }")), "--kernel", "bsd", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, code);
        Assert.Equal("lab: error: --kernel: expected host, vm or recorded, found 'bsd'", err.Trim());
        Assert.False(Directory.Exists(Path.Combine(_dir, "o")));
    }

    [Fact]
    public void Scenario_without_esp_in_is_bad_input()
    {
        string f = Scenario("""
            name: no-esp
            traffic: [ { name: t, kind: cbr, rate: 1Mbit/s } ]
            path: [ { stage: { name: fwd, cost: 1us } } ]
            """);
        var (code, _, err) = Run("validate", f, "--kernel", "host", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {f}: lab validate compares a device under test with the kernel: expected an esp_in or a forward path element, found neither", err.Trim());
    }

    [Theory]
    [InlineData("{ window: 32, crypto: async }", "esp_in.crypto async: the kernel under validation decrypts synchronously")]
    [InlineData("{ replay: bmp, window: 32 }", "esp_in: replay bmp with window 32: iproute2 sends the ESN replay attribute only with flag esn or a window above 32")]
    [InlineData("{ replay: legacy, window: 64 }", "esp_in: replay legacy with window 64: iproute2 sends the ESN replay attribute for windows above 32")]
    [InlineData("{ window: 32, mode: beet }", "esp_in.mode: expected one of tunnel, transport, found 'beet'")]
    public void What_the_kernel_cannot_be_given_is_bad_input_naming_the_element(string espIn, string message)
    {
        string f = Scenario(SequenceYaml([1, 2], espIn));
        var (code, _, err) = Run("validate", f, "--kernel", "host", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, code);
        Assert.StartsWith($"lab: error: {f}:", err, StringComparison.Ordinal);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_key_is_bad_input_with_its_position()
    {
        string f = Scenario(SequenceYaml([1], "{ window: 32, key: \"0x0011\" }"));
        var (code, _, err) = Run("validate", f, "--kernel", "host");
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {f}:9:32: path[0].esp_in.key: expected 20, 28 or 36 bytes of hex (AES key + 4-byte salt, e.g. 0x000102030405060708090a0b0c0d0e0f10111213), found '0x0011'", err.Trim());
    }

    [Fact]
    public void Receiver_sa_that_differs_from_the_sender_is_bad_input()
    {
        string f = Scenario("""
            name: mismatch
            traffic: [ { name: t, kind: cbr, rate: 1Mbit/s } ]
            path:
              - esp_out: { mode: tunnel, encap: udp }
              - esp_in: { window: 32, mode: transport, encap: none }
            """);
        var (code, _, err) = Run("validate", f, "--kernel", "host");
        Assert.Equal(2, code);
        Assert.Equal([
            $"lab: error: {f}:5:13: esp_in.mode transport differs from esp_out's tunnel: the receiver's SA must match the sender's",
            $"lab: error: {f}:5:13: esp_in.encap none differs from esp_out's udp: the receiver's SA must match the sender's",
        ], err.Trim().Split(Environment.NewLine));
    }

    [RootFact]
    public void Host_kernel_validates_or_says_why_the_esp_checks_are_skipped_and_leaves_no_namespace()
    {
        string outDir = Path.Combine(_dir, "host");
        var seqs = new ulong[] { 1, 3, 2, 2, 40, 5 };
        var (code, stdout, err) = Run("validate", Scenario(SequenceYaml(seqs, "{ window: 32 }")), "--kernel", "host", "--out", outDir);

        Assert.True(code == 0, err + stdout);
        Assert.Empty(Directory.GetFiles(NetworkNamespace.RunDirectory, $"lab-{Environment.ProcessId}-*"));
        // The simulation's side is written either way: the frames and the model's verdicts.
        using (var reader = PcapReader.Open(Path.Combine(outDir, "frames.pcap")))
        {
            int n = 0;
            while (reader.TryReadNext(out _)) n++;
            Assert.Equal(seqs.Length, n);
        }
        // Legacy, window 32: 1 3 2 in; 2 again a duplicate; 40 in; 5 is 35 behind 40: too old.
        Assert.Equal("""
            index,check,spi,seq,inner_length,verdict
            0,validate-test,0x00001000,1,46,accept
            1,validate-test,0x00001000,3,46,accept
            2,validate-test,0x00001000,2,46,accept
            3,validate-test,0x00001000,2,46,drop replay
            4,validate-test,0x00001000,40,46,accept
            5,validate-test,0x00001000,5,46,drop replay_window

            """.Replace("\r", "", StringComparison.Ordinal), File.ReadAllText(Path.Combine(outDir, "simulated.csv")));
        Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
        string report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        if (stdout.Contains("skipped: ESP checks: ", StringComparison.Ordinal))
        {
            // This kernel has no ESP (the lab's development machines): nothing compared, and the report says why.
            Assert.Contains($"skipped: ESP checks: the {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()} kernel cannot add an rfc4106(gcm(aes)) ESP SA", stdout, StringComparison.Ordinal);
            Assert.Contains("**ESP checks skipped**", report, StringComparison.Ordinal);
            Assert.Equal("check,metric,simulated,kernel,agree\n", File.ReadAllText(Path.Combine(outDir, "validation.csv")));
        }
        else
        {
            Assert.Contains("result: all 1 checks agree", stdout, StringComparison.Ordinal);
            Assert.Contains("**All checks agree**", report, StringComparison.Ordinal);
        }
    }

    [VmFact]
    public void Vm_kernel_agrees_with_the_model_on_a_reordered_trace_for_legacy_bmp_and_esn()
    {
        // Sequence 0 first, then 2,500 packets displaced by up to 3 (95%) or 300 (5%), 1% twice.
        var seqs = new List<ulong> { 0 };
        seqs.AddRange(new SeededReordering(2500).Generate(RandomStream.For(11, 0, "validate-cli")));
        // Four points: legacy 32, bmp 4096, esn 32, esn 4096 (the replay variant follows esn and the window).
        string sweep = "sweep:\n  path.esp_in.esn: [false, true]\n  path.esp_in.window: [32, 4096]\n";
        string outDir = Path.Combine(_dir, "vm");

        var (code, stdout, err) = Run("validate", Scenario(SequenceYaml(seqs, "{ window: 32 }", sweep)), "--kernel", "vm", "--out", outDir);

        Assert.True(code == 0, err + stdout);
        Assert.Contains("result: all 4 checks agree", stdout, StringComparison.Ordinal);
        var rows = File.ReadAllLines(Path.Combine(outDir, "validation.csv"));
        Assert.Equal("check,metric,simulated,kernel,agree", rows[0]);
        Assert.Equal(4 * 9, rows.Length - 1);
        Assert.All(rows.Skip(1), r => Assert.EndsWith(",true", r, StringComparison.Ordinal));
        Assert.Equal(4 * seqs.Count + 1, File.ReadAllLines(Path.Combine(outDir, "packets.csv")).Length);

        // The model in the path said what `lab esp replay` says for the same arrivals, and the
        // kernel agreed with both; the ESN points dropped too-old packets as ICV failures.
        var simulated = File.ReadAllLines(Path.Combine(outDir, "simulated.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var (check, mode, window) in new[]
        {
            ("path.esp_in.esn=false path.esp_in.window=32", XfrmReplayMode.Legacy, 32u),
            ("path.esp_in.esn=false path.esp_in.window=4096", XfrmReplayMode.Bmp, 4096u),
            ("path.esp_in.esn=true path.esp_in.window=32", XfrmReplayMode.Esn, 32u),
            ("path.esp_in.esn=true path.esp_in.window=4096", XfrmReplayMode.Esn, 4096u),
        })
        {
            var sa = new EspValidationSa { Check = check, Spi = 0x1000, Key = new byte[20], Replay = mode, Window = window };
            var reference = ReplayReferenceVerdicts.Run(sa, seqs);
            var model = simulated.Where(c => c[1] == check).Select(c => c[5]).ToList();
            Assert.Equal(reference.Verdicts.Select(ValidationFiles.Verdict), model);
            string Row(string metric) => rows.Single(r => r.StartsWith($"{check},{metric},", StringComparison.Ordinal));
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{check},XfrmInStateSeqError,{reference.Counters.XfrmInStateSeqError},{reference.Counters.XfrmInStateSeqError},true"), Row("XfrmInStateSeqError"));
        }
        Assert.Contains("**All checks agree**", File.ReadAllText(Path.Combine(outDir, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_disagreement_exits_1_and_prints_the_differing_counters_and_first_packets()
    {
        var sa = new EspValidationSa { Check = "w32", Spi = 0x1000, Key = new byte[20], Replay = XfrmReplayMode.Legacy, Window = 32 };
        EspTracePacket[] packets = [new(0, 1, 64, DropReason.None, 0), new(1, 1, 64, DropReason.Replay, 1)];
        var state = new XfrmSaCounters("192.0.2.1", "192.0.2.2", "esp", 0x1000, 1, "tunnel", false, 32, 1, 0, [1], 0, 2, 0, 0, 0);
        // The kernel delivered the duplicate too and counted no replay.
        var run = new EspKernelRun("k", [new EspSaObservation(new EspSaTrace(sa, packets, EspSaCounters.FromVerdicts(packets)), [1, 1], state, 0, 0, 0, 2)], 0, TimeSpan.Zero);
        var o = new StringWriter();

        int code = ValidateRunner.Summarize(o, "demo", new KernelOutcome("k", null, [EspComparison.Compare(run)], null));

        Assert.Equal(1, code);
        Assert.Equal("""
            validate: demo on k
              w32: 2 packets, 1 accepted by the model; verdicts agree 1/2; counters agree 4/9
            DISAGREE: 1 packet verdicts and 5 counters differ
              counter w32 replay: simulated 1, kernel 0
              counter w32 packets: simulated 1, kernel 2
              counter w32 XfrmInStateSeqError: simulated 1, kernel 0
              counter w32 delivered: simulated 1, kernel 2
              counter w32 verdicts_agree: simulated 2, kernel 1
            first disagreeing packets:
              packet 1 (w32, spi 0x00001000, seq 0x1): simulated drop replay, kernel accept

            """.Replace("\r", "", StringComparison.Ordinal), o.ToString().Replace("\r", "", StringComparison.Ordinal));
    }
}

/// <summary>The VM takes a whole core of the two: these tests run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelValidationCollection
{
    public const string Name = "kernel-validation";
}

/// <summary>Needs root and network namespaces; skipped with the reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (NetnsTopology.UnavailableReason() is { } reason) Skip = reason;
    }
}

/// <summary>Needs the qemu guest (captures/vm); skipped with the reason where it cannot run.</summary>
public sealed class VmFactAttribute : FactAttribute
{
    public VmFactAttribute()
    {
        if (VmPrerequisites.MissingReason is { } reason) Skip = reason;
    }
}
