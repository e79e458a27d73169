namespace Lab.Esp.IpTfs;

/// <summary>Mean and variance in one pass (Welford), for the coefficient of variation of outer sizes and gaps.</summary>
public struct RunningStats
{
    double _mean, _m2;

    public long Count { get; private set; }

    public readonly double Mean => Count > 0 ? _mean : double.NaN;

    public void Add(double x)
    {
        Count++;
        double d = x - _mean;
        _mean += d / Count;
        _m2 += d * (x - _mean);
    }

    /// <summary>Population standard deviation over mean: 0 when every value is the same.</summary>
    public readonly double CoefficientOfVariation =>
        Count < 2 || _mean == 0 ? 0 : Math.Sqrt(Math.Max(0, _m2 / Count)) / _mean;

    public void Reset() => this = default;
}
