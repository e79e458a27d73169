using System.Globalization;
using Lab.Core;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.ScriptValidation;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Netfilter;
using Lab.Netfilter.Stages;
using Lab.Results;
using Lab.Scenarios;
using Lab.Simulation.Running;

namespace Lab.Experiments.Validation;

/// <summary>The kernel's half of a scripted validation, or why it stopped.</summary>
public sealed record ScriptKernelOutcome(string Kernel, IReadOnlyList<ScriptCheck> Checks, ScriptKernelRun? Run, string? Failure)
{
    public bool AllAgree => Failure is null && Checks.All(c => c.Agree);
}

/// <summary>The model's half of a scripted case: the packets entering the forward element, the run's results and its probe rows.</summary>
/// <param name="ProbeNanoseconds">The probe instants, in the script's time.</param>
/// <param name="Element">The forward element's name (probe rows carry it).</param>
public sealed record ScriptModelRun(ForwardTrace Trace, ReplicationResult Result, IReadOnlyList<long> ProbeNanoseconds, string Element)
{
    /// <summary>The model's probe rows; <c>lab fuzz</c>'s planted-fault seam replaces them (and <see cref="Trace"/>) in tests.</summary>
    public IReadOnlyList<ProbeRecord> Probes { get; init; } = Result.Probes ?? [];
}

