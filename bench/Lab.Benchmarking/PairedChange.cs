namespace Lab.Benchmarking;

/// <summary>
/// The verdict of an interleaved confirmation for one benchmark: pairs of separate processes, the
/// baseline's code then the candidate's, each benchmark taken as its ratio to its suite's
/// reference within its own process. Each pair gives one log change, d_i = log(candidate_i /
/// baseline_i); a slow phase of the machine (tens of seconds, seen in session 6's reruns) hits
/// both halves of a pair, so it cancels in d_i where it would not against stored numbers.
/// <para>
/// A slowdown is confirmed only when both the median of the d_i and the low end of the 95%
/// interval of their mean (Student t with n - 1 degrees of freedom: mean - t(0.975; n-1) s / sqrt n)
/// exceed log(1 + threshold). The median keeps one odd pair from carrying the verdict, the interval
/// keeps a spread-out set of pairs from doing so. With one pair there is no spread to estimate:
/// the interval is that pair's within-run one (the four standard errors, as <see cref="BenchComparer"/>).
/// </para>
/// </summary>
/// <param name="Pairs">How many pairs measured the benchmark.</param>
/// <param name="MedianLog">Median of the paired log changes.</param>
/// <param name="MeanLog">Mean of the paired log changes.</param>
/// <param name="HalfWidthLog">Half-width of the 95% interval of <paramref name="MeanLog"/>.</param>
/// <param name="BarLog">log(1 + threshold).</param>
public sealed record PairedChange(int Pairs, double MedianLog, double MeanLog, double HalfWidthLog, double BarLog)
{
    /// <summary>Median paired change, relative (0.25 = 25% slower).</summary>
    public double Change => Math.Exp(MedianLog) - 1;

    /// <summary>Low end of the 95% interval of the paired change, relative.</summary>
    public double Low => Math.Exp(MeanLog - HalfWidthLog) - 1;

    /// <summary>High end of the 95% interval of the paired change, relative.</summary>
    public double High => Math.Exp(MeanLog + HalfWidthLog) - 1;

    public double Bar => Math.Exp(BarLog) - 1;

    public BenchVerdict Verdict =>
        MedianLog > BarLog && MeanLog - HalfWidthLog > BarLog ? BenchVerdict.Slower
        : MedianLog < -BarLog && MeanLog + HalfWidthLog < -BarLog ? BenchVerdict.Faster
        : BenchVerdict.Unchanged;

    /// <summary>The paired change of one benchmark; each pair is (baseline's code, candidate's code), both rated against their own process's reference.</summary>
    public static PairedChange Of(IReadOnlyList<(RatedMeasurement Baseline, RatedMeasurement Candidate)> pairs, double threshold)
    {
        if (pairs.Count == 0) throw new ArgumentException("no pairs", nameof(pairs));
        if (!(threshold >= 0)) throw new ArgumentOutOfRangeException(nameof(threshold));
        var d = pairs.Select(p => Math.Log(p.Candidate.Ratio / p.Baseline.Ratio)).ToArray();
        double mean = d.Average();
        double half;
        if (d.Length >= 2)
        {
            double sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (d.Length - 1));
            half = Lab.Results.StudentT95.HalfWidth(sd, d.Length);
        }
        else
        {
            var (b, c) = pairs[0];
            double se = Math.Sqrt(b.RatioRelStdErr * b.RatioRelStdErr + c.RatioRelStdErr * c.RatioRelStdErr);
            int df = Math.Min(b.RatioDegreesOfFreedom, c.RatioDegreesOfFreedom);
            half = df >= 1 ? Lab.Results.StudentT95.Critical(df) * se : 0;
        }
        return new PairedChange(d.Length, RobustStatistics.Median(d), mean, half, Math.Log(1 + threshold));
    }
}
