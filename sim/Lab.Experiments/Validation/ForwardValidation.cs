using System.Globalization;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Netfilter;
using Lab.Netfilter.Stages;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>One sweep point as validated: the simulation's results and the trace through its forward element.</summary>
public sealed record ForwardValidatedPoint(ScenarioPoint Point, string Label, ForwardDutSpec Dut, ReplicationResult Result, ForwardTrace Trace, bool Capped);

/// <summary>The kernel's half of a forward validation: one comparison per point, or why the run stopped.</summary>
public sealed record ForwardKernelOutcome(string Kernel, string? FlowtableSkipped, IReadOnlyList<ForwardComparison> Comparisons,
    IReadOnlyList<ForwardKernelRun> Runs, string? Failure)
{
    public bool AllAgree => Failure is null && Comparisons.All(c => c.AllAgree);
}

/// <summary>
/// <c>lab validate</c> for a scenario whose device under test is a <c>forward</c> element
/// (captures/VALIDATION.md): builds the DUT first (its kernel version is the model's), simulates
/// every point (replication 0, warm-up 0) with a <see cref="ForwardProbe"/>, writes frames.pcap and
/// simulated.csv, replays each point's trace into the DUT (<see cref="ForwardKernelValidator"/>) and
/// compares (<see cref="ForwardComparison"/>): validation.csv, packets.csv, report.md.
/// </summary>
public static class ForwardValidation
{
    /// <summary>Trace bounds per point: a TCG guest replays 2,000 packets with their barriers in seconds.</summary>
    public const int MaxPackets = 2000, MaxFlows = 256;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs everything; <paramref name="dutFactory"/> replaces booting or building the DUT (tests share one guest).</summary>
    public static int Run(ValidateOptions options, LoadedScenario loaded, TextWriter output, TextWriter? progress,
        Func<string, IDeviceUnderTest>? dutFactory = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var p in loaded.Points) ForwardDutSpec.From(p.Scenario); // bad input before anything is built
        var specVersion = ((ForwardStageConfig)loaded.First.Path.OfType<ModelStageElement>().First(e => e.Type == "forward").Config).Version;

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
        catch (VmException e)
        {
            output.WriteLine($"validate: {loaded.First.Name} on {options.Kernel}");
            output.WriteLine($"FAILED: the kernel could not be started: {e.Message}");
            return ExitCodes.CheckFailed;
        }
        using var owned = dutFactory is null ? dut : null;

        // The model follows the DUT's kernel version: version-dependent behaviour must be the kernel's.
        var version = KernelVersion.FromRelease(dut.KernelRelease);
        string element = ForwardDutSpec.From(loaded.First).Element;
        var sets = new List<string>(options.Sets ?? []) { $"path.{element}.kernel={version}" };
        loaded = ScenarioLoading.Load(options.Scenario, [.. sets], null, null, options.Wording);
        var points = Simulate(loaded, progress, cancellation);

