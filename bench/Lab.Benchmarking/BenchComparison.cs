using System.Globalization;
using Lab.Core;

namespace Lab.Benchmarking;

public enum BenchVerdict
{
    Unchanged,
    /// <summary>Slower than the threshold even at the favourable end of the 95% interval of the change.</summary>
    Slower,
    /// <summary>Faster than the threshold even at the unfavourable end of the interval (reported, never a failure).</summary>
    Faster,
    /// <summary>Only in the current run.</summary>
    New,
    /// <summary>Only in the baseline.</summary>
    Missing,
    /// <summary>The reference benchmark itself: its ratio is 1 by definition.</summary>
    Reference,
}

/// <param name="Change">Relative change of the ratio to the reference, current / baseline - 1 (0.25 = 25% slower).</param>
/// <param name="Noise">Half-width of the 95% interval of the change, from both runs' standard errors (0 when unknown).</param>
/// <param name="Bar">The relative change beyond the noise a slowdown must exceed: the threshold, or K x the run-to-run noise when that is larger (<see cref="RunNoiseModel.Bar"/>).</param>
public sealed record BenchDelta(string Key, RatedMeasurement? Baseline, RatedMeasurement? Current, double Change, double Noise, BenchVerdict Verdict, double Bar = double.NaN);

/// <summary>A comparison of two runs; <see cref="Scatter"/> is the median absolute change of the benchmarks both runs have: the run-to-run noise of this pair of runs.</summary>
public sealed record BenchComparison(IReadOnlyList<BenchDelta> Deltas, double Threshold, double Scatter)
{
    public bool Failed => Deltas.Any(d => d.Verdict == BenchVerdict.Slower);
}

/// <summary>
/// Compares ratios to the reference between a baseline and a current run. The change is taken
/// on the log of the ratio, whose standard error is the quadrature sum of the four relative
/// standard errors (benchmark and reference, in both runs). A benchmark is flagged slower only
/// when the lower end of the 95% Student-t interval of its change is above the bar: the
/// threshold, or K times the run-to-run noise the baseline recorded when that is larger
/// (<see cref="RunNoiseModel"/>). Noise alone cannot fail a comparison, a real slowdown well past
/// the bar always does.
/// </summary>
public static class BenchComparer
{
    /// <summary>Compares; baseline benchmarks of suites the current run did not run are left out (not "missing").</summary>
    public static BenchComparison Compare(IReadOnlyList<RatedMeasurement> baseline, IReadOnlyList<RatedMeasurement> current, double threshold)
    {
        var suitesRun = current.Select(c => c.M.Suite).ToHashSet(StringComparer.Ordinal);
        if (!(threshold >= 0)) throw new ArgumentOutOfRangeException(nameof(threshold));
        var byKey = new Dictionary<string, RatedMeasurement>(StringComparer.Ordinal);
        foreach (var b in baseline) byKey[b.Key] = b;
        var deltas = new List<BenchDelta>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in current)
        {
            seen.Add(c.Key);
            if (!byKey.TryGetValue(c.Key, out var b))
            {
                deltas.Add(new BenchDelta(c.Key, null, c, double.NaN, double.NaN, BenchVerdict.New));
                continue;
            }
            if (c.M.IsReference)
            {
                deltas.Add(new BenchDelta(c.Key, b, c, 0, 0, BenchVerdict.Reference));
                continue;
            }
            double d = Math.Log(c.Ratio / b.Ratio);
            double se = Math.Sqrt(c.RatioRelStdErr * c.RatioRelStdErr + b.RatioRelStdErr * b.RatioRelStdErr);
            int df = Math.Min(c.RatioDegreesOfFreedom, b.RatioDegreesOfFreedom);
            double half = df >= 1 ? Lab.Results.StudentT95.Critical(df) * se : 0;
            double bar = RunNoiseModel.Bar(threshold, b.M.RunNoise, b.M.Runs, c.M.RunNoise, c.M.Runs);
            var verdict = d - half > bar ? BenchVerdict.Slower : d + half < -bar ? BenchVerdict.Faster : BenchVerdict.Unchanged;
            deltas.Add(new BenchDelta(c.Key, b, c, Math.Exp(d) - 1, Math.Exp(half) - 1, verdict, Math.Exp(bar) - 1));
        }
        foreach (var b in baseline)
        {
            if (!seen.Contains(b.Key) && suitesRun.Contains(b.M.Suite)) deltas.Add(new BenchDelta(b.Key, b, null, double.NaN, double.NaN, BenchVerdict.Missing));
        }
        var changes = deltas.Where(x => x.Verdict is BenchVerdict.Unchanged or BenchVerdict.Slower or BenchVerdict.Faster)
            .Select(x => Math.Abs(x.Change)).OrderBy(x => x).ToList();
        double scatter = changes.Count == 0 ? double.NaN
            : changes.Count % 2 == 1 ? changes[changes.Count / 2] : (changes[changes.Count / 2 - 1] + changes[changes.Count / 2]) / 2;
        return new BenchComparison(deltas, threshold, scatter);
    }

    /// <summary>Parses "10%" (or "2.5%") into 0.10.</summary>
    public static double ParseThreshold(string text)
    {
        string t = text.Trim();
        if (t.EndsWith('%')
            && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double pct)
            && pct >= 0 && double.IsFinite(pct))
            return pct / 100;
        throw new ParameterException("threshold", $"expected a percentage such as 10%, found '{text}'");
    }
}
