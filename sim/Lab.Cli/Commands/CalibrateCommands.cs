using System.CommandLine;
using System.Globalization;
using Lab.Calibration;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Results;
using Lab.Scenarios.Profiles;

namespace Lab.Cli.Commands;

/// <summary><c>lab calibrate</c>: measure the kernel's per-packet costs into a cost profile (the work is in Lab.Calibration).</summary>
public static class CalibrateCommands
{
    public static Command Create()
    {
        var kernel = new Option<string>("--kernel") { Description = "host: this machine's kernel in namespaces; vm: the Debian kernel under qemu (emulated: not a speed)", DefaultValueFactory = _ => "host" };
        var outPath = new Option<string?>("--out") { Description = "Profile file to write (default results/calibration-KERNEL-DATE.yaml); an existing file is replaced only if it is a cost profile" };
        var packets = new Option<long?>("--packets") { Description = "Packets per window (default 1000000 on the host, 20000 in the emulated vm; new-flow windows stop at 200,000)" };
        var repeat = new Option<int>("--repeat") { Description = "Passes of every window; every stage gets a 95% Student-t interval over its passes", DefaultValueFactory = _ => new CalibrationOptions().Repeat };
        var budget = new Option<string?>("--budget") { Description = $"After the --repeat passes, extra passes of only the stages whose interval is still wider than --target, while the next fits in this time since measuring began; the --repeat passes stop early too (after two) where the next would not fit (default {CalibrationOptions.DefaultBudgetSeconds}s on the host, 0 in the vm; 0: no extra passes and no limit)" };
        var target = new Option<string>("--target") { Description = "The 95% half-width, as a percentage of a stage's value, that the extra passes aim for", DefaultValueFactory = _ => "20%" };
        var only = new Option<string?>("--only") { Description = "Stages to measure, comma-separated (baseline,forward,conntrack_lookup,...)" };
        var compare = new Option<string?>("--compare") { Description = "An earlier profile: print each stage's change with its 95% noise; exit 1 on a change beyond --threshold outside the noise" };
        var from = new Option<string?>("--from") { Description = "With --compare: compare this saved profile instead of measuring" };
        var threshold = new Option<string>("--threshold") { Description = "Smallest change that counts as one for --compare", DefaultValueFactory = _ => "10%" };
        var machine = new Option<string?>("--machine") { Description = "Machine label for the profile (default: CPU family, CPUs, kernel and host name)" };
        var frame = new Option<string>("--frame") { Description = "Frame size with FCS", DefaultValueFactory = _ => "64B" };
        var accounting = new Option<string>("--accounting") { Description = "proc-stat: busy time of all CPUs (/proc/stat; needs a quiet machine); thread: the injecting thread's CPU time, which holds the forwarding softirqs (host only; robust on a busy machine)", DefaultValueFactory = _ => "proc-stat" };
        var noStore = new Option<bool>("--no-store") { Description = "Do not record the calibration in the results store" };
        var blocks = new Option<int>("--blocks") { Description = "Blocks per pass: each window is split into this many blocks and the configurations alternate block by block (ABBA); a stage's value per pass is the median of its paired block differences", DefaultValueFactory = _ => new CalibrationOptions().Blocks };
        var flows = new Option<int>("--flows") { Description = "Established flows the traffic cycles through", DefaultValueFactory = _ => 1000 };
        var decompose = new Option<bool>("--decompose") { Description = "Instead of a profile: measure interleaved plain forwarding, conntrack, masquerade, 30/100/300/1000 rules and 300 rules with conntrack (and masquerade), and print which increments are not additive (--packets default 200000, --repeat default 6, --blocks default 2)" };
        var cmd = new Command("calibrate", "Measure the kernel's CPU cost per packet of each stage the models charge for, and write a cost profile")
        {
            kernel, outPath, packets, repeat, budget, target, blocks, only, compare, from, threshold, machine, frame, flows, accounting, noStore, decompose,
        };
        cmd.SetAction(pr =>
        {
            var stdout = pr.InvocationConfiguration.Output;
            if (pr.GetValue(decompose))
                return Decompose(pr, stdout, pr.GetValue(kernel)!, pr.GetResult(packets) is { Implicit: false } ? pr.GetValue(packets) : null,
                    pr.GetResult(repeat) is { Implicit: false } ? pr.GetValue(repeat) : null, pr.GetResult(blocks) is { Implicit: false } ? pr.GetValue(blocks) : null,
                    FrameBytes(pr.GetValue(frame)!), pr.GetValue(flows), pr.GetValue(accounting)!);
            var options = new CalibrationOptions
            {
                Packets = pr.GetValue(packets) ?? (pr.GetValue(kernel) == "vm" ? 20_000 : 1_000_000),
                Repeat = pr.GetValue(repeat),
                Blocks = pr.GetValue(blocks),
                Only = pr.GetValue(only) is string o ? [.. o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : null,
                FrameBytes = FrameBytes(pr.GetValue(frame)!),
                Flows = pr.GetValue(flows),
                Accounting = pr.GetValue(accounting)!,
                Budget = Budget(pr.GetValue(budget), pr.GetValue(kernel)!),
                TargetPercent = Percent(pr.GetValue(target)!, "--target"),
            };
            var req = new CalibrateRequest(pr.GetValue(kernel)!, pr.GetValue(outPath), options, pr.GetValue(compare), Percent(pr.GetValue(threshold)!, "--threshold"),
                pr.GetValue(machine), LabInfo.Commit, pr.GetValue(noStore) ? null : ResultsStore.DefaultPath(), pr.GetValue(from));
            Action<string>? progress = Console.IsErrorRedirected ? null : line => Console.Error.WriteLine(line);
            var outcome = CalibrationSession.Run(req, KernelCostMeters.For, progress);
            Print(outcome, req, stdout);
            return outcome.Regressed ? LabCommand.CheckFailed : LabCommand.Ok;
        });
        return cmd;
    }

    static int Decompose(ParseResult pr, TextWriter w, string kernel, long? packets, int? repeat, int? blocks, int frame, int flows, string accounting)
    {
        foreach (var (name, given) in new[] { ("--out", pr.GetValue<string?>("--out") is not null), ("--only", pr.GetValue<string?>("--only") is not null), ("--compare", pr.GetValue<string?>("--compare") is not null), ("--from", pr.GetValue<string?>("--from") is not null), ("--budget", pr.GetValue<string?>("--budget") is not null) })
            if (given) throw new LabInputException($"{name}: not with --decompose (it writes no profile)");
        if (kernel != "host") throw new LabInputException($"--kernel: --decompose measures the host kernel (an emulated kernel's timings are not speeds); found '{kernel}'");
        if (accounting is not ("proc-stat" or "thread")) throw new LabInputException($"--accounting: expected proc-stat or thread, found '{accounting}'");
        var d = new DecompositionOptions();
        var options = d with { Packets = packets ?? d.Packets, Repeat = repeat ?? d.Repeat, Blocks = blocks ?? d.Blocks, FrameBytes = frame, Flows = flows, Accounting = accounting };
        if (options.Packets < 1000) throw new LabInputException($"--packets: expected at least 1000, found {options.Packets}");
        if (options.Repeat is < 2 or > 1000) throw new LabInputException($"--repeat: expected 2 to 1000 passes (an interval needs two), found {options.Repeat}");
        if (options.Blocks is < 1 or > 64) throw new LabInputException($"--blocks: expected 1 to 64 blocks per pass, found {options.Blocks}");
        Action<string>? progress = Console.IsErrorRedirected ? null : line => Console.Error.WriteLine(line);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var meter = KernelCostMeters.For(kernel);
        var rows = Decomposition.Run(meter, options, progress);
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decomposition on {meter.Where} kernel {meter.KernelRelease} in {clock.Elapsed:mm\\:ss}: {options.Packets:N0} packets x {options.Repeat} passes, {options.Blocks} blocks, {options.FrameBytes} B, CPU counted {(accounting == "thread" ? "by the injecting thread" : "on every CPU from /proc/stat")}; mean over the passes [95% interval]"));
        foreach (var r in rows)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-36} {r.Value.Mean,9:F2} {r.Unit,-9} [{r.Value.Ci95Low:F2}, {r.Value.Ci95High:F2}]   {r.Description}"));
        return LabCommand.Ok;
    }

