using Lab.Results;

namespace Lab.Reports.Stats;

/// <summary>The outcome of a two-sided Welch t-test; <see cref="P"/> is NaN when it cannot be computed.</summary>
public readonly record struct WelchResult(double T, double DegreesOfFreedom, double P)
{
    public bool Available => !double.IsNaN(P);

    public bool Significant(double alpha = 0.05) => Available && P < alpha;
}

/// <summary>
/// Welch's unequal-variances t-test (Welch 1947): t = (mean_b - mean_a) / sqrt(s_a^2/n_a + s_b^2/n_b)
/// with Welch-Satterthwaite degrees of freedom, p = 2 (1 - F_t(|t|; df)).
/// </summary>
public static class Welch
{
    public static WelchResult Test(IReadOnlyList<double> before, IReadOnlyList<double> after)
    {
        int na = before.Count, nb = after.Count;
        if (na < 2 || nb < 2) return new WelchResult(double.NaN, double.NaN, double.NaN);
        var (ma, va) = MeanVariance(before);
        var (mb, vb) = MeanVariance(after);
        double sa = va / na, sb = vb / nb;
        double se2 = sa + sb;
        if (se2 == 0)
        {
            // Both samples constant (a deterministic model gives identical replications): the
            // difference is either exactly zero or certain.
            return ma == mb ? new WelchResult(0, double.PositiveInfinity, 1) : new WelchResult(double.PositiveInfinity * Math.Sign(mb - ma), double.PositiveInfinity, 0);
        }
        double t = (mb - ma) / Math.Sqrt(se2);
        double df = se2 * se2 / (sa * sa / (na - 1) + sb * sb / (nb - 1));
        double p = StudentT95.TwoSidedP(t, df);
        return new WelchResult(t, df, Math.Clamp(p, 0, 1));
    }

    /// <summary>Mean and unbiased sample variance.</summary>
    public static (double Mean, double Variance) MeanVariance(IReadOnlyList<double> xs)
    {
        double mean = 0;
        for (int i = 0; i < xs.Count; i++) mean += xs[i];
        mean /= xs.Count;
        double ss = 0;
        for (int i = 0; i < xs.Count; i++) ss += (xs[i] - mean) * (xs[i] - mean);
        return (mean, xs.Count > 1 ? ss / (xs.Count - 1) : 0);
    }

    /// <summary>Half-width of the 95% confidence interval of the mean (Student t, n - 1 degrees of freedom); 0 for n &lt; 2.</summary>
    public static double Ci95HalfWidth(IReadOnlyList<double> xs)
    {
        if (xs.Count < 2) return 0;
        var (_, v) = MeanVariance(xs);
        return StudentT95.Critical(xs.Count - 1) * Math.Sqrt(v / xs.Count);
    }
}
