using Lab.Benchmarking;
using Lab.Core;

namespace Lab.Cli.Tests;

/// <summary>
/// The run-to-run noise model of `lab bench --compare` and the refusal across CPU models, with the
/// numbers worked out by hand (natural logs; K = 4).
/// </summary>
public sealed class BenchNoiseModelTests
{
    const string Xeon = "Intel(R) Xeon(R) Processor";
    const string Epyc = "AMD EPYC";

    static BenchMeasurement M(string bench, double median, bool reference = false, int runs = 1, double? noise = null) =>
        new("s", bench, "", median, median, 0, 10, 0, "op", reference) { Runs = runs, RunNoise = noise };

    static BenchRun RunOn(string? cpu, params BenchMeasurement[] ms) =>
        new("id", new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero), "abc", "0.1.0", "h", $"{cpu ?? "?"}, 2 logical cores", BenchMode.Quick, true, false, ms)
        { CpuModel = cpu };

    [Fact]
    public void The_bar_is_the_threshold_or_four_times_the_noise_of_the_difference_whichever_is_larger()
    {
        // No noise model: log(1.1) = 0.0953101798.
        Assert.Equal(0.09531017980432493, RunNoiseModel.Bar(0.10, null, 1, null, 1), 12);
        // Baseline sigma 0.05 over 5 runs, one current run (its noise taken as the baseline's):
        // s = sqrt(0.05^2/5 + 0.05^2/1) = sqrt(0.003) = 0.0547723; 4 s = 0.2190890 > 0.0953.
        Assert.Equal(0.21908902300206645, RunNoiseModel.Bar(0.10, 0.05, 5, null, 1), 12);
        // sigma 0.01: 4 sqrt(0.0001/5 + 0.0001) = 0.0438178 < 0.0953: the threshold rules.
        Assert.Equal(0.09531017980432493, RunNoiseModel.Bar(0.10, 0.01, 5, null, 1), 12);
        // Both sides measured over 5 runs, sigma 0.05 and 0.02: 4 sqrt(0.0025/5 + 0.0004/5) = 4 x 0.0240832 = 0.0963328.
        Assert.Equal(0.09633275663033837, RunNoiseModel.Bar(0.10, 0.05, 5, 0.02, 5), 12);
    }

    [Fact]
    public void A_change_within_four_noises_passes_and_one_beyond_fails()
    {
        var baseline = BenchRatios.Rate([M("Ref", 1000, reference: true, runs: 5), M("B", 1, runs: 5, noise: 0.05)]);
        BenchVerdict Verdict(double currentMedian) =>
            BenchComparer.Compare(baseline, BenchRatios.Rate([M("Ref", 1000, reference: true), M("B", currentMedian)]), 0.10)
                .Deltas.Single(d => d.Key == "s/B").Verdict;
        // Zero standard errors, so the 95% half-width is 0 and the change itself meets the bar of 0.2190890 (+24.49%).
        // +20%: log 1.2 = 0.1823216 < 0.2190890: passes, though past the 10% threshold.
        Assert.Equal(BenchVerdict.Unchanged, Verdict(1.2));
        // +40%: log 1.4 = 0.3364722 > 0.2190890: slower.
        Assert.Equal(BenchVerdict.Slower, Verdict(1.4));
        // Without a noise model, +20% fails on the threshold alone (the rule before noise models).
        var plain = BenchRatios.Rate([M("Ref", 1000, reference: true), M("B", 1)]);
        Assert.Equal(BenchVerdict.Slower, BenchComparer.Compare(plain, BenchRatios.Rate([M("Ref", 1000, reference: true), M("B", 1.2)]), 0.10)
            .Deltas.Single(d => d.Key == "s/B").Verdict);
        // The bar is reported as a change: exp(0.2190890) - 1 = 0.2449.
        var delta = BenchComparer.Compare(baseline, BenchRatios.Rate([M("Ref", 1000, reference: true), M("B", 1.2)]), 0.10).Deltas.Single(d => d.Key == "s/B");
        Assert.Equal(Math.Exp(0.21908902300206645) - 1, delta.Bar, 12);
    }

    [Fact]
    public void Noise_is_the_robust_spread_of_the_log_ratios_and_needs_three_runs()
    {
        // logs of 1.0, 1.1, 0.9, 1.05, 1.2: 0, 0.0953102, -0.1053605, 0.0487902, 0.1823216; median 0.0487902;
        // |deviations| 0.0487902, 0.0465200, 0.1541507, 0, 0.1335314 -> MAD 0.0487902; x 1.4826 = 0.0723363.
        Assert.Equal(0.07233629739759995, RunNoiseModel.Estimate([1.0, 1.1, 0.9, 1.05, 1.2])!.Value, 12);
        Assert.Null(RunNoiseModel.Estimate([1.0, 1.1]));
    }

    [Fact]
    public void Merged_runs_take_the_median_ratio_and_record_its_spread()
    {
        // Ratios per run 10/100, 30/200, 12/100 = 0.10, 0.15, 0.12; reference median(100, 200, 100) = 100;
        // the benchmark's median becomes 100 x 0.12 = 12, its noise 1.4826 x MAD(log 0.10, log 0.15, log 0.12)
        // = 1.4826 x min(|log 0.10 - log 0.12|, |log 0.15 - log 0.12|) = 1.4826 x 0.1823216 = 0.2703099.
        var merged = BenchRunMerge.Merge([
            [M("Ref", 100, reference: true), M("B", 10)],
            [M("Ref", 200, reference: true), M("B", 30)],
            [M("Ref", 100, reference: true), M("B", 12)],
        ]);
        var b = merged.Single(m => m.Benchmark == "B");
        Assert.Equal(12, b.MedianNs, 9);
        Assert.Equal(3, b.Runs);
        Assert.Equal(0.27030994010271686, b.RunNoise!.Value, 12);
        Assert.Equal(100, merged.Single(m => m.IsReference).MedianNs);
        Assert.Null(merged.Single(m => m.IsReference).RunNoise);
    }

    [Fact]
    public void Baseline_json_keeps_the_cpu_model_runs_and_noise_and_older_files_have_none()
    {
        var run = RunOn(Epyc, M("Ref", 1000, reference: true, runs: 5), M("B", 12, runs: 5, noise: 0.031)) with { Runs = 5 };
        var back = BaselineFile.Parse(BaselineFile.ToJson(run, "n"), "x.json");
        Assert.Equal(Epyc, back.CpuModel);
        Assert.Equal(5, back.Runs);
        Assert.Equal(run.Measurements, back.Measurements);
        // A file from before these fields (format 1 all the same).
        string old = """
            { "format": 1, "name": "o", "run_id": "r", "date": "2026-11-27T00:25:52Z", "commit": "e113f16", "lab_version": "0.1.0",
              "host": "vm", "machine": "Intel(R) Xeon(R) Processor, 2 logical cores", "mode": "quick", "optimized": true,
              "benchmarks": [ { "suite": "s", "benchmark": "B", "parameters": "", "median_ns": 1, "mean_ns": 1, "stderr_ns": 0, "n": 15,
                "allocated_bytes": 0, "op_unit": "op", "reference": false, "packets_per_op": null, "events_per_op": null } ] }
            """;
        var o = BaselineFile.Parse(old, "old.json");
        Assert.Null(o.CpuModel);
        Assert.Equal(1, o.Runs);
        Assert.Null(o.Measurements[0].RunNoise);
        Assert.Equal(1, o.Measurements[0].Runs);
    }

    [Fact]
    public void Another_cpu_model_is_refused_naming_both_unless_cross_machine()
    {
        var baseline = RunOn(Xeon, M("Ref", 1000, reference: true));
        var e = Assert.Throws<ParameterException>(() => BenchSession.MachineCheck(baseline, "quick-xeon-2core.json", Epyc, crossMachine: false));
        string shown = string.Join("\n", e.Render(Flags.NameOf));
        Assert.StartsWith("--compare: ", shown, StringComparison.Ordinal);
        Assert.Contains("\"Intel(R) Xeon(R) Processor\"", shown, StringComparison.Ordinal);
        Assert.Contains("\"AMD EPYC\"", shown, StringComparison.Ordinal);
        Assert.Contains("(--save NAME), or pass --cross-machine to compare anyway", shown, StringComparison.Ordinal);
        // The library's own text names parameters, not flags.
        Assert.DoesNotContain("--", e.Message, StringComparison.Ordinal);
        string? warning = BenchSession.MachineCheck(baseline, "quick-xeon-2core.json", Epyc, crossMachine: true);
        Assert.StartsWith("WARNING: CROSS-MACHINE COMPARISON", warning, StringComparison.Ordinal);
        Assert.Contains(Xeon, warning, StringComparison.Ordinal);
        Assert.Contains(Epyc, warning, StringComparison.Ordinal);
        // Same model: nothing to say.
        Assert.Null(BenchSession.MachineCheck(RunOn(Epyc), "b.json", Epyc, crossMachine: false));
        // A baseline without the field: compared, with a warning that says "unknown".
        string? unknown = BenchSession.MachineCheck(RunOn(null), "old.json", Epyc, crossMachine: false);
        Assert.StartsWith("WARNING:", unknown, StringComparison.Ordinal);
        Assert.Contains("(unknown;", unknown, StringComparison.Ordinal);
        Assert.Contains("\"AMD EPYC\"", unknown, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_model_is_the_first_model_name_line_of_cpuinfo()
    {
        Assert.Equal("AMD EPYC", CpuModel.Parse(["processor\t: 0", "vendor_id\t: AuthenticAMD", "model name\t: AMD EPYC", "model name\t: other"]));
        Assert.Null(CpuModel.Parse(["processor\t: 0", "Hardware\t: BCM2835"]));
    }
}
