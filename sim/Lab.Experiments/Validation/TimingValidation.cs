using System.Globalization;
using Lab.Calibration;
using Lab.KernelLab.Calibration;
using Lab.KernelLab.TimingValidation;
using Lab.KernelLab.Vm;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Reports.Content;
using ResultsReader = Lab.Reports.Reading.ResultsReader;
using Lab.Reports.Writers;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>The options of <c>lab validate --timing</c>.</summary>
/// <param name="Scenario">The scenario file (one forward element, one generator).</param>
/// <param name="Kernel">host or vm.</param>
/// <param name="Costs">A cost profile replacing the scenario's <c>costs</c> key, or null.</param>
/// <param name="TolerancePercent">Largest |error| that passes.</param>
/// <param name="OutDir">Results folder (default results/NAME-timing).</param>
/// <param name="Points">Offered-rate points after the top-speed one.</param>
/// <param name="Packets">Packets per measurement.</param>
/// <param name="Repeat">Interleaved baseline/router passes per point.</param>
/// <param name="Sets">--set overrides.</param>
/// <param name="Accounting">proc-stat or thread; null: as the profile was measured (proc-stat without one).</param>
public sealed record TimingValidateOptions(string Scenario, string Kernel, string? Costs, double TolerancePercent, string? OutDir,
    int Points, long Packets, int Repeat, IReadOnlyList<string>? Sets, string? Accounting = null);

