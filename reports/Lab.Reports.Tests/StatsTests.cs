using Lab.Results;
using Lab.Reports.Content;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Stats;

namespace Lab.Reports.Tests;

public class StatsTests
{
    [Fact]
    public void Welch_t_test_on_the_compare_fixture()
    {
        // before 790000, 790400, 789600, 790000: mean 790000, s^2 = (0 + 400^2 + 400^2 + 0)/3 = 106666.67
        // after  799200, 799300, 799100, 799200: mean 799200, s^2 = (0 + 100^2 + 100^2 + 0)/3 = 6666.67
        // se^2 = 106666.67/4 + 6666.67/4 = 28333.33; t = 9200 / 168.3251 = 54.6561
        // df = 28333.33^2 / ((26666.67^2 + 1666.67^2) / 3) = 3.37354
        var w = Welch.Test([790000, 790400, 789600, 790000], [799200, 799300, 799100, 799200]);
        Assert.Equal(54.6561, w.T, 4);
        Assert.Equal(3.37354, w.DegreesOfFreedom, 5);
        Assert.True(w.P < 1e-4, $"p = {w.P}");
        Assert.True(w.Significant());
    }

    [Fact]
    public void Welch_p_value_matches_the_t_distribution()
    {
        // Equal variances 1 and n = 2 per side, means 0 and 1: se^2 = 1/2 + 1/2 = 1, t = 1,
        // df = 1 / ((0.25 + 0.25) / 1) = 2; for t(2), P(|T| > 1) = 1 - 1/sqrt(1 + 2/1^2)... = 1 - 1/sqrt(3) = 0.42265.
        var w = Welch.Test([-0.7071067811865476, 0.7071067811865476], [0.2928932188134524, 1.7071067811865476]);
        Assert.Equal(1, w.T, 12);
        Assert.Equal(2, w.DegreesOfFreedom, 12);
        Assert.Equal(1 - 1 / Math.Sqrt(3), w.P, 9);
        Assert.False(w.Significant());
    }

    [Fact]
    public void Identical_deterministic_replications_are_not_a_change_and_one_replication_is_not_a_test()
    {
        Assert.Equal(1, Welch.Test([5, 5, 5], [5, 5]).P);
        Assert.Equal(0, Welch.Test([5, 5, 5], [6, 6]).P);
        Assert.False(Welch.Test([5], [6, 7]).Available);
    }

    [Fact]
    public void Ci95_half_width_uses_student_t()
    {
        // n = 3, s = 100: t(0.975; 2) = 4.302652730, half-width = 4.302652730 * 100 / sqrt(3) = 248.4138.
        Assert.Equal(248.4138, Welch.Ci95HalfWidth([799200, 799300, 799100]), 4);
        Assert.Equal(0, Welch.Ci95HalfWidth([1]));
    }

    [Theory]
    [InlineData("pps", 14.88e6, "Mpps", 1e6)]
    [InlineData("pps", 799200, "kpps", 1e3)]
    [InlineData("bit/s", 9.718e9, "Gbit/s", 1e9)]
    [InlineData("us", 0.5, "ns", 1e-3)]
    [InlineData("us", 42, "µs", 1)]
    [InlineData("us", 2500, "ms", 1e3)]
    [InlineData("s", 0.02, "ms", 1e-3)]
    [InlineData("mJ", 12786.979, "J", 1e3)]
    [InlineData("mW", 648.3, "mW", 1)]
    [InlineData("W", 0.65, "mW", 1e-3)]
    [InlineData("ratio", 0.001, "%", 0.01)]
    [InlineData("packets", 8000, "packets", 1)]
    [InlineData("events", 2400123, "M events", 1e6)]
    public void Human_units(string unit, double max, string label, double divisor)
    {
        var h = HumanUnit.For(unit, max);
        Assert.Equal(label, h.Label);
        Assert.Equal(divisor, h.Divisor, 12);
    }

    [Theory]
    [InlineData(new[] { 799200.0, 799300.0, 799100.0 }, "799.20 ± 0.25")] // half-width 248.41 pps = 0.25 kpps
    [InlineData(new[] { 600.0, 530.0, 690.0 }, "610 ± 200")] // s = 80.21, half = 199.3 -> 200; mean 606.7 -> 610
    [InlineData(new[] { 42.0, 42.0, 42.0 }, "42")] // no spread: no interval
    [InlineData(new[] { 7.0 }, "7")] // one replication
    public void Mean_and_interval_are_rounded_to_the_interval(double[] values, string expected)
    {
        var (mean, variance) = Welch.MeanVariance(values);
        double half = Welch.Ci95HalfWidth(values);
        var m = new MetricSummary("x", new Summary(mean, Math.Sqrt(variance), mean - half, mean + half, values.Length), values);
        var unit = values[0] > 1e5 ? new HumanUnit("kpps", 1e3) : new HumanUnit("", 1);
        Assert.Equal(expected, Display.MeanCi(m, unit));
    }

    [Fact]
    public void Sweep_values_with_units_become_a_numeric_axis()
    {
        var rate = ParameterAxis.For("traffic.bulk.rate", ["2Gbit/s", "500Mbit/s", "10Gbit/s"]);
        Assert.True(rate.Numeric);
        Assert.Equal("traffic.bulk.rate (Gbit/s)", rate.Label);
        Assert.Equal([2, 0.5, 10], rate.Positions);
        var time = ParameterAxis.For("keepalive.interval", ["10s", "20s", "120s"]);
        Assert.Equal("keepalive.interval (s)", time.Label);
        Assert.Equal([10, 20, 120], time.Positions);
        var mixed = ParameterAxis.For("model", ["legacy", "bmp", "esn"]);
        Assert.False(mixed.Numeric);
        Assert.Equal([0, 1, 2], mixed.Positions);
    }
}
