using System.Globalization;
using Lab.Core;
using Lab.Esp.Path;
using Lab.KernelLab.ScriptValidation;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Models.Traffic;
using Lab.Results;
using Lab.Scenarios;
using Lab.Simulation.Running;

namespace Lab.Experiments.Validation;

/// <summary>The kernel's half of an ESP script's validation, or why it stopped.</summary>
public sealed record ScriptEspKernelOutcome(string Kernel, IReadOnlyList<ScriptCheck> Checks, ScriptEspKernelRun? Run, string? Failure)
{
    public bool AllAgree => Failure is null && Checks.All(c => c.Agree);
}

/// <summary>
/// <c>lab validate SCRIPT --kernel vm</c> for a script through an <c>esp_in</c> element: simulates the script with a
/// <see cref="ScriptEspProbe"/>, plays the same ESP packets (real AES-GCM frames for the element's SAs, SA k at spi + k;
/// a packet for another SPI is encrypted for an SA the kernel is never given) into the VM's kernel with
/// <see cref="ScriptEspPlayer"/>, takes <c>ip -s xfrm state</c>, /proc/net/xfrm_stat and the skb:kfree_skb drop reasons
/// at the probe instants, and compares (<see cref="ScriptEspComparison"/>).
/// </summary>
/// <summary>The model's side of an ESP script: the SAs the kernel gets, the packets it is sent, what the model did, and the probe instants (ns).</summary>
public sealed record ScriptEspModelRun(EspDutSpec Spec, IReadOnlyList<EspValidationSa> Sas, IReadOnlyList<ScriptEspPacket> Packets,
    IReadOnlyList<ScriptEspCompared> Compared, ReplicationResult Result, IReadOnlyList<long> ProbeNanoseconds)
{
    /// <summary>What the validation changed so the kernel could be sent the script (packet sizes), one line each.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

public static class ScriptEspValidation
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;


    public static int Run(ValidateOptions options, LoadedScenario loaded, TextWriter output, TextWriter? progress,
        Func<string, IDeviceUnderTest>? dutFactory, CancellationToken cancellation)
    {
        var first = loaded.First;
        var model = Simulate(first, cancellation);
        IDeviceUnderTest dut;
        try
        {
            progress?.Write("\r  booting the VM ...   ");
            dut = dutFactory?.Invoke(options.Kernel) ?? VmDeviceUnderTest.Boot(cancellation);
        }
        catch (VmUnavailableException e)
        {
            throw ParameterException.ForValue("kernel", options.Kernel, $"cannot run here: {e.Message}");
        }
        using var owned = dutFactory is null ? dut : null;
        return Write(options, loaded, model, () => PlayAndCompare(dut, model, progress, cancellation), output);
    }

    /// <summary><c>--kernel recorded</c>: compares the model with the ESP observations kept beside the script (<see cref="RecordedEspRun"/>).</summary>
    public static int RunRecorded(ValidateOptions options, LoadedScenario loaded, string recording, TextWriter output, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loaded);
        Check(loaded.First);
        var model = Simulate(loaded.First, cancellation);
        var run = RecordedEspRun.Read(recording);
        return Write(options, loaded, model, () => CompareRecorded(model, run), output);
    }

    /// <summary>Compares the model with ESP observations recorded earlier: no kernel is needed.</summary>
    public static ScriptEspKernelOutcome CompareRecorded(ScriptEspModelRun model, ScriptEspKernelRun recorded)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recorded);
        if (recorded.OutCount.Count != model.Packets.Count)
            return new ScriptEspKernelOutcome(recorded.Kernel, [], recorded, $"the recording has {recorded.OutCount.Count} packets, the script {model.Packets.Count}");
        return new ScriptEspKernelOutcome(recorded.Kernel, ScriptEspComparison.Compare(model.Compared, model.Result.Probes ?? [], model.Spec.Element, recorded), recorded, null);
    }

    static int Write(ValidateOptions options, LoadedScenario loaded, ScriptEspModelRun model, Func<ScriptEspKernelOutcome> kernel, TextWriter output)
    {
        var first = loaded.First;
        string dir = options.Folder(first.Name);
        return ValidateRunner.WriteFolder(dir, tmp =>
        {
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            ResultsWriter.WriteFiles(tmp, new RunSet(first.Name, first.Description, ResolvedScenario.Yaml(loaded),
                SimTime.ToSeconds(first.Run.Duration), 0, first.Run.Seed, 1, loaded.SweptParameters,
                [new PointResult(0, loaded.Points[0].Parameters, [model.Result])]) { KeyMetrics = KeyMetrics.Of(first) }, provenance);
            var outcome = kernel();
            File.WriteAllText(Path.Combine(tmp, "script-validation.csv"), ScriptComparison.Csv(outcome.Checks));
            if (outcome.Run is { } run) File.WriteAllText(Path.Combine(tmp, "kernel-probes.txt"), KernelProbesText(run));
            File.WriteAllText(Path.Combine(tmp, "report.md"), Report(first, outcome, model.Notes));
            return () => Summarize(output, first.Name, outcome, model.Notes);
        }, output);
    }

    /// <summary>Refuses what the kernel cannot be given, naming the scenario's position.</summary>
    public static void Check(Scenario s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var traffic = s.Traffic.First(t => t.Kind == "script");
        var script = traffic.Script!;
        foreach (var p in script.Packets)
        {
            var flow = script.Flows[p.Flow];
            if (flow.Proto != ScriptProto.Esp)
                throw ParameterException.Mentioning($"{traffic.Pos}: ", new CommandName("validate"), $": flow '{flow.Label}' is {flow.Proto.ToString().ToLowerInvariant()}; a script through esp_in is validated with ESP packets only");
        }
        if (s.Path.OfType<ModelStageElement>().Any(e => e.Type == "forward"))
            throw ParameterException.Mentioning($"{traffic.Pos}: ", new CommandName("validate"), $": a script is validated through one device under test, esp_in or forward, found both");
        EspDutSpec.From(s);
    }

    /// <summary>The model's half of an ESP script (replication 0, no warm-up), shared by <c>lab validate</c> and <c>lab fuzz</c>.</summary>
    public static ScriptEspModelRun Simulate(Scenario first, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(first);
        var spec = EspDutSpec.From(first);
        var (scenario, notes) = Playable(first with { Run = first.Run with { Warmup = 0 } }, spec);
        ScriptEspProbe? probe = null;
        var result = ScenarioRunner.Run(scenario, 0, PcapTraffic.Load, stage =>
            stage is EspInputStage esp && esp.Name == spec.Element ? probe = new ScriptEspProbe(esp) : stage, cancellation);
        if (probe is null) throw new InvalidOperationException($"no esp_in stage '{spec.Element}' was built");
        var script = scenario.Traffic.First(t => t.Kind == "script").Script!;
        var sas = Enumerable.Range(0, probe.Stage.Sas.Count).Select(k => spec.Sa(k, string.Create(Inv, $"{first.Name} sa{k}"))).ToList();
        var packets = new List<ScriptEspPacket>();
        var compared = new List<ScriptEspCompared>();
        foreach (var v in probe.Packets)
        {
            var row = script.Packets[v.Row];
            long k = (long)row.Spi - spec.Wire.Spi;
            var sa = k >= 0 && k < sas.Count ? sas[(int)k] : sas.Count > 0 ? sas[0] with { Spi = row.Spi, Check = "no SA" } : spec.Sa(0, "no SA") with { Spi = row.Spi };
            long at = row.At / SimTime.Nanosecond;
            packets.Add(new ScriptEspPacket(at, sa, row.Seq, v.InnerBytes));
            compared.Add(new ScriptEspCompared(string.Create(Inv, $"#{packets.Count - 1} {script.Flows[row.Flow].Label} spi=0x{row.Spi:x} seq={row.Seq}"), at / 1e9, v.Verdict));
        }
        var plan = new EspValidationPlan([.. sas.Select(s => new EspSaTrace(s, [], default))]);
        plan.Validate();
        return new ScriptEspModelRun(spec, sas, packets, compared, result, [.. first.Probes.Select(t => t / SimTime.Nanosecond)]) { Notes = notes };
    }

    /// <summary>
    /// The script with every ESP packet at a size the kernel can be sent (<see cref="EspTraceFrames.InnerLengthFor"/>): the
    /// harness's inner packet is a UDP datagram that carries the packet's index, so an IPv6 one needs 40 + 8 + 12 = 60 B
    /// (a 78 B frame) and an IPv4 one 40 B, and none is above <see cref="EspTraceFrames.MaxInnerLength"/>. The model plays
    /// the same size, since x->curlft.bytes counts what the kernel got (fuzz-20261206-6: a default 64 B frame, an IPv6
    /// inner packet of 46 B in the model, sent as 60 B; the kernel counted 60). One note per resized packet.
    /// </summary>
    static (Scenario Scenario, IReadOnlyList<string> Notes) Playable(Scenario s, EspDutSpec spec)
    {
        var index = s.Traffic.ToList().FindIndex(t => t.Kind == "script");
        var traffic = s.Traffic[index];
        var script = traffic.Script!;
        var sa = spec.Sa(0, spec.Element);
        var notes = new List<string>();
        var rows = new List<ScriptPacket>(script.Packets.Count);
        foreach (var p in script.Packets)
        {
            int inner = Math.Max(0, p.Size - FrameOverhead);
            int sent = EspTraceFrames.InnerLengthFor(sa, inner);
            if (sent != inner)
                notes.Add(string.Create(Inv, $"packet {rows.Count} ({traffic.Pos}): size {p.Size}B played as {sent + FrameOverhead}B in the model and the kernel: the {(sa.DecryptedIpv6 ? "IPv6" : "IPv4")} inner packet the kernel is sent carries its index, {EspTraceFrames.MinInnerLength(sa.DecryptedIpv6)}-{EspTraceFrames.MaxInnerLength} B"));
            rows.Add(p with { Size = sent + FrameOverhead });
        }
        if (notes.Count == 0) return (s, notes);
        var list = s.Traffic.ToList();
        list[index] = traffic with { Script = new ScriptTrace(script.Flows, rows) };
        return (s with { Traffic = list }, notes);
    }

    /// <summary>A script packet's size is its frame's: Ethernet header (14) and FCS (4) around the IP packet (ScriptSource).</summary>
    const int FrameOverhead = 18;

    /// <summary>The kernel's half: plays the model's packets into <paramref name="dut"/> with its probes and compares fact by fact (<see cref="ScriptEspComparison"/>).</summary>
    public static ScriptEspKernelOutcome PlayAndCompare(IDeviceUnderTest dut, ScriptEspModelRun model, TextWriter? progress, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(dut);
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            var player = new ScriptEspPlayer(dut);
            if (player.EspUnavailableReason is { } why) return new ScriptEspKernelOutcome(dut.Description, [], null, why);
            var run = player.Run(model.Sas, model.Packets, model.ProbeNanoseconds, dropReasons: true, progress, cancellation);
            return new ScriptEspKernelOutcome(dut.Description, ScriptEspComparison.Compare(model.Compared, model.Result.Probes ?? [], model.Spec.Element, run), run, null);
        }
        catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException or IOException or FormatException)
        {
            return new ScriptEspKernelOutcome(dut.Description, [], null, e.Message);
        }
    }

    /// <summary>The kernel's observations as the tools print them (kernel-probes.txt; <c>lab fuzz</c> keeps them beside an ESP case).</summary>
    public static string KernelProbesText(ScriptEspKernelRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var sb = new System.Text.StringBuilder();
        foreach (var p in run.Probes)
        {
            sb.Append(Inv, $"# probe at {p.AtNanoseconds / 1e9:0.######} s, tools ran at {p.TakenNanoseconds / 1e9:0.######} s\n");
            foreach (var s in p.States)
                sb.Append(Inv, $"spi 0x{s.Spi:x8} replay-window {s.WindowSize} seq 0x{s.Seq:x} oseq 0x{s.OutSeq:x} bitmap {string.Join(' ', s.Bitmap.Select(w => w.ToString("x8", Inv)))} stats replay-window {s.ReplayWindow} replay {s.Replay} failed {s.IntegrityFailed} lifetime {s.Bytes}(bytes) {s.Packets}(packets)\n");
            sb.Append(string.Join(' ', p.Stat.Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value.ToString(Inv)}"))).Append('\n');
            if (p.Drops is { } d) sb.Append("kfree_skb since the previous probe: ").Append(d.Count == 0 ? "none" : string.Join(", ", d.Select(x => x.Location.Length > 0 ? $"{x.Reason} at {x.Location}" : x.Reason))).Append('\n');
        }
        return sb.ToString();
    }

    static string Report(Scenario s, ScriptEspKernelOutcome o, IReadOnlyList<string> modelNotes)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Inv, $"# Validation of {s.Name} (ESP script) on {o.Kernel}\n\n");
        foreach (var n in modelNotes) sb.Append("- note: ").Append(n).Append('\n');
        if (modelNotes.Count > 0) sb.Append('\n');
        sb.Append("Packets were sent at their instants as far as the emulated kernel kept up; an echo barrier before each probe means the probe saw every packet before it. Anti-replay state has no timers, so lateness changes nothing compared here.\n\n");
        if (o.Run is { } run)
        {
            sb.Append(Inv, $"Largest lateness of a packet or probe behind its instant: {run.LateNanoseconds / 1e6:0.###} ms.\n\n");
            if (run.DropReasonsUnavailable is { } why) sb.Append("Kernel drop reasons: not read: ").Append(why).Append('\n');
            foreach (var n in run.Notes) sb.Append("- note: ").Append(n).Append('\n');
        }
        if (o.Failure is { } f) sb.Append("FAILED: ").Append(f).Append('\n');
        sb.Append(Inv, $"\n{o.Checks.Count(c => c.Agree)}/{o.Checks.Count} facts agree.\n");
        var drops = ScriptComparison.DropTable(o.Checks).ToList();
        if (drops.Count > 0) sb.Append("\n## Who is dropping the packets\n\n```\n").AppendJoin('\n', drops).Append("\n```\n");
        ScriptComparison.AppendDisagreements(sb, o.Checks, "0.######");
        return sb.ToString();
    }

    /// <summary>The terminal summary and the exit code: 0 when every fact agrees, 1 otherwise.</summary>
    public static int Summarize(TextWriter o, string name, ScriptEspKernelOutcome outcome, IReadOnlyList<string>? modelNotes = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(outcome);
        o.WriteLine($"validate: {name} (ESP script) on {outcome.Kernel}");
        foreach (var n in modelNotes ?? []) o.WriteLine("  note: " + n);
        if (outcome.Failure is { } failure)
        {
            o.WriteLine($"FAILED: the kernel run did not complete: {failure}");
            return ExitCodes.CheckFailed;
        }
        ScriptComparison.WriteAgreementByKind(o, outcome.Checks, "packet", "xfrm_state", "xfrm_stat", "drop_reason");
        if (outcome.Run is { } run)
        {
            o.WriteLine(string.Create(Inv, $"  replay lateness at most {run.LateNanoseconds / 1e6:0.###} ms (emulation; anti-replay state has no timers)"));
            if (run.DropReasonsUnavailable is { } why) o.WriteLine("  kernel drop reasons not read: " + why);
            foreach (var n in run.Notes) o.WriteLine("  note: " + n);
        }
        var drops = ScriptComparison.DropTable(outcome.Checks).ToList();
        if (drops.Count > 0)
        {
            o.WriteLine("who is dropping the packets:");
            foreach (var line in drops) o.WriteLine(line);
            if (outcome.Checks.FirstOrDefault(c => c.Kind == "drop_reason" && c.Documented is not null) is { } d) o.WriteLine("  (" + d.Documented + ")");
        }
        var bad = outcome.Checks.Where(c => !c.Agree).ToList();
        if (bad.Count == 0)
        {
            o.WriteLine(string.Create(Inv, $"result: all {outcome.Checks.Count} facts agree"));
            return ExitCodes.Ok;
        }
        o.WriteLine(string.Create(Inv, $"DISAGREE: {bad.Count} of {outcome.Checks.Count} facts differ"));
        foreach (var line in ScriptComparison.Table(bad.Take(40))) o.WriteLine(line);
        if (bad.Count > 40) o.WriteLine(string.Create(Inv, $"  ... {bad.Count - 40} more in script-validation.csv"));
        return ExitCodes.CheckFailed;
    }
}