/// <summary>
/// <c>lab validate</c> for a scenario with <c>kind: script</c> traffic through a <c>forward</c>
/// element (issue 18, item 4): simulates the script (one point, replication 0) with a
/// <see cref="ForwardProbe"/> and its <c>probes:</c>, plays the same packets into the kernel at the same
/// instants in real time (<see cref="ScriptKernelPlayer"/>: one simulated second is one real second,
/// so timeouts in whole seconds are compared as they run), takes <c>conntrack -L</c> and
/// <c>conntrack -S</c> at the probe instants, and compares packet by packet, row by row and counter by
/// counter (<see cref="ScriptComparison"/>), with the kernel's skb drop reasons beside the model's drop causes.
/// Writes the simulation's results, probes.csv (the model's), kernel-probes.txt (the tools' parsed output),
/// script-validation.csv (every compared fact) and report.md. <c>--kernel vm</c> plays the script into the Debian
/// VM (<see cref="VmDeviceUnderTest"/>), which also has a flowtable; a script through <c>esp_in</c> goes to
/// <see cref="ScriptEspValidation"/> and needs the VM. What the chosen kernel cannot be given is refused before
/// anything runs: ESP or a flowtable on the host, sweeps, other traffic beside the script.
/// </summary>
public static class ScriptValidation
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Lateness above which the summary warns that timing-dependent facts may differ for that reason.</summary>
    public const long LateWarningNanoseconds = 100_000_000;

    public static int Run(ValidateOptions options, LoadedScenario loaded, TextWriter output, TextWriter? progress,
        Func<string, IDeviceUnderTest>? dutFactory = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(output);
        if (options.Kernel == RecordedKernel) return RunRecorded(options, loaded, output, cancellation);
        if (IsEsp(loaded.First))
        {
            CheckEsp(options, loaded);
            return ScriptEspValidation.Run(options, loaded, output, progress, dutFactory, cancellation);
        }
        var spec = Check(options.Kernel, loaded);
        // Addresses are checked on a first simulation, before any namespace is built.
        CheckAddresses(loaded.First, Simulate(loaded, spec, cancellation).Trace);

        IDeviceUnderTest dut;
        try
        {
            progress?.Write(options.Kernel == "vm" ? "\r  booting the VM ...   " : "\r  building namespaces ...   ");
            dut = dutFactory?.Invoke(options.Kernel) ?? (options.Kernel == "vm" ? VmDeviceUnderTest.Boot(cancellation) : HostDeviceUnderTest.Create(cancellation));
        }
        catch (VmUnavailableException e)
        {
            throw ParameterException.ForValue("kernel", options.Kernel, $"cannot run here: {e.Message}");
        }
        using var owned = dutFactory is null ? dut : null;

        var version = KernelVersion.FromRelease(dut.KernelRelease);
        var sets = new List<string>(options.Sets ?? []) { $"path.{spec.Element}.kernel={version}" };
        loaded = ScenarioLoading.Load(options.Scenario, [.. sets], null, null, options.Wording);
        var model = SimulateModel(loaded, options.Kernel, cancellation);

        return Write(options, loaded, model, version.ToString(), () => PlayAndCompare(dut, model, progress, cancellation), output);
    }

    /// <summary><c>--kernel recorded</c>: the kernel's observations come from the scenario's <see cref="RecordedKernelRun"/>, no kernel runs.</summary>
    public const string RecordedKernel = "recorded";

    static int RunRecorded(ValidateOptions options, LoadedScenario loaded, TextWriter output, CancellationToken cancellation)
    {
        string file = RecordedKernelRun.PathFor(options.Scenario);
        if (!File.Exists(file))
            throw ParameterException.ForValue("kernel", "recorded", $"no recording {file} beside the scenario (", new CommandName("fuzz"), " writes one with every case it keeps)");
        if (RecordedEspRun.IsEsp(File.ReadAllText(file)))
        {
            if (!IsEsp(loaded.First)) throw ParameterException.ForValue("kernel", "recorded", $"{file} records an ESP script, the scenario has no esp_in");
            CheckShape(loaded);
            return ScriptEspValidation.RunRecorded(options, loaded, file, output, cancellation);
        }
        var recorded = RecordedKernelRun.Read(file);
        var model = SimulateModel(loaded, RecordedKernel, cancellation);
        var forward = ForwardDutSpec.From(loaded.First);
        return Write(options, loaded, model, forward.Model.Version.ToString(), () => CompareRecorded(model, recorded), output);
    }

    static int Write(ValidateOptions options, LoadedScenario loaded, ScriptModelRun model, string version, Func<ScriptKernelOutcome> kernel, TextWriter output)
    {
        string dir = options.Folder(loaded.First.Name);
        return ValidateRunner.WriteFolder(dir, tmp =>
        {
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            var first = loaded.First;
            ResultsWriter.WriteFiles(tmp, new RunSet(first.Name, first.Description, ResolvedScenario.Yaml(loaded),
                SimTime.ToSeconds(first.Run.Duration), 0, first.Run.Seed, 1, loaded.SweptParameters,
                [new PointResult(0, loaded.Points[0].Parameters, [model.Result])]) { KeyMetrics = KeyMetrics.Of(first) }, provenance);
            File.WriteAllText(Path.Combine(tmp, "simulated.csv"), ForwardFiles.SimulatedCsv([model.Trace]));
            var outcome = kernel();
            File.WriteAllText(Path.Combine(tmp, "script-validation.csv"), ScriptComparison.Csv(outcome.Checks));
            if (outcome.Run is { } run) File.WriteAllText(Path.Combine(tmp, "kernel-probes.txt"), KernelProbesText(run));
            File.WriteAllText(Path.Combine(tmp, "report.md"), Report(first, version, outcome));
            return () => Summarize(output, first.Name, outcome);
        }, output);
    }

    /// <summary>
    /// The model's half of a scripted validation, shared by <c>lab validate</c> and <c>lab fuzz</c>:
    /// refuses what <paramref name="kernel"/> cannot be given (naming the scenario's position),
    /// simulates replication 0 and checks the addresses against the kernel's test network.
    /// </summary>
    public static ScriptModelRun SimulateModel(LoadedScenario loaded, string kernel, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var spec = Check(kernel, loaded);
        var (trace, result) = Simulate(loaded, spec, cancellation);
        CheckAddresses(loaded.First, trace);
        return new ScriptModelRun(trace, result, [.. loaded.First.Probes.Select(t => t / SimTime.Nanosecond)], spec.Element);
    }

    /// <summary>The kernel's half: plays the model's trace into <paramref name="dut"/> with its probes and compares fact by fact (<see cref="ScriptComparison"/>).</summary>
    /// <param name="dropReasons">Read the kernel's kfree_skb drop reasons (each play into a tracefs instance of its own, so plays at once in one process, as lab fuzz runs them, each get theirs).</param>
    public static ScriptKernelOutcome PlayAndCompare(IDeviceUnderTest dut, ScriptModelRun model, TextWriter? progress, CancellationToken cancellation = default, bool dropReasons = true)
    {
        ArgumentNullException.ThrowIfNull(dut);
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            var run = new ScriptKernelPlayer(dut).Run(model.Trace, model.ProbeNanoseconds, progress, cancellation, dropReasons: dropReasons);
            return new ScriptKernelOutcome(dut.Description, ScriptComparison.Compare(model.Trace, [], model.Probes, model.Element, run), run, null);
        }
        catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException or IOException or FormatException)
        {
            return new ScriptKernelOutcome(dut.Description, [], null, e.Message);
        }
    }

    /// <summary>Compares the model with kernel observations recorded earlier (<see cref="RecordedKernelRun"/>): no kernel is needed.</summary>
    public static ScriptKernelOutcome CompareRecorded(ScriptModelRun model, ScriptKernelRun recorded)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recorded);
        if (recorded.Packets.Count != model.Trace.Packets.Count)
            return new ScriptKernelOutcome(recorded.Kernel, [], recorded, $"the recording has {recorded.Packets.Count} packets, the script {model.Trace.Packets.Count}");
        return new ScriptKernelOutcome(recorded.Kernel, ScriptComparison.Compare(model.Trace, [], model.Probes, model.Element, recorded), recorded, null);
    }

    static bool IsEsp(Scenario s) => s.Path.OfType<ModelStageElement>().Any(e => e.Type == "esp_in");

    /// <summary>What any script needs: one point, script traffic only.</summary>
    static void CheckShape(LoadedScenario loaded)
    {
        var s = loaded.First;
        var script = s.Traffic.First(t => t.Kind == "script");
        if (loaded.Points.Count > 1)
            throw ParameterException.Mentioning($"{s.SourceFile}: ", new CommandName("validate"), $": a scripted scenario is validated at one point, found a sweep of {loaded.Points.Count}");
        if (s.Traffic.Any(t => t.Kind != "script"))
            throw ParameterException.Mentioning($"{script.Pos}: ", new CommandName("validate"), $": a scripted scenario is validated with script traffic only, found other traffic beside it");
    }

    static void CheckEsp(ValidateOptions options, LoadedScenario loaded)
    {
        var esp = loaded.First.Path.OfType<ModelStageElement>().First(e => e.Type == "esp_in");
        if (options.Kernel != "vm")
            throw ParameterException.Mentioning($"{esp.Pos}: ", new CommandName("validate"), ": the host kernel here has no ESP (xfrm); play an ESP script into the Debian VM with ", new ParameterName("kernel"), " vm");
        CheckShape(loaded);
        ScriptEspValidation.Check(loaded.First);
    }

    /// <summary>Refuses what cannot be played here, naming the scenario's position.</summary>
    static ForwardDutSpec Check(string kernel, LoadedScenario loaded)
    {
        CheckShape(loaded);
        if (loaded.First.Traffic.FirstOrDefault(t => t.Script is { } sc && sc.Flows.Any(f => f.IsIpv6)) is { } v6)
            throw ParameterException.Mentioning($"{v6.Pos}: ", new CommandName("validate"),
                $": flow '{v6.Script!.Flows.First(f => f.IsIpv6).Label}' is IPv6: the kernel rig plays IPv4 script flows through forward only (the model runs IPv6 with ", new CommandName("run"), ")");
        var spec = ForwardDutSpec.From(loaded.First);
        // A recording made in the VM may have a flowtable; only the live host kernel lacks one.
        if (spec.Model.Flowtable && kernel is not ("vm" or RecordedKernel))
            throw ParameterException.Mentioning($"{spec.Pos}: {spec.Element}.flowtable: the host kernel here has no nftables flowtable; play this script into the Debian VM with ", new ParameterName("kernel"), " vm");
        return spec;
    }

    /// <summary>
    /// The DUT routes 10.0.0.0/8 to the client link and 198.18.0.0/15 to the server link
    /// (<see cref="ForwardDutScripts"/>): client packets must come from the first and go to the second.
    /// </summary>
    static void CheckAddresses(Scenario s, ForwardTrace trace)
    {
        var pos = s.Traffic.First(t => t.Kind == "script").Pos;
        foreach (var p in trace.Packets)
        {
            uint server = p.Side == ForwardSide.Client ? p.Destination : p.Source;
            if (server >> 17 != FlowTuple.Ip(198, 18, 0, 0) >> 17)
                throw ParameterException.Mentioning($"{pos}: ", new CommandName("validate"), $": packet {p.Describe()}: the kernel's test network puts clients in 10.0.0.0/8 and servers in 198.18.0.0/15; write the script's addresses there");
        }
    }

    static (ForwardTrace Trace, ReplicationResult Result) Simulate(LoadedScenario loaded, ForwardDutSpec spec, CancellationToken cancellation)
    {
        var scenario = loaded.First with { Run = loaded.First.Run with { Warmup = 0 } };
        ForwardProbe? probe = null;
        var result = ScenarioRunner.Run(scenario, 0, PcapTraffic.Load, stage =>
        {
            if (stage is ForwardStage f && f.Name == spec.Element)
            {
                // Script packets from 10.0.0.0/8 enter on the client side (ForwardDutScripts.ClientNet).
                probe = new ForwardProbe(f, ushort.MaxValue + 1, int.MaxValue, t => !t.IsIpv6 && t.SrcIp.V4 >> 24 == 10);
                f.Path.Observer = probe;
            }
            return stage;
        }, cancellation);
        if (probe is null) throw new InvalidOperationException($"no forward stage '{spec.Element}' was built");
        probe.Finish();
        if (probe.Capped) throw ParameterException.Mentioning($"{scenario.SourceFile}: ", new CommandName("validate"), $": a script carries at most 65536 packets");
        var trace = new ForwardTrace(scenario.Name, probe.Packets, probe.Counters!, spec.Kernel(scenario.Run.Seed, 0, raiseTimeouts: false));
        return (trace, result);
    }

    static string KernelProbesText(ScriptKernelRun run)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var p in run.Probes)
        {
            sb.Append(string.Create(Inv, $"# probe at {p.AtNanoseconds / 1e9:0.######} s, tools ran at {p.TakenNanoseconds / 1e9:0.######} s\n"));
            foreach (var e in p.Entries)
                sb.Append(string.Create(Inv, $"{e.Protocol} {e.TimeoutSeconds} {e.State} {e.Original} {e.Reply}{(e.Unreplied ? " [UNREPLIED]" : "")}{(e.Assured ? " [ASSURED]" : "")}{(e.Offload ? " [OFFLOAD]" : "")}{(e.HardwareOffload ? " [HW_OFFLOAD]" : "")}\n"));
            sb.Append(string.Join(' ', p.Stats.Select(kv => $"{kv.Key}={kv.Value.ToString(Inv)}"))).Append('\n');
        }
        foreach (var d in run.DropIntervals.Where(d => d.End > d.First || d.Drops.Count > 0))
            sb.Append(Inv, $"# kfree_skb while packets #{d.First}..#{d.End - 1} were handled: {(d.Drops.Count == 0 ? "none" : string.Join(", ", d.Drops.Select(x => x.Location.Length > 0 ? $"{x.Reason} at {x.Location}" : x.Reason)))}\n");
        return sb.ToString();
    }

    static string Report(Scenario s, string version, ScriptKernelOutcome o)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Inv, $"# Validation of {s.Name} (script) on {o.Kernel}\n\nModel kernel version: {version}. The script was played in real time (1 simulated s = 1 s).\n\n");
        if (o.Run is { } run)
        {
            sb.Append(Inv, $"Largest lateness of a packet or probe behind its instant: {run.LateNanoseconds / 1e6:0.###} ms.\n\n");
            foreach (var n in run.Notes) sb.Append("- note: ").Append(n).Append('\n');
        }
        if (o.Failure is { } f) sb.Append("FAILED: ").Append(f).Append('\n');
        sb.Append(Inv, $"\n{o.Checks.Count(c => c.Agree)}/{o.Checks.Count} facts agree.\n");
        if (o.Run?.DropReasonsUnavailable is { } noReasons) sb.Append("\nKernel drop reasons: not read: ").Append(noReasons).Append('\n');
        var drops = ScriptComparison.DropTable(o.Checks).ToList();
        if (drops.Count > 0) sb.Append("\n## Who is dropping the packets\n\n```\n").AppendJoin('\n', drops).Append("\n```\n\n");
        foreach (var c in o.Checks.Where(c => c.Documented is not null))
            sb.Append(Inv, $"- documented difference at {c.AtSeconds:0.###} s: {c.Kind} {c.Key}: model {c.Model}, kernel {c.Kernel}: {c.Documented}\n");
        ScriptComparison.AppendDisagreements(sb, o.Checks, "0.###");
        return sb.ToString();
    }

    /// <summary>The terminal summary and the exit code: 0 when every fact agrees, 1 otherwise.</summary>
    public static int Summarize(TextWriter o, string name, ScriptKernelOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(outcome);
        o.WriteLine($"validate: {name} (script) on {outcome.Kernel}");
        if (outcome.Failure is { } failure)
        {
            o.WriteLine($"FAILED: the kernel run did not complete: {failure}");
            return ExitCodes.CheckFailed;
        }
        ScriptComparison.WriteAgreementByKind(o, outcome.Checks, "packet", "conntrack", "conntrack_stats", "drop_reason");
        if (outcome.Run is { } run)
        {
            o.WriteLine(string.Create(Inv, $"  replay lateness at most {run.LateNanoseconds / 1e6:0.###} ms"));
            if (run.LateNanoseconds > LateWarningNanoseconds)
                o.WriteLine(string.Create(Inv, $"  warning: the replay fell more than {LateWarningNanoseconds / 1e6:0} ms behind the script (a busy host): a packet sent late can change a timing-dependent verdict (UDP ASSURED after 2 s, an expiry); run again on a quieter host before trusting a disagreement near such an instant"));
            if (run.DropReasonsUnavailable is { } why) o.WriteLine("  kernel drop reasons not read: " + why);
            foreach (var n in run.Notes) o.WriteLine("  note: " + n);
        }
        var drops = ScriptComparison.DropTable(outcome.Checks).ToList();
        if (drops.Count > 0)
        {
            o.WriteLine("who is dropping the packets:");
            foreach (var line in drops) o.WriteLine(line);
        }
        var documented = outcome.Checks.Where(c => c.Documented is not null).ToList();
        foreach (var g in documented.GroupBy(c => (c.Kind, c.Key)))
            o.WriteLine(string.Create(Inv, $"  documented difference: {g.Key.Kind} {g.Key.Key} at {g.Count()} probes (first at {g.First().AtSeconds:0.###} s: model {g.First().Model}, kernel {g.First().Kernel}): {g.First().Documented}"));
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
