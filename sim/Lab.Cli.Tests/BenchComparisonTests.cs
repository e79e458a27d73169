using Lab.Benchmarking;
using Lab.Core;

namespace Lab.Cli.Tests;

/// <summary>The comparison rule on ratios to the reference, with values worked out by hand.</summary>
public sealed class BenchComparisonTests
{
    // Student's t, 0.975 quantile, 9 degrees of freedom (standard table value).
    const double T9 = 2.2621571627982;

    static BenchMeasurement M(string bench, double median, double relSe, int n = 10, bool reference = false) =>
        new("s", bench, "", median, median, median * relSe, n, 0, "op", reference);

    static IReadOnlyList<RatedMeasurement> Run(double benchMedian, double relSe) =>
        BenchRatios.Rate([M("Ref", 1000, relSe, reference: true), M("B", benchMedian, relSe)]);

    [Fact]
    public void Ratio_is_median_over_reference_median_with_errors_in_quadrature()
    {
        var r = Run(200, 0.03).Single(x => x.M.Benchmark == "B");
        Assert.Equal(0.2, r.Ratio, 12);
        Assert.Equal(Math.Sqrt(2) * 0.03, r.RatioRelStdErr, 12);
        Assert.Equal(9, r.RatioDegreesOfFreedom);
    }

    [Fact]
    public void A_fifty_percent_slowdown_with_small_noise_is_slower()
    {
        // Ratio 0.2 -> 0.3: ln 1.5 = 0.405465. Four relative errors of 1%: se = 0.02, half-width = 2.262157 * 0.02 = 0.045243.
        // Low end 0.360222 > ln 1.1 = 0.095310: slower.
        var c = BenchComparer.Compare(Run(200, 0.01), Run(300, 0.01), 0.10);
        var d = c.Deltas.Single(x => x.Key == "s/B");
        Assert.Equal(BenchVerdict.Slower, d.Verdict);
        Assert.Equal(0.5, d.Change, 12);
        Assert.Equal(Math.Exp(T9 * 0.02) - 1, d.Noise, 9);
        Assert.True(c.Failed);
        Assert.Equal(BenchVerdict.Reference, c.Deltas.Single(x => x.Key == "s/Ref").Verdict);
    }

    [Fact]
    public void A_twelve_percent_change_inside_the_noise_is_not_flagged()
    {
        // ln 1.12 = 0.113329; se = sqrt(4 * 0.05^2) = 0.1; low end 0.113329 - 0.226216 < 0.095310.
        var c = BenchComparer.Compare(Run(200, 0.05), Run(224, 0.05), 0.10);
        Assert.Equal(BenchVerdict.Unchanged, c.Deltas.Single(x => x.Key == "s/B").Verdict);
        Assert.False(c.Failed);
        Assert.Equal(0.12, c.Scatter, 12);
    }

    [Fact]
    public void A_twelve_percent_change_without_noise_is_slower_at_ten_but_not_at_fifteen_percent()
    {
        Assert.True(BenchComparer.Compare(Run(200, 0), Run(224, 0), 0.10).Failed);
        Assert.False(BenchComparer.Compare(Run(200, 0), Run(224, 0), 0.15).Failed);
    }

    [Fact]
    public void A_halving_is_faster_and_never_a_failure()
    {
        var c = BenchComparer.Compare(Run(200, 0.01), Run(100, 0.01), 0.10);
        Assert.Equal(BenchVerdict.Faster, c.Deltas.Single(x => x.Key == "s/B").Verdict);
        Assert.False(c.Failed);
    }

    [Fact]
    public void New_and_missing_benchmarks_are_reported_and_other_suites_are_left_out()
    {
        var baseline = BenchRatios.Rate([M("Ref", 1000, 0.01, reference: true), M("Old", 100, 0.01),
            new BenchMeasurement("other", "X", "", 5, 5, 0, 10, 0, "op", true)]);
        var current = BenchRatios.Rate([M("Ref", 1000, 0.01, reference: true), M("New", 100, 0.01)]);
        var c = BenchComparer.Compare(baseline, current, 0.10);
        Assert.Equal(BenchVerdict.New, c.Deltas.Single(x => x.Key == "s/New").Verdict);
        Assert.Equal(BenchVerdict.Missing, c.Deltas.Single(x => x.Key == "s/Old").Verdict);
        Assert.DoesNotContain(c.Deltas, x => x.Key.StartsWith("other/", StringComparison.Ordinal));
        Assert.False(c.Failed);
    }

    [Fact]
    public void Threshold_is_a_percentage()
    {
        Assert.Equal(0.10, BenchComparer.ParseThreshold("10%"), 12);
        Assert.Equal(0.025, BenchComparer.ParseThreshold("2.5%"), 12);
        // The library names the parameter; the command line words it as --threshold (BenchCommandTests).
        var e = Assert.Throws<ParameterException>(() => BenchComparer.ParseThreshold("0.1"));
        Assert.Equal("threshold", Assert.Single(e.Problems).Parameter);
        Assert.DoesNotContain("--", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Median_and_its_robust_standard_error()
    {
        Assert.Equal(2.5, RobustStatistics.Median([4, 1, 3, 2]));
        // |x - 3| = 2, 1, 0, 1, 97 -> MAD 1; SE = sqrt(pi / 2) * 1.4826 * 1 / sqrt(5) = 0.830996
        Assert.Equal(1, RobustStatistics.MedianAbsoluteDeviation([1, 2, 3, 4, 100]));
        Assert.Equal(0.8309959977431568, RobustStatistics.StandardErrorOfMedian([1, 2, 3, 4, 100]), 12);
        Assert.Equal(0, RobustStatistics.StandardErrorOfMedian([7]));
    }

    [Fact]
    public void Baseline_json_round_trips_and_bad_json_names_the_position()
    {
        var run = new BenchRun("id", new DateTimeOffset(2026, 11, 26, 20, 0, 0, TimeSpan.Zero), "abc", "0.1.0", "h", "m",
            BenchMode.Quick, true, false, [M("Ref", 1000, 0.01, reference: true), new("s", "B", "P=1", 12.5, 13, 0.25, 15, null, "packet", false, 3, 4)]);
        var back = BaselineFile.Parse(BaselineFile.ToJson(run, "n"), "x.json");
        Assert.Equal(run.Measurements, back.Measurements);
        Assert.Equal(run.Date, back.Date);
        Assert.Equal(BenchMode.Quick, back.Mode);
        var e = Assert.Throws<LabInputException>(() => BaselineFile.Parse("{\n  \"format\": 1,\n  oops", "b.json"));
        Assert.StartsWith("b.json:3:", e.Message, StringComparison.Ordinal);
    }
}
