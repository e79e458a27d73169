using Lab.Results;

namespace Lab.Results.Tests;

/// <summary>The lab's one Student-t against printed tables.</summary>
public class StudentT95Tests
{
    [Theory]
    // Two-sided 95% critical values, any t table (e.g. Fisher & Yates, table III): df 1 12.706,
    // df 5 2.571, df 9 2.262, df 30 2.042.
    [InlineData(1, 12.706)]
    [InlineData(5, 2.571)]
    [InlineData(9, 2.262)]
    [InlineData(30, 2.042)]
    public void Critical_value_matches_the_table(int df, double expected) =>
        Assert.Equal(expected, StudentT95.Critical(df), 3);

    [Fact]
    public void Two_sided_p_at_the_critical_value_is_five_percent()
    {
        // By definition of the critical value: P(|T| > t(0.975; df)) = 0.05.
        Assert.Equal(0.05, StudentT95.TwoSidedP(StudentT95.Critical(9), 9), 12);
        Assert.Equal(0.05, StudentT95.TwoSidedP(-StudentT95.Critical(4), 4), 12);
        Assert.Equal(1.0, StudentT95.TwoSidedP(0, 7), 12);
    }

    [Fact]
    public void Half_width_of_the_mean()
    {
        // Student's sleep data (see SweepStatisticsTests): s = 1.2299955, n = 10 -> 0.8798858.
        Assert.Equal(0.8798858, StudentT95.HalfWidth(1.2299955, 10), 1e-6);
        Assert.Equal(0, StudentT95.HalfWidth(3.0, 1));
    }
}
