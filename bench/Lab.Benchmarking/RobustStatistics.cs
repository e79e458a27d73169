namespace Lab.Benchmarking;

/// <summary>
/// The median of per-iteration times and its standard error from the median absolute deviation:
/// SE(median) = sqrt(pi/2) * sigma / sqrt(n) for normal data (asymptotic relative efficiency
/// 2/pi), with sigma estimated as 1.4826 * MAD (the consistency constant for the normal). Both
/// ignore the slow iterations a shared machine produces, as long as they are fewer than half.
/// </summary>
public static class RobustStatistics
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var s = values.Order().ToArray();
        int n = s.Length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    public static double MedianAbsoluteDeviation(IReadOnlyList<double> values)
    {
        double m = Median(values);
        return Median(values.Select(v => Math.Abs(v - m)).ToArray());
    }

    public static double StandardErrorOfMedian(IReadOnlyList<double> values) =>
        values.Count < 2 ? 0 : Math.Sqrt(Math.PI / 2) * 1.4826 * MedianAbsoluteDeviation(values) / Math.Sqrt(values.Count);
}