        string dir = options.Folder(loaded.First.Name);
        return ValidateRunner.WriteFolder(dir, tmp =>
        {
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            ResultsWriter.WriteFiles(tmp, ToRunSet(loaded, points), provenance);
            var traces = points.Select(p => p.Trace).ToList();
            ForwardFrames.WritePcap(Path.Combine(tmp, "frames.pcap"), traces);
            File.WriteAllText(Path.Combine(tmp, "simulated.csv"), ForwardFiles.SimulatedCsv(traces));

            cancellation.ThrowIfCancellationRequested();
            var outcome = RunKernel(dut, points, progress, options.Wording);
            cancellation.ThrowIfCancellationRequested();
            File.WriteAllText(Path.Combine(tmp, "validation.csv"), ValidationFiles.ValidationCsv(outcome.Comparisons.SelectMany(c => c.Rows)));
            if (outcome.Comparisons.Count > 0) File.WriteAllText(Path.Combine(tmp, "packets.csv"), ForwardFiles.PacketsCsv(outcome.Comparisons));
            string? versionNote = specVersion != version ? $"the scenario's forward.kernel {specVersion} was replaced by the DUT's {version}" : null;
            File.WriteAllText(Path.Combine(tmp, "report.md"), ForwardReport.Markdown(loaded, points, outcome, versionNote));
            return () => Summarize(output, loaded.First.Name, outcome);
        }, output);
    }

    /// <summary>Every point, replication 0, warm-up 0 (the path's counters then count from the trace's first packet; warm-up changes no verdict).</summary>
    public static IReadOnlyList<ForwardValidatedPoint> Simulate(LoadedScenario loaded, TextWriter? progress, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var points = new List<ForwardValidatedPoint>();
        for (int i = 0; i < loaded.Points.Count; i++)
        {
            var point = loaded.Points[i];
            var spec = ForwardDutSpec.From(point.Scenario);
            progress?.Write(string.Create(Inv, $"\r  simulating point {i + 1}/{loaded.Points.Count}   "));
            var scenario = point.Scenario with { Run = point.Scenario.Run with { Warmup = 0 } };
            ForwardProbe? probe = null;
            var result = ScenarioRunner.Run(scenario, 0, PcapTraffic.Load, stage =>
            {
                if (stage is ForwardStage f && f.Name == spec.Element)
                {
                    probe = new ForwardProbe(f, MaxPackets, MaxFlows);
                    f.Path.Observer = probe;
                }
                return stage;
            }, cancellation);
            if (probe is null) throw new InvalidOperationException($"no forward stage '{spec.Element}' was built");
            probe.Finish();
            var counters = probe.Counters!;
            var trace = new ForwardTrace(ValidationSimulation.Label(loaded, point), probe.Packets, counters,
                spec.Kernel(scenario.Run.Seed, 0, raiseTimeouts: counters.Expired == 0));
            points.Add(new ForwardValidatedPoint(point, trace.Check, spec, result, trace, probe.Capped));
        }
        progress?.Write("\r" + new string(' ', 40) + "\r");
        return points;
    }

    static ForwardKernelOutcome RunKernel(IDeviceUnderTest dut, IReadOnlyList<ForwardValidatedPoint> points, TextWriter? progress, Wording wording)
    {
        ForwardKernelValidator validator;
        try
        {
            validator = new ForwardKernelValidator(dut);
        }
        catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException)
        {
            return new ForwardKernelOutcome(dut.Description, null, [], [], "configuring the DUT: " + e.Message);
        }
        var comparisons = new List<ForwardComparison>();
        var runs = new List<ForwardKernelRun>();
        try
        {
            foreach (var p in points)
            {
                var run = validator.Run(p.Trace, progress);
                runs.Add(run);
                if (LimitProblem(p.Trace, run, wording) is { } limit) return new ForwardKernelOutcome(dut.Description, validator.FlowtableUnavailableReason, comparisons, runs, limit);
                comparisons.Add(ForwardComparison.Compare(run, validator.FlowtableUnavailableReason));
            }
        }
        catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException or IOException)
        {
            return new ForwardKernelOutcome(dut.Description, validator.FlowtableUnavailableReason, comparisons, runs, e.Message);
        }
        return new ForwardKernelOutcome(dut.Description, validator.FlowtableUnavailableReason, comparisons, runs, null);
    }

    /// <summary>
    /// nf_conntrack_max is read-only outside the initial namespace (nf_conntrack_standalone.c), so the
    /// host's namespaces keep the machine's. Where the trace reaches either limit, the kernels would be
    /// compared at different limits: that is reported instead of a disagreement.
    /// </summary>
    static string? LimitProblem(ForwardTrace trace, ForwardKernelRun run, Wording wording)
    {
        long model = trace.Dut.ConntrackMax ?? run.ConntrackMax;
        if (model == run.ConntrackMax) return null;
        long reached = Math.Max(trace.Model.Entries.Count, run.Entries.Count);
        if (reached < Math.Min(model, run.ConntrackMax) && trace.Model.EarlyDrop == 0 && !trace.Packets.Any(p => p.DropReason == "drop")) return null;
        return wording.Render(string.Create(Inv,
            $"{trace.Check}: the trace reaches nf_conntrack_max (model {model}, kernel {run.ConntrackMax}) and this DUT cannot be given the model's value (read-only outside the initial namespace); use "),
            new ParameterName("kernel"), " vm");
    }

    /// <summary>The terminal summary; returns the exit code: 0 when everything compared agrees, else 1.</summary>
    public static int Summarize(TextWriter o, string name, ForwardKernelOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(outcome);
        o.WriteLine($"validate: {name} on {outcome.Kernel}");
        foreach (var c in outcome.Comparisons)
        {
            int forwarded = c.Packets.Count(p => p.Packet.Forwarded);
            o.WriteLine(string.Create(Inv,
                $"  {c.Check}: {c.Packets.Count} packets, {forwarded} forwarded by the model; verdicts agree {c.Packets.Count(p => p.Agree)}/{c.Packets.Count}; counters agree {c.Rows.Count(r => r.Agree)}/{c.Rows.Count}; conntrack entries differing {c.FlowDifferences.Count}"));
        }
        foreach (var s in outcome.Comparisons.SelectMany(c => c.Skipped).Distinct()) o.WriteLine($"skipped: {s}");
        if (outcome.Failure is { } failure)
        {
            o.WriteLine($"FAILED: the kernel run did not complete: {failure}");
            return ExitCodes.CheckFailed;
        }
        if (outcome.AllAgree)
        {
            o.WriteLine(string.Create(Inv, $"result: all {outcome.Comparisons.Count} checks agree"));
            return ExitCodes.Ok;
        }
        int badRows = outcome.Comparisons.Sum(c => c.Rows.Count(r => !r.Agree));
        int badPackets = outcome.Comparisons.Sum(c => c.Packets.Count(p => !p.Agree));
        int badFlows = outcome.Comparisons.Sum(c => c.FlowDifferences.Count);
        o.WriteLine(string.Create(Inv, $"DISAGREE: {badPackets} packet verdicts, {badRows} counters and {badFlows} conntrack entries differ"));
        foreach (var r in outcome.Comparisons.SelectMany(c => c.Rows).Where(r => !r.Agree).Take(10))
            o.WriteLine(string.Create(Inv, $"  counter {r.Check} {r.Metric}: simulated {r.Simulated}, kernel {r.Kernel}"));
        var first = outcome.Comparisons.SelectMany(c => ForwardFiles.FirstDisagreements(c)).Take(10).ToList();
        if (first.Count > 0)
        {
            o.WriteLine("first disagreeing packets:");
            foreach (var line in first) o.WriteLine("  " + line);
        }
        foreach (var f in outcome.Comparisons.SelectMany(c => c.FlowDifferences).Take(5)) o.WriteLine("  conntrack: " + f);
        return ExitCodes.CheckFailed;
    }

    static RunSet ToRunSet(LoadedScenario loaded, IReadOnlyList<ForwardValidatedPoint> points)
    {
        var first = loaded.First;
        return new RunSet(first.Name, first.Description, ResolvedScenario.Yaml(loaded),
            SimTime.ToSeconds(first.Run.Duration), 0, first.Run.Seed, 1, loaded.SweptParameters,
            points.Select(p => new PointResult(p.Point.Index, p.Point.Parameters, [p.Result])).ToList())
        { KeyMetrics = KeyMetrics.Of(first) };
    }
}
