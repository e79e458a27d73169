namespace Lab.Results;

/// <summary>A metric across replications: mean, sample standard deviation and a 95% Student-t confidence interval.</summary>
public sealed record Summary(double Mean, double StdDev, double Ci95Low, double Ci95High, int N)
{
    public double HalfWidth => (Ci95High - Ci95Low) / 2;

    public static Summary Of(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n == 0) return new Summary(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double mean = 0;
        foreach (var v in values) mean += v;
        mean /= n;
        if (n == 1) return new Summary(mean, 0, mean, mean, 1);
        double ss = 0;
        foreach (var v in values) ss += (v - mean) * (v - mean);
        double sd = Math.Sqrt(ss / (n - 1));
        // Two-sided 95%: the 0.975 quantile of Student's t with n - 1 degrees of freedom.
        double half = StudentT95.HalfWidth(sd, n);
        return new Summary(mean, sd, mean - half, mean + half, n);
    }
}