    static void Print(CalibrateOutcome o, CalibrateRequest req, TextWriter w)
    {
        var p = o.Profile;
        if (req.FromPath is null)
        {
            w.WriteLine($"calibrated {p.Kernel.Where} kernel {p.Kernel.Release} ({p.Cpu.Model}, {p.Cpu.Cpus} CPUs) in {o.Elapsed:mm\\:ss}: {p.Method.Packets:N0} packets x {p.Method.Repeat} passes" +
                (p.Method.Repeat < req.Options.Repeat ? $" ({req.Options.Repeat} asked for; the budget allowed {p.Method.Repeat})" : "") +
                (o.ExtraPasses > 0 ? $", then {o.ExtraPasses} extra passes of the stages wider than {Num(req.Options.TargetPercent)}%" : ""));
            if (p.Kernel.Emulated) w.WriteLine($"every value is {CostProfile.EmulatedLabel}");
            foreach (var s in p.Stages)
            {
                w.WriteLine(s.IsMeasured
                    ? string.Create(CultureInfo.InvariantCulture, $"  {s.Name,-22} {s.Ns,9:F2} ns   95% [{s.Ci95Low:F2}, {s.Ci95High:F2}]  +-{Rel(s.HalfWidth, s.Ns)}{(s.SoftirqNs is double soft ? $"   softirq {soft:F1} ns" : "")}   n {s.N}{BarText(o, s.Name, req.Options.TargetPercent)}")
                    : $"  {s.Name,-22} not measured: {s.NotMeasured}");
            }
            if (o.Bars.Count > 0)
            {
                var met = o.Bars.Where(b => b.Value.Verdict == BarVerdict.Met).Select(b => b.Key).ToList();
                var wide = o.Bars.Where(b => b.Value.Verdict == BarVerdict.Wider).Select(b => b.Key).ToList();
                var zero = o.Bars.Where(b => b.Value.Verdict == BarVerdict.ConsistentWithZero).Select(b => b.Key).ToList();
                w.WriteLine($"bar {Num(req.Options.TargetPercent)}%: {met.Count} of {o.Bars.Count} measured stages within it" +
                    (wide.Count > 0 ? $"; wider: {string.Join(", ", wide)}" : "") +
                    (zero.Count > 0 ? $"; consistent with 0 (no relative bar applies): {string.Join(", ", zero)}" : ""));
            }
            w.WriteLine($"profile: {o.OutPath}" + (o.CalibrationId is null ? "" : $"  (results store: {o.CalibrationId})"));
        }
        if (o.Changes is null) return;
        w.WriteLine($"compared with {req.ComparePath} (threshold {req.ThresholdPercent.ToString(CultureInfo.InvariantCulture)}%):");
        foreach (var c in o.Changes)
        {
            if (c.Note is not null)
            {
                w.WriteLine($"  {c.Stage,-22} {c.Note}");
                continue;
            }
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {c.Stage,-22} {c.Old!.Ns,9:F2} -> {c.New!.Ns,9:F2} ns  change {c.ChangePercent,7:+0.0;-0.0}%  noise +-{c.NoisePercent:F1}%  {(c.Changed ? "CHANGED" : "same")}"));
        }
        int changed = o.Changes.Count(c => c.Changed);
        w.WriteLine(changed == 0 ? "no stage changed beyond the threshold and the noise" : $"{changed} stage(s) changed beyond the threshold and the noise");
    }

