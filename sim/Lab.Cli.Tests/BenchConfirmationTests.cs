using Lab.Benchmarking;

namespace Lab.Cli.Tests;

/// <summary>
/// `lab bench --compare --confirm N`: a benchmark flagged by one run stays slower only when the
/// median of that run and N more is still beyond its bar. Numbers worked out by hand (natural logs).
/// </summary>
public sealed class BenchConfirmationTests
{
    static BenchMeasurement M(string bench, double median, bool reference = false, int runs = 1, double? noise = null) =>
        new("s", bench, "", median, median, 0, 10, 0, "op", reference) { Runs = runs, RunNoise = noise };

    // Baseline: B at ratio 1 with run noise 0.05 over 5 runs: bar max(log 1.1, 4 sqrt(0.05^2/5 + 0.05^2/1)) = 0.2190890 (+24.5%).
    static readonly IReadOnlyList<RatedMeasurement> Baseline = BenchRatios.Rate([M("Ref", 1000, reference: true, runs: 5), M("T.B", 1, runs: 5, noise: 0.05), M("T.C", 2, runs: 5, noise: 0.05)]);

    static IReadOnlyList<BenchMeasurement> Run(double b, double? c = 2) =>
        c is { } cv ? [M("Ref", 1000, reference: true), M("T.B", b), M("T.C", cv)] : [M("Ref", 1000, reference: true), M("T.B", b)];

    [Fact]
    public void A_slow_process_that_does_not_repeat_is_not_a_slowdown()
    {
        // First run: B at 1.4, log 1.4 = 0.3364722 > 0.2190890: flagged. C unchanged.
        var firstRun = Run(1.4);
        var first = BenchComparer.Compare(Baseline, BenchRatios.Rate(firstRun), 0.10);
        Assert.Equal(BenchVerdict.Slower, first.Deltas.Single(d => d.Key == "s/T.B").Verdict);
        var (filter, suites) = BenchConfirmation.Selection(first);
        Assert.Equal("T.B", filter);
        Assert.Equal(["s"], suites);

        // Four confirmation runs of B alone: 1.0, 1.02, 0.98, 1.4. Median of the five ratios
        // (1.4, 1.0, 1.02, 0.98, 1.4) is 1.02; log 1.02 = 0.0198 is below log 1.1, whatever the noise.
        var merged = BenchRunMerge.Merge([firstRun, Run(1.0, null), Run(1.02, null), Run(0.98, null), Run(1.4, null)]);
        var second = BenchComparer.Compare(Baseline, BenchRatios.Rate(merged), 0.10);
        var combined = BenchConfirmation.Combine(first, second);
        var b = combined.Deltas.Single(d => d.Key == "s/T.B");
        Assert.Equal(BenchVerdict.Unchanged, b.Verdict);
        Assert.Equal(0.02, b.Change, 9);
        Assert.False(combined.Failed);
        Assert.Equal(BenchVerdict.Unchanged, combined.Deltas.Single(d => d.Key == "s/T.C").Verdict);
        string text = BenchConfirmation.Format(first, second, 5);
        Assert.Matches(@"\ns/T\.B +\+40\.0% +\+2\.0% +\+\d+\.\d% +ok \(within run noise\)\n", text);
        Assert.EndsWith("result: no slowdown stands; no benchmark got slower\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slowdown_in_every_run_stands()
    {
        var firstRun = Run(1.4);
        var first = BenchComparer.Compare(Baseline, BenchRatios.Rate(firstRun), 0.10);
        // Five runs at 1.4: median 1.4, run noise 0. Bar max(log 1.1 = 0.0953, 4 sqrt(0.05^2/5 + 0)) = 0.0953:
        // the change 0.3365 is beyond it.
        var merged = BenchRunMerge.Merge([firstRun, Run(1.4, null), Run(1.4, null), Run(1.4, null), Run(1.4, null)]);
        var second = BenchComparer.Compare(Baseline, BenchRatios.Rate(merged), 0.10);
        var b = BenchConfirmation.Combine(first, second).Deltas.Single(d => d.Key == "s/T.B");
        Assert.Equal(BenchVerdict.Slower, b.Verdict);
        Assert.Equal(0.4, b.Change, 9);
        Assert.Equal(0.1, b.Bar, 9);
        Assert.Contains("SLOWER (confirmed)", BenchConfirmation.Format(first, second, 5), StringComparison.Ordinal);
    }

    [Fact]
    public void A_benchmark_not_flagged_at_first_is_not_flagged_by_the_confirmation()
    {
        // C is unchanged in the first run; whatever the merge says about it, its first verdict stands.
        var first = BenchComparer.Compare(Baseline, BenchRatios.Rate(Run(1.4)), 0.10);
        var second = BenchComparer.Compare(Baseline, BenchRatios.Rate(Run(1.4, 4)), 0.10);
        Assert.Equal(BenchVerdict.Slower, second.Deltas.Single(d => d.Key == "s/T.C").Verdict);
        Assert.Equal(BenchVerdict.Unchanged, BenchConfirmation.Combine(first, second).Deltas.Single(d => d.Key == "s/T.C").Verdict);
    }
}

public sealed class MachineLoadTests
{
    [Fact]
    public void A_load_beyond_the_cores_and_the_benchmark_itself_is_named_with_both()
    {
        // 2 cores + 1 (the benchmark process) = 3: 3.0 is not beyond it, 3.1 is.
        Assert.Null(MachineLoad.Warning(3.0, 2));
        Assert.Null(MachineLoad.Warning(null, 2));
        Assert.StartsWith("WARNING: load average 33.6 on 2 cores while measuring", MachineLoad.Warning(33.6, 2), StringComparison.Ordinal);
        Assert.NotNull(MachineLoad.Warning(3.1, 2));
    }
}
