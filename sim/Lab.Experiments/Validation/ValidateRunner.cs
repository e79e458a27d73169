using System.Globalization;
using Lab.KernelLab.Cleanup;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Validation;

/// <summary>The options of <c>lab validate</c>.</summary>
/// <param name="Scenario">The scenario file.</param>
/// <param name="Kernel">host (this machine's kernel in namespaces) or vm (the Debian kernel under qemu).</param>
/// <param name="OutDir">The validation folder; default results/NAME-validate.</param>
/// <param name="Sets">Parameter overrides (key=value), as for a run.</param>
/// <param name="Force">Replace OutDir even if it is not empty and not a lab validation folder.</param>
/// <param name="Words">How the front end names the parameters and commands the report and messages mention (default: the library's names).</param>
public sealed record ValidateOptions(string Scenario, string Kernel = "vm", string? OutDir = null, IReadOnlyList<string>? Sets = null, bool Force = false, Wording? Words = null)
{
    /// <summary><see cref="Words"/>, or the library's own names.</summary>
    public Wording Wording => Words ?? Wording.Library;

    /// <summary>The validation folder, checked before anything runs (<see cref="OutputFolder.Check"/>).</summary>
    public string Folder(string scenarioName)
    {
        string dir = Path.GetFullPath(OutDir ?? OutputFolder.Default("results", scenarioName, "-validate"));
        OutputFolder.Check(dir, OutputKind.Validation, Force);
        return dir;
    }
}