/// <summary>
/// <c>lab validate --timing</c> (captures/VALIDATION.md, "Timing"): loads the scenario, maps its forward
/// traffic onto the kernel meter (<see cref="TimingSpec"/>), runs <see cref="TimingValidator"/> against the
/// simulation (<see cref="ScenarioTimingModel"/>), prints one line per point, and writes the results folder:
/// the simulation's runs (one point per offered rate), timing.csv and the model-against-kernel figure.
/// Exit 1 when an error exceeds the tolerance (not under emulation, whose timings mean nothing), 2 for bad input.
/// </summary>
public static class TimingValidation
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(TimingValidateOptions options, TextWriter output, TextWriter? progress, Func<string, IKernelCostMeter>? kernelFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        if (options.Kernel is not ("host" or "vm"))
            throw new ParameterException("kernel", $"expected host or vm, found '{options.Kernel}'");
        var sets = new List<string>(options.Sets ?? []);
        if (options.Costs is { } costs) sets.Add("costs=" + Path.GetFullPath(costs));
        var loaded = ScenarioLoading.Load(options.Scenario, [.. sets], null, null);
        if (loaded.Points.Count != 1)
            throw new LabInputException($"{loaded.File}: --timing validates one configuration; found a sweep of {loaded.Points.Count} points (fix the swept keys with --set)");
        var point = loaded.Points[0];
        var spec = TimingSpec.From(point.Scenario);

        bool thread = Accounting(options, loaded.Costs.Profile);
        if (thread && options.Kernel == "vm")
            throw ParameterException.ForValue("accounting", "thread", "the injector does not run on the guest's kernel; use proc-stat with ", new ParameterName("kernel"), " vm");

        IKernelCostMeter kernel;
        try
        {
            progress?.Write(options.Kernel == "vm" ? "\r  booting the VM ...   " : "\r  building namespaces ...   ");
            kernel = kernelFactory?.Invoke(options.Kernel) ?? CreateKernel(options.Kernel);
        }
        catch (VmUnavailableException e)
        {
            throw ParameterException.ForValue("kernel", "vm", $"cannot run here: {e.Message}");
        }
        catch (VmException e)
        {
            output.WriteLine($"validate --timing: {loaded.First.Name} on {options.Kernel}");
            output.WriteLine($"FAILED: the kernel could not be started: {e.Message}");
            return ExitCodes.CheckFailed;
        }
        using var owned = kernel;
        // The VM meter cannot route a scenario's address plan in the guest; its timings are labelled not meaningful anyway.
        if (kernel.Emulated && spec.Workload.Addresses is not null) spec = spec with { Workload = spec.Workload with { Addresses = null } };
        var model = new ScenarioTimingModel(point, spec, Math.Min(options.Packets, 200_000));
        var timing = new TimingOptions(options.Packets, options.Repeat, TimingOptions.FactorsFor(options.Points), options.TolerancePercent,
            kernel.SuggestedInjectorCpu, thread);
        var outcome = TimingValidator.Run(spec.Workload, timing, kernel, model, progress);
        var costLines = loaded.Costs.Lines();

        string dir = Path.GetFullPath(options.OutDir ?? OutputFolder.Default("results", loaded.First.Name, "-timing"));
        OutputFolder.Check(dir, OutputKind.Validation, force: false);
        return ValidateRunner.WriteFolder(dir, tmp =>
        {
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))) { Costs = costLines };
            ResultsWriter.WriteFiles(tmp, ToRunSet(loaded, model), provenance);
            if (outcome.Points.Count > 0)
            {
                string csv = outcome.Csv();
                File.WriteAllText(Path.Combine(tmp, "timing.csv"), csv);
                var figure = FigureRenderer.Render(TimingContent.Figure(ResultsReader.ReadTiming("timing.csv", csv), "timing"));
                File.WriteAllBytes(Path.Combine(tmp, "timing.png"), figure.Png);
                File.WriteAllText(Path.Combine(tmp, "timing.svg"), figure.Svg);
            }
            return () => Summarize(output, loaded.First.Name, spec, outcome, costLines, options.TolerancePercent,
                thread ? "by the injecting thread (--accounting thread)" : "on every CPU from /proc/stat (--accounting proc-stat)");
        }, output);
    }

    static IKernelCostMeter CreateKernel(string kernel)
    {
        if (kernel == "vm") return VmCostMeter.Boot();
        if (KernelCostMeter.UnavailableReason() is { } reason)
            throw ParameterException.ForValue("kernel", "host", $"cannot measure this machine's kernel: {reason}");
        return new KernelCostMeter();
    }

    /// <summary>
    /// Whether to count the injecting thread's CPU time: as asked, else as the profile was measured (its
    /// method.accounting, written by lab calibrate), so that the model's costs and the kernel's are counted alike.
    /// </summary>
    static bool Accounting(TimingValidateOptions options, Lab.Scenarios.Profiles.CostProfile? profile)
    {
        if (options.Accounting is { } a)
            return a switch
            {
                "thread" => true,
                "proc-stat" => false,
                _ => throw new ParameterException("accounting", $"expected proc-stat or thread, found '{a}'"),
            };
        return profile?.Method.Accounting.StartsWith("CPU time of the injecting thread", StringComparison.Ordinal) ?? false;
    }

    /// <summary>The terminal summary; returns the exit code.</summary>
    public static int Summarize(TextWriter o, string name, TimingSpec spec, TimingOutcome outcome, IReadOnlyList<string> costLines, double tolerance, string accounting)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(costLines);
        o.WriteLine($"validate --timing: {name} ({spec.Element}: {spec.Workload}) on {outcome.Kernel}, CPU counted {accounting}");
        foreach (var line in costLines) o.WriteLine(line);
        if (outcome.Emulated) o.WriteLine("note: emulated kernel: these timings are not meaningful as speeds; the tolerance is not applied");
        if (outcome.Emulated && spec.Workload.NewFlowPerPacket)
            o.WriteLine("note: the VM meter sends its own tuples (one source, a distinct port pair per flow), not the scenario's address plan: NAT port searches differ");
        if (outcome.Refused is { } refused)
        {
            o.WriteLine($"not measured: {refused}");
            return ExitCodes.Ok;
        }
        if (double.IsFinite(outcome.HarnessNs))
            o.WriteLine(string.Create(Inv, $"harness: {outcome.HarnessNs:0.#} ns/packet on the model's core (median of {TimingValidator.HarnessWindows} top-speed baseline windows); every pass measures every point, in rotating order"));
        if (outcome.CacheReferenceLine() is { } reference) o.WriteLine(reference);
        foreach (var p in outcome.Points)
        {
            string at = p.OfferedPps is double offered
                ? $"{p.Label} of the predicted saturation, {TimingOutcome.Mpps(offered)} offered"
                : "top speed";
            o.WriteLine(string.Create(Inv, $"point {at}: kernel forwarded {TimingOutcome.Mpps(p.KernelForwardedPps)} (loss {p.KernelLoss:P1}), model delivered {TimingOutcome.Mpps(p.ModelDeliveredPps)} (loss {p.ModelLoss:P1}); baseline {p.BaselineNs:0.#} ns/packet"));
            o.WriteLine(TimingOutcome.Line(p));
            if (!outcome.Emulated) o.WriteLine(TimingOutcome.CountersLine(p));
        }
        o.WriteLine(outcome.SaturationLine());
        o.WriteLine(outcome.DropOnsetLine());
        var exceeding = outcome.Exceeding(tolerance);
        if (outcome.Emulated)
        {
            o.WriteLine("result: emulated, not meaningful (errors not judged)");
            return ExitCodes.Ok;
        }
        if (exceeding.Count == 0)
        {
            o.WriteLine(string.Create(Inv, $"result: every error within {tolerance:0.##}%"));
            return ExitCodes.Ok;
        }
        o.WriteLine(string.Create(Inv, $"FAILED: beyond the tolerance of {tolerance:0.##}%: {string.Join("; ", exceeding)}"));
        return ExitCodes.CheckFailed;
    }

    static RunSet ToRunSet(LoadedScenario loaded, ScenarioTimingModel model)
    {
        var first = model.Runs.Count > 0 ? model.Runs[0].Scenario : loaded.First;
        var points = new List<PointResult>();
        foreach (var (offered, _, result) in model.Runs)
        {
            string label = offered is double o ? string.Create(Inv, $"{Math.Round(o)}pps") : "top";
            points.Add(new PointResult(points.Count, [new("timing.offered", label)], [result]));
        }
        return new RunSet(loaded.First.Name, loaded.First.Description, ResolvedScenario.Yaml(loaded),
            SimTime.ToSeconds(first.Run.Duration), SimTime.ToSeconds(first.Run.Warmup), first.Run.Seed, 1, ["timing.offered"], points);
    }
}
