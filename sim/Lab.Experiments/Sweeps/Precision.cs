using System.Globalization;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// Sequential stopping (the rule Akaroa applies for OMNeT++ users): a point keeps getting
/// batches of replications until, for every named metric, the 95% Student-t confidence
/// half-width is below <see cref="RelativeHalfWidth"/> of the mean's magnitude, or until
/// <see cref="MaxReplications"/> is reached. Batches have a fixed size (the scenario's
/// run.replications) and replications are numbered 0, 1, 2, ..., so the number of
/// replications a point ends with depends only on its results, never on --jobs or on
/// interruptions: the decision after each batch looks at replications 0..n-1 only.
/// </summary>
public sealed record Precision(double RelativeHalfWidth, IReadOnlyList<string> Metrics, int BatchSize, int MaxReplications)
{
    public const int DefaultMaxReplications = 50;
    public const string DefaultMetric = "delivered_pps";

    /// <summary>Parses "2%" or "0.02" into 0.02.</summary>
    public static double ParseShare(string text)
    {
        string t = text.Trim();
        bool percent = t.EndsWith('%');
        if (percent) t = t[..^1].Trim();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v))
        {
            if (percent) v /= 100;
            if (v > 0 && v < 1) return v;
        }
        throw new ParameterException("precision", $"expected a relative half-width between 0 and 1, such as 2% or 0.02, found '{text}'");
    }

    /// <summary>
    /// Whether <paramref name="values"/> are precise enough: the half-width is zero (all equal) or
    /// strictly under the target share of |mean|. Fewer than two values never are (no interval exists).
    /// </summary>
    public static bool IsPrecise(IReadOnlyList<double> values, double relativeHalfWidth)
    {
        if (values.Count < 2) return false;
        var s = Summary.Of(values);
        if (!double.IsFinite(s.HalfWidth)) return false;
        return s.HalfWidth == 0 || s.HalfWidth < relativeHalfWidth * Math.Abs(s.Mean);
    }

    /// <summary>The achieved relative half-width (half-width / |mean|); infinity when the mean is 0 and the spread is not.</summary>
    public static double Relative(Summary s) =>
        s.HalfWidth == 0 ? 0 : s.Mean == 0 ? double.PositiveInfinity : s.HalfWidth / Math.Abs(s.Mean);

    /// <summary>
    /// How many replications a point needs next, given its first <paramref name="n"/> results
    /// (all of them finished): n itself when it may stop (precise, or at the cap), else the next batch's end.
    /// </summary>
    public int Next(int n, Func<string, IReadOnlyList<double>?> valuesOf, int point)
    {
        if (n >= MaxReplications) return n;
        bool precise = true;
        foreach (var metric in Metrics)
        {
            var values = valuesOf(metric)
                ?? throw ParameterException.ForValue("metric", metric, $"point {point} has no such metric (see metrics.csv of a run for the names)");
            if (!IsPrecise(values, RelativeHalfWidth)) precise = false;
        }
        return precise ? n : Math.Min(n + BatchSize, MaxReplications);
    }
}