/// <summary>
/// <c>lab validate SCENARIO [--kernel host|vm] [--out DIR]</c>: simulates the scenario
/// (replication 0 of every point), writes the frames the simulation sends into its esp_in
/// element as a pcap of real ESP (frames.pcap) with the simulator's verdict per packet
/// (simulated.csv), replays them into a real kernel configured with the same SAs, and
/// compares per packet and per counter (validation.csv, packets.csv, report.md), beside the
/// simulation's own results files. Exit 0 when everything agrees (or the ESP checks were
/// skipped because the kernel has no ESP, which the report says), 1 on any disagreement or
/// when the kernel could not be given the whole trace, 2 for bad input. The folder is written
/// under a temporary name and renamed when complete. A scenario whose device under test is a
/// forward element (and that has no esp_in) goes to <see cref="ForwardValidation"/>.
/// </summary>
public static class ValidateRunner
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="cancellation">Ctrl-C: the kernel run stops, its namespaces or VM and the half-written folder are removed, and <see cref="OperationCanceledException"/> propagates.</param>
    public static int Run(ValidateOptions options, TextWriter output, TextWriter? progress, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        if (options.Kernel is not ("host" or "vm" or ScriptValidation.RecordedKernel))
            throw new ParameterException("kernel", $"expected host, vm or recorded, found '{options.Kernel}'");
        var loaded = ScenarioLoading.Load(options.Scenario, [.. options.Sets ?? []], null, null, options.Wording);
        options.Folder(loaded.First.Name);
        if (loaded.First.Traffic.Any(t => t.Kind == "script")) return ScriptValidation.Run(options, loaded, output, progress, cancellation: cancellation);
        if (options.Kernel == ScriptValidation.RecordedKernel)
            throw ParameterException.ForValue("kernel", "recorded", $"only a scripted scenario (kind: script) has recorded kernel observations ({RecordedKernelRun.PathFor(options.Scenario)})");
        if (ForwardDutSpec.Applies(loaded.First)) return ForwardValidation.Run(options, loaded, output, progress, cancellation: cancellation);
        var points = ValidationSimulation.Run(loaded, progress, cancellation);
        string dir = options.Folder(loaded.First.Name);
        return WriteFolder(dir, tmp =>
        {
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            ResultsWriter.WriteFiles(tmp, ValidationSimulation.ToRunSet(loaded, points), provenance);
            var plans = points.Select(p => p.Plan).ToList();
            int clamped = EspTraceFrames.WritePcap(Path.Combine(tmp, "frames.pcap"), plans);
            File.WriteAllText(Path.Combine(tmp, "simulated.csv"), ValidationFiles.SimulatedCsv(plans));

            var outcome = RunKernel(options.Kernel, points, Path.Combine(tmp, "frames.pcap"), progress, cancellation);
            var rows = outcome.Comparisons.SelectMany(c => c.Rows).ToList();
            File.WriteAllText(Path.Combine(tmp, "validation.csv"), ValidationFiles.ValidationCsv(rows));
            if (outcome.Comparisons.Count > 0)
                File.WriteAllText(Path.Combine(tmp, "packets.csv"), ValidationFiles.PacketsCsv(outcome.Comparisons));
            string report = ValidationReport.Markdown(loaded, points, outcome, clamped, options.Wording);
            File.WriteAllText(Path.Combine(tmp, "report.md"), report);
            return () => Summarize(output, loaded.First.Name, outcome);
        }, output);
    }

    /// <summary>
    /// Writes a validation folder under a temporary name with <paramref name="fill"/>, renames it into
    /// place, then runs the summary <paramref name="fill"/> returned and prints where the folder is.
    /// Returns the summary's exit code; on an exception nothing is left behind.
    /// </summary>
    internal static int WriteFolder(string dir, Func<string, Func<int>> fill, TextWriter output)
    {
        var summary = OutputFolder.Replace(dir, OutputKind.Validation, fill);
        int code = summary();
        output.WriteLine($"results: {dir}");
        return code;
    }

    /// <summary>The kernel's half: one DUT for all points, one plan (and one injection per SA) per point.</summary>
    static KernelOutcome RunKernel(string kernel, IReadOnlyList<ValidatedPoint> points, string pcap, TextWriter? progress, CancellationToken cancellation)
    {
        IDeviceUnderTest dut;
        try
        {
            progress?.Write(kernel == "vm" ? "\r  booting the VM ...   " : "\r  building namespaces ...   ");
            dut = kernel == "vm" ? VmDeviceUnderTest.Boot(cancellation) : HostDeviceUnderTest.Create(cancellation);
        }
        catch (VmUnavailableException e)
        {
            throw ParameterException.ForValue("kernel", kernel, $"cannot run here: {e.Message}");
        }
        catch (VmException e)
        {
            return new KernelOutcome(kernel, null, [], e.Message);
        }
        using (dut)
        {
            EspKernelValidator validator;
            try
            {
                validator = new EspKernelValidator(dut);
            }
            catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException)
            {
                return new KernelOutcome(dut.Description, null, [], "configuring the DUT: " + e.Message);
            }
            if (validator.EspUnavailableReason is { } reason)
                return new KernelOutcome(dut.Description, reason, [], null);
            var comparisons = new List<EspComparison>();
            long skip = 0;
            try
            {
                foreach (var p in points)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var run = validator.Run(p.Plan, pcap, skip, progress);
                    comparisons.Add(EspComparison.Compare(run));
                    skip += p.Plan.AllPackets.LongCount();
                }
            }
            catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException)
            {
                return new KernelOutcome(dut.Description, null, comparisons, e.Message);
            }
            return new KernelOutcome(dut.Description, null, comparisons, null);
        }
    }

    /// <summary>
    /// The terminal summary: one line per check, then the result; on a disagreement the
    /// counters that differ and the first disagreeing packets. Returns the exit code: 0 when
    /// everything agrees or the ESP checks were skipped (the only checks there are), else 1.
    /// </summary>
    public static int Summarize(TextWriter o, string name, KernelOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(outcome);
        o.WriteLine($"validate: {name} on {outcome.Kernel}");
        if (outcome.SkippedReason is { } skipped)
        {
            o.WriteLine($"skipped: ESP checks: {skipped}");
            return ExitCodes.Ok;
        }
        foreach (var c in outcome.Comparisons)
        {
            foreach (var check in c.Rows.Select(r => r.Check).Distinct())
            {
                var rows = c.Rows.Where(r => r.Check == check).ToList();
                var packets = c.Packets.Where(p => p.Check == check).ToList();
                o.WriteLine(string.Create(Inv,
                    $"  {check}: {packets.Count} packets, {packets.Count(p => p.Packet.Simulated == Lab.Esp.DropReason.None)} accepted by the model; verdicts agree {packets.Count(p => p.Agree)}/{packets.Count}; counters agree {rows.Count(r => r.Agree)}/{rows.Count}"));
            }
        }
        if (outcome.Failure is { } failure)
        {
            o.WriteLine($"FAILED: the kernel run did not complete: {failure}");
            return ExitCodes.CheckFailed;
        }
        int badRows = outcome.Comparisons.Sum(c => c.Rows.Count(r => !r.Agree));
        int badPackets = outcome.Comparisons.Sum(c => c.Packets.Count(p => !p.Agree));
        if (badRows + badPackets == 0)
        {
            o.WriteLine(string.Create(Inv, $"result: all {outcome.Comparisons.Sum(c => c.Rows.Select(r => r.Check).Distinct().Count())} checks agree"));
            return ExitCodes.Ok;
        }
        o.WriteLine(string.Create(Inv, $"DISAGREE: {badPackets} packet verdicts and {badRows} counters differ"));
        foreach (var r in outcome.Comparisons.SelectMany(c => c.Rows).Where(r => !r.Agree).Take(10))
            o.WriteLine(string.Create(Inv, $"  counter {r.Check} {r.Metric}: simulated {r.Simulated}, kernel {r.Kernel}"));
        var first = outcome.Comparisons.SelectMany(c => ValidationFiles.FirstDisagreements(c)).Take(10).ToList();
        if (first.Count > 0)
        {
            o.WriteLine("first disagreeing packets:");
            foreach (var line in first) o.WriteLine("  " + line);
        }
        return ExitCodes.CheckFailed;
    }
}

/// <summary>What the kernel run gave: comparisons per point, or why the ESP checks were skipped, or why the run stopped.</summary>
public sealed record KernelOutcome(string Kernel, string? SkippedReason, IReadOnlyList<EspComparison> Comparisons, string? Failure)
{
    public bool AllAgree => Failure is null && Comparisons.All(c => c.AllAgree);
}
