using Lab.Experiments.Sweeps;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Tests;

/// <summary>The confidence intervals and the sequential-stopping rule against worked textbook values.</summary>
public class SweepStatisticsTests
{
    // Student (1908), "The probable error of a mean", Biometrika 6(1):1-25, table II: the
    // additional hours of sleep of ten patients, hyoscyamine (L) minus hyoscyamine (D), from
    // Cushny & Peebles (1905); R's datasets::sleep holds the same data. Worked by hand:
    // sum 15.8, mean 1.58; sum of squares 38.58, SS = 38.58 - 10 * 1.58^2 = 13.616,
    // s^2 = 13.616 / 9 = 1.512889, s = 1.2299955; s / sqrt(10) = 0.3889587;
    // t(0.975, 9) = 2.262 (any t table); half-width 2.2621572 * 0.3889587 = 0.8798858.
    // R: t.test(extra ~ group, data = sleep, paired = TRUE) prints the 95% CI
    // -2.4598858 -0.7001142 for the opposite difference.
    static readonly double[] Sleep = [1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4];

    [Fact]
    public void Student_t_quantile_matches_the_table()
    {
        Assert.Equal(2.262, StudentT95.Critical(9), 3);
        Assert.Equal(12.706, StudentT95.Critical(1), 3);
        Assert.Equal(2.571, StudentT95.Critical(5), 3);
    }

    [Fact]
    public void Confidence_interval_of_Students_sleep_data()
    {
        var s = Summary.Of(Sleep);
        Assert.Equal(10, s.N);
        Assert.Equal(1.58, s.Mean, 12);
        Assert.Equal(1.2299955, s.StdDev, 1e-7);
        Assert.Equal(0.7001142, s.Ci95Low, 1e-7);
        Assert.Equal(2.4598858, s.Ci95High, 1e-7);
        Assert.Equal(0.8798858, s.HalfWidth, 1e-7);
    }

    [Fact]
    public void Precision_rule_compares_the_half_width_with_the_share_of_the_mean()
    {
        // 0.8798858 / 1.58 = 0.556889: precise at 56%, not at 55%.
        Assert.Equal(0.556889, Precision.Relative(Summary.Of(Sleep)), 1e-6);
        Assert.True(Precision.IsPrecise(Sleep, 0.56));
        Assert.False(Precision.IsPrecise(Sleep, 0.55));
        // Identical values: no spread, precise whatever the mean (even 0).
        Assert.True(Precision.IsPrecise([0.0, 0.0, 0.0], 0.01));
        Assert.True(Precision.IsPrecise([5.0, 5.0], 0.01));
        // One value has no interval; a zero mean with spread is never precise.
        Assert.False(Precision.IsPrecise([5.0], 0.5));
        Assert.False(Precision.IsPrecise([-1.0, 1.0], 0.99));
    }

    [Fact]
    public void Next_adds_a_batch_until_precise_or_capped()
    {
        var rule = new Precision(0.56, ["m"], BatchSize: 2, MaxReplications: 6);
        IReadOnlyList<double>? SleepPrefix(string metric, int n) => metric == "m" ? Sleep[..n] : null;
        // n = 10 (precise at 56%) would stop, but the cap is 6: at the cap it stops anyway.
        Assert.Equal(6, rule.Next(6, m => SleepPrefix(m, 6), 0));
        // The first four values (1.2, 2.4, 1.3, 1.3): mean 1.55, s = 0.5686241, half-width
        // 3.1824463 * 0.5686241 / 2 = 0.9048078, relative 0.5837470 > 0.56: one more batch.
        Assert.Equal(0.5837470, Precision.Relative(Summary.Of(Sleep[..4])), 1e-7);
        Assert.Equal(6, rule.Next(4, m => SleepPrefix(m, 4), 0));
        var loose = rule with { RelativeHalfWidth = 0.6 };
        Assert.Equal(4, loose.Next(4, m => SleepPrefix(m, 4), 0));
        var ex = Assert.Throws<ParameterException>(() => (rule with { Metrics = ["m", "nope"] }).Next(4, m => SleepPrefix(m, 4), 3));
        // The library names the parameter and the value; a front end that spells parameters as flags prints "--metric nope: ...".
        Assert.StartsWith("--metric nope: point 3 has no such metric", Assert.Single(ex.Render(n => "--" + n)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2%", 0.02)]
    [InlineData("0.02", 0.02)]
    [InlineData(" 0.5 % ", 0.005)]
    [InlineData("50%", 0.5)]
    public void Precision_parses_shares(string text, double expected) => Assert.Equal(expected, Precision.ParseShare(text), 15);

    [Theory]
    [InlineData("0%")]
    [InlineData("100%")]
    [InlineData("1")]
    [InlineData("-2%")]
    [InlineData("two percent")]
    [InlineData("NaN")]
    public void Precision_refuses_what_is_not_a_share(string text)
    {
        // The library names the parameter; the command line words it as its flag (SweepCommandTests: --precision).
        var ex = Assert.Throws<ParameterException>(() => Precision.ParseShare(text));
        var p = Assert.Single(ex.Problems);
        Assert.Equal("precision", p.Parameter);
        Assert.StartsWith("precision: expected a relative half-width between 0 and 1", p.Render(n => n), StringComparison.Ordinal);
        Assert.DoesNotContain("--", ex.Message, StringComparison.Ordinal);
    }
}
