using MathNet.Numerics.Distributions;

namespace Lab.Results;

/// <summary>
/// The one place the lab evaluates Student's t distribution: the two-sided 95% critical value
/// behind every confidence interval (replication summaries, report intervals, bench comparison
/// and trend bands) and the two-sided p-value of the reports' Welch test.
/// </summary>
public static class StudentT95
{
    /// <summary>t(0.975; df): the half-width of a two-sided 95% interval in standard errors.</summary>
    public static double Critical(double degreesOfFreedom) => StudentT.InvCDF(0, 1, degreesOfFreedom, 0.975);

    /// <summary>Half-width of the 95% interval of the mean of <paramref name="n"/> values with sample standard deviation <paramref name="stdDev"/>; 0 for n &lt; 2.</summary>
    public static double HalfWidth(double stdDev, int n) => n < 2 ? 0 : Critical(n - 1) * stdDev / Math.Sqrt(n);

    /// <summary>Two-sided p-value of a t statistic: 2 (1 - F_t(|t|; df)).</summary>
    public static double TwoSidedP(double t, double degreesOfFreedom) => 2 * (1 - StudentT.CDF(0, 1, degreesOfFreedom, Math.Abs(t)));
}
