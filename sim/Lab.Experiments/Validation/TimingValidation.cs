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
using Lab.Scenarios.Profiles;

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
/// <param name="Calibrate">
/// Measure the calibration windows of the stages the scenario's model charges in the same passes as the points, and
/// predict the points from those costs (<see cref="AlongsideCalibration"/>); the profile's (or the scenario's) costs
/// still choose the offered rates and are compared too.
/// </param>
/// <param name="Words">How the front end names parameters in the scenario's input errors (a bad --set); null: the library's names.</param>
public sealed record TimingValidateOptions(string Scenario, string Kernel, string? Costs, double TolerancePercent, string? OutDir,
    int Points, long Packets, int Repeat, IReadOnlyList<string>? Sets, string? Accounting = null, bool Calibrate = false, Wording? Words = null)
{
    public Wording Wording => Words ?? Wording.Library;
}

/// <summary>The costs measured alongside a validation's points, and the points predicted from them.</summary>
/// <param name="Profile">The calibration windows pooled over the passes, as a cost profile (written to the results folder as <see cref="TimingValidation.AlongsideFile"/>).</param>
/// <param name="Outcome">The same kernel points with the model predicted from <paramref name="Profile"/>.</param>
/// <param name="Stages">The stages measured alongside.</param>
public sealed record AlongsideResult(CostProfile Profile, TimingOutcome Outcome, IReadOnlyList<string> Stages);

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
        var loaded = ScenarioLoading.Load(options.Scenario, [.. sets], null, null, options.Wording);
        if (loaded.Points.Count != 1)
            throw new LabInputException($"{loaded.File}: a timing validation takes one configuration; found a sweep of {loaded.Points.Count} points") { Remedies = [Remedy.FixSweptKeys] };
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
            output.WriteLine($"timing validation: {loaded.First.Name} on {options.Kernel}");
            output.WriteLine($"FAILED: the kernel could not be started: {e.Message}");
            return ExitCodes.CheckFailed;
        }
        using var owned = kernel;
        // The VM meter cannot route a scenario's address plan in the guest; its timings are labelled not meaningful anyway.
        if (kernel.Emulated && spec.Workload.Addresses is not null) spec = spec with { Workload = spec.Workload with { Addresses = null } };
        var model = new ScenarioTimingModel(point, spec, Math.Min(options.Packets, 200_000));
        var timing = new TimingOptions(options.Packets, options.Repeat, TimingOptions.FactorsFor(options.Points), options.TolerancePercent,
            kernel.SuggestedInjectorCpu, thread);
        CalibrationPasses? passes = null;
        CalibrationOptions? calibration = null;
        if (options.Calibrate)
        {
            calibration = AlongsideCalibration.OptionsFor(spec.Workload, options.Packets, options.Repeat, thread);
            passes = AlongsideCalibration.Passes(kernel, spec.Workload, calibration);
            // The points are measured as the stages are: the same ABBA blocks per pass, a median of the paired blocks per
            // pass, and a mean over the passes, so that the model (the stages' means) and the kernel share one statistic.
            // Not in blocks where every packet opens a connection: the table and NAT's taken ports grow over the window, and
            // a block starts from an empty table, so blocks would do less port search than the simulated window does.
            timing = timing with { Blocks = spec.Workload.NewFlowPerPacket ? 1 : calibration.Blocks, MeanOverPasses = true };
        }
        var outcome = TimingValidator.Run(spec.Workload, timing, kernel, model, progress, default, passes is null ? null : c => passes.MeasurePass(c));
        var costLines = loaded.Costs.Lines();
        AlongsideResult? alongside = null;
        ScenarioTimingModel? alongsideModel = null;
        if (passes is not null && calibration is not null && outcome.Refused is null)
        {
            var profile = AlongsideCalibration.Profile(passes, kernel, spec.Workload, calibration,
                $"measured alongside the timing validation of {loaded.First.Name} ({options.Kernel} kernel)", LabInfo.Commit, DateTimeOffset.UtcNow);
            (alongside, alongsideModel) = PredictAlongside(options, sets, spec, outcome, profile);
        }

        string dir = Path.GetFullPath(options.OutDir ?? OutputFolder.Default("results", loaded.First.Name, "-timing"));
        OutputFolder.Check(dir, OutputKind.Validation, force: false);
        return ValidateRunner.WriteFolder(dir, tmp =>
        {
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))) { Costs = costLines };
            var primary = alongside?.Outcome ?? outcome;
            if (alongside is not null)
            {
                provenance = provenance with { Costs = [AlongsideNote(alongside, options.Repeat), .. costLines.Select(l => "offered rates and " + ProfileFile + ": " + l)] };
                CostProfileFile.Write(alongside.Profile, Path.Combine(tmp, AlongsideFile));
                if (outcome.Points.Count > 0) File.WriteAllText(Path.Combine(tmp, ProfileFile), outcome.Csv());
            }
            ResultsWriter.WriteFiles(tmp, ToRunSet(loaded, alongsideModel ?? model), provenance);
            if (primary.Points.Count > 0)
            {
                string csv = primary.Csv();
                File.WriteAllText(Path.Combine(tmp, "timing.csv"), csv);
                var figure = FigureRenderer.Render(TimingContent.Figure(ResultsReader.ReadTiming("timing.csv", csv), "timing"));
                File.WriteAllBytes(Path.Combine(tmp, "timing.png"), figure.Png);
                File.WriteAllText(Path.Combine(tmp, "timing.svg"), figure.Svg);
            }
            return () => Summarize(output, loaded.First.Name, spec, outcome, costLines, options.TolerancePercent, thread, alongside, options.Costs is not null);
        }, output);
    }

    /// <summary>The profile measured alongside, in the results folder.</summary>
    public const string AlongsideFile = "alongside-costs.yaml";

    /// <summary>With side-by-side calibration, the points as predicted from the profile (or the scenario's own costs).</summary>
    public const string ProfileFile = "timing-profile.csv";

    /// <summary>The results' and the terminal's statement of where the model's costs came from.</summary>
    public static string AlongsideNote(AlongsideResult a, int passes)
    {
        ArgumentNullException.ThrowIfNull(a);
        return string.Create(Inv,
            $"costs measured alongside: the calibration windows of {string.Join(", ", a.Stages)} ran in each of the {passes} passes, in rotation with the points; the model's costs are their means over the passes ({AlongsideFile})");
    }

    /// <summary>The points again, the model given the costs measured alongside (a private temporary profile file, removed after loading).</summary>
    static (AlongsideResult, ScenarioTimingModel) PredictAlongside(TimingValidateOptions options, List<string> sets, TimingSpec spec, TimingOutcome outcome,
        CostProfile profile)
    {
        var dir = Directory.CreateTempSubdirectory("lab-alongside-"); // 0700, a fresh name: nothing else's file is written
        try
        {
            string file = Path.Combine(dir.FullName, AlongsideFile);
            CostProfileFile.Write(profile, file);
            var loaded = ScenarioLoading.Load(options.Scenario, [.. sets.Where(x => !x.StartsWith("costs=", StringComparison.Ordinal)), "costs=" + file], null, null, options.Wording);
            var model = new ScenarioTimingModel(loaded.Points[0], spec, Math.Min(options.Packets, 200_000));
            var points = outcome.Points.Select(p =>
            {
                var m = model.Predict(p.OfferedPps, outcome.HarnessNs);
                return p with { ModelNs = m.NsPerPacket, ModelDeliveredPps = m.DeliveredPps, ModelLoss = p.OfferedPps is null ? 0 : m.Loss };
            }).ToList();
            var stages = AlongsideCalibration.StagesFor(spec.Workload);
            return (new AlongsideResult(profile, outcome with { Points = points }, stages), model);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
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
    static bool Accounting(TimingValidateOptions options, CostProfile? profile)
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
    /// <param name="outcome">The points with the model given the profile's (or the scenario's) costs.</param>
    /// <param name="alongside">With side-by-side calibration: the same points predicted from the costs measured alongside, which are then the verdict's.</param>
    /// <param name="profileGiven">A profile was given: its predictions are printed beside the side-by-side ones.</param>
    public static int Summarize(TextWriter o, string name, TimingSpec spec, TimingOutcome outcome, IReadOnlyList<string> costLines, double tolerance, bool threadAccounting,
        AlongsideResult? alongside = null, bool profileGiven = false)
    {
        string accounting = threadAccounting ? "by the injecting thread (accounting thread)" : "on every CPU from /proc/stat (accounting proc-stat)";
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(costLines);
        o.WriteLine($"timing validation: {name} ({spec.Element}: {spec.Workload}) on {outcome.Kernel}, CPU counted {accounting}");
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
        var given = outcome;
        if (alongside is not null)
        {
            o.WriteLine(AlongsideNote(alongside, alongside.Profile.Method.Repeat));
            foreach (var st in alongside.Profile.Stages)
                o.WriteLine(st.IsMeasured
                    ? string.Create(Inv, $"  {st.Name,-20} {st.Ns,9:F2} ns   95% [{st.Ci95Low:F2}, {st.Ci95High:F2}]")
                    : $"  {st.Name,-20} not measured: {st.NotMeasured}");
            o.WriteLine("the timing lines below predict from the costs measured alongside" + (profileGiven ? "; the lines 'timing with the profile' from the given profile, measured earlier" : ""));
            outcome = alongside.Outcome;
        }
        for (int i = 0; i < outcome.Points.Count; i++)
        {
            var p = outcome.Points[i];
            string at = p.OfferedPps is double offered
                ? $"{p.Label} of the predicted saturation, {TimingOutcome.Mpps(offered)} offered"
                : "top speed";
            o.WriteLine(string.Create(Inv, $"point {at}: kernel forwarded {TimingOutcome.Mpps(p.KernelForwardedPps)} (loss {p.KernelLoss:P1}), model delivered {TimingOutcome.Mpps(p.ModelDeliveredPps)} (loss {p.ModelLoss:P1}); baseline {p.BaselineNs:0.#} ns/packet"));
            o.WriteLine(TimingOutcome.Line(p));
            if (PassesLine(p) is { } passesLine) o.WriteLine(passesLine);
            if (alongside is not null && profileGiven) o.WriteLine("timing with the profile" + TimingOutcome.Line(given.Points[i])["timing".Length..]);
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

    /// <summary>
    /// "kernel per pass: a, b, ... ns/packet; mean M [lo, hi], median D (the timing line's kernel figure is the mean|median)",
    /// or null for a single pass: the spread that a median of five hides, and both statistics.
    /// </summary>
    public static string? PassesLine(TimingPoint p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var finite = p.KernelNsPerPass.Where(double.IsFinite).ToList();
        if (finite.Count < 2) return null;
        var sum = Summary.Of(finite);
        return string.Create(Inv,
            $"kernel per pass: {string.Join(", ", p.KernelNsPerPass.Select(v => v.ToString("0", Inv)))} ns/packet; mean {sum.Mean:0} [{sum.Ci95Low:0}, {sum.Ci95High:0}], median {TimingValidator.Median(finite):0} (the timing line's kernel figure is the {(p.KernelMean ? "mean, the statistic of the costs measured alongside" : "median")})");
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