    static string BarText(CalibrateOutcome o, string stage, double target) => o.Bars.TryGetValue(stage, out var b)
        ? b.Verdict switch
        {
            BarVerdict.Met => $"   within {Num(target)}%",
            BarVerdict.Wider => $"   WIDER than {Num(target)}%",
            _ => "   consistent with 0",
        }
        : "";

    static string Num(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    static string Rel(double half, double value) =>
        value != 0 ? (100 * half / Math.Abs(value)).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";

    static double Percent(string text, string flag)
    {
        string t = text.Trim().TrimEnd('%');
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0 || !double.IsFinite(v) || (flag == "--target" && v == 0))
            throw new LabInputException($"{flag}: expected a percentage such as {(flag == "--target" ? "20%" : "10%")}, found '{text}'");
        return v;
    }

    static TimeSpan? Budget(string? text, string kernel)
    {
        if (text is null) return CalibrationOptions.DefaultBudget(kernel);
        if (text.Trim() == "0") return null;
        // 4m is four minutes here, as a wall-time budget is written (SimTime spells it 4min).
        string t = text.Length > 1 && text[^1] == 'm' && char.IsDigit(text[^2]) ? text + "in" : text;
        if (!SimTime.TryParse(t, out long ps, out _) || ps <= 0 || ps > 24 * 3600 * SimTime.Second)
            throw new LabInputException($"--budget: expected a duration such as 270s or 4m (up to a day), or 0 for no extra passes, found '{text}'");
        return TimeSpan.FromSeconds(SimTime.ToSeconds(ps));
    }

    static int FrameBytes(string text)
    {
        if (!Units.TryParseBytes(text, out long b, out string error)) throw new LabInputException($"--frame: {error}");
        if (b is < 64 or > 1518) throw new LabInputException($"--frame: expected 64B to 1518B (with FCS), found '{text}'");
        return (int)b;
    }
}
