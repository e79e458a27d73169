using System.CommandLine;
using System.Globalization;
using Lab.Experiments.Validation;
using Lab.Core;

namespace Lab.Cli.Commands;

/// <summary>
/// <c>lab validate</c>: the scenario simulated and replayed into a real kernel, compared (see <see cref="ValidateRunner"/>);
/// with <c>--timing</c>, the model's CPU per packet against the kernel's (see <see cref="TimingValidation"/>).
/// </summary>
public static class ValidateCommands
{
    public static Command Create()
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "Scenario YAML file with an esp_in or a forward element (the device under test)" };
        var kernel = new Option<string>("--kernel") { Description = "host: this machine's kernel in namespaces; vm: the Debian kernel under qemu", DefaultValueFactory = _ => "vm" };
        var outDir = new Option<string?>("--out") { Description = "Validation folder (default results/<scenario name>-validate, -timing with --timing)" };
        var sets = new Option<string[]>("--set") { Description = "Override a parameter: key=value; repeatable" };
        var force = new Option<bool>("--force") { Description = "Replace --out even if it is not empty and not a lab validation folder (never a sweep folder)" };
        var timing = new Option<bool>("--timing") { Description = "Compare the model's CPU per packet, saturation and drop onset with the kernel's for the scenario's forward traffic" };
        var costs = new Option<string?>("--costs") { Description = "--timing: a cost profile (lab calibrate) used instead of the scenario's costs key" };
        var tolerance = new Option<string>("--tolerance") { Description = "--timing: largest error that passes", DefaultValueFactory = _ => "15%" };
        var points = new Option<int>("--points") { Description = "--timing: offered rates around the predicted saturation, after top speed (4: 0.5x, 0.8x, 1.0x, 1.2x)", DefaultValueFactory = _ => 4 };
        var packets = new Option<long>("--packets") { Description = "--timing: packets per measurement", DefaultValueFactory = _ => 1_000_000 };
        var accounting = new Option<string?>("--accounting") { Description = "--timing: proc-stat (busy time of all CPUs) or thread (the injecting thread's CPU time); default: as the profile was measured" };
        var repeat = new Option<int>("--repeat") { Description = "--timing: interleaved baseline/router passes per point (the median counts)", DefaultValueFactory = _ => 3 };
        var calibrate = new Option<bool>("--calibrate") { Description = "--timing: measure the calibration windows of the stages the scenario's model charges in the same passes as the points, and predict the points from those costs (with --costs, from both)" };
        var cmd = new Command("validate", "Simulate a scenario, replay the frames it sends into a real kernel configured the same way, and compare per packet and per counter; with --timing, compare CPU per packet and saturation")
        {
            scenario, kernel, outDir, sets, force, timing, costs, tolerance, points, packets, repeat, accounting, calibrate,
        };
        cmd.SetAction((pr, cancellation) => Task.FromResult(Act(pr, cancellation)));
        return cmd;

        int Act(ParseResult pr, CancellationToken cancellation)
        {
            var progress = Console.IsErrorRedirected ? null : Console.Error;
            if (!pr.GetValue(timing))
            {
                foreach (var (name, given) in new[] { ("--costs", pr.GetValue(costs) is not null), ("--accounting", pr.GetValue(accounting) is not null), ("--calibrate", pr.GetValue(calibrate)), ("--points", pr.GetResult(points) is { Implicit: false }),
                    ("--packets", pr.GetResult(packets) is { Implicit: false }), ("--repeat", pr.GetResult(repeat) is { Implicit: false }), ("--tolerance", pr.GetResult(tolerance) is { Implicit: false }) })
                    if (given) throw new LabInputException($"{name}: only with --timing");
                return ValidateRunner.Run(
                    new ValidateOptions(pr.GetValue(scenario)!, pr.GetValue(kernel)!, pr.GetValue(outDir), pr.GetValue(sets), pr.GetValue(force), Flags.Wording),
                    pr.InvocationConfiguration.Output, progress, cancellation);
            }
            int n = pr.GetValue(points);
            if (n is < 1 or > 20) throw new LabInputException($"--points: expected 1 to 20 offered rates, found {n}");
            long p = pr.GetValue(packets);
            if (p is < 1000 or > 100_000_000) throw new LabInputException($"--packets: expected 1000 to 100000000 packets per measurement, found {p}");
            int r = pr.GetValue(repeat);
            if (r is < 1 or > 100) throw new LabInputException($"--repeat: expected 1 to 100 passes, found {r}");
            return TimingValidation.Run(
                new TimingValidateOptions(pr.GetValue(scenario)!, pr.GetValue(kernel)!, pr.GetValue(costs), Tolerance(pr.GetValue(tolerance)!),
                    pr.GetValue(outDir), n, p, r, pr.GetValue(sets), pr.GetValue(accounting), pr.GetValue(calibrate), Flags.Wording),
                pr.InvocationConfiguration.Output, progress);
        }
    }

    /// <summary>"15%" or "15" as percent.</summary>
    public static double Tolerance(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().TrimEnd('%');
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v < 10_000) return v;
        throw new LabInputException($"--tolerance: expected a positive percentage such as 15%, found '{text}'");
    }
}
