namespace Lab.Benchmarking;

/// <summary>
/// Run-to-run noise per benchmark, and the bar a change must clear to be called a slowdown.
/// <para>
/// The standard errors of one run (iterations of one process) miss what changes between
/// processes: where the heap and the JIT put things, which cache sets a table lands in, what the
/// other tenants of a shared 2-core machine do in that minute. A cache-bound benchmark (the replay
/// window's inbound step, a 1M-flow table) moved +41% between two back-to-back runs of one commit
/// with a 95% interval of a few percent. So a baseline saved with <c>--runs R</c> (R >= 3)
/// measures each suite R times, interleaved, and records per benchmark the robust standard
/// deviation of the log of its ratio to the reference across the runs (<see cref="Estimate"/>).
/// </para>
/// <para>
/// Decision rule (<see cref="Bar"/>): with sigma_b the baseline's noise over R_b runs and sigma_c
/// the current run's own over R_c runs (the baseline's when the current run measured fewer than
/// <see cref="MinimumRuns"/>), the noise of the difference of the two medians is
/// s = sqrt(sigma_b^2 / R_b + sigma_c^2 / R_c), and a benchmark is slower only when the low end of
/// its 95% within-run interval, log(current/baseline) - half, exceeds the larger of log(1 +
/// threshold) and <see cref="K"/> x s. K = 4: for normal noise one false alarm in 30,000
/// comparisons, and room for the noise itself being estimated from a handful of runs.
/// </para>
/// </summary>
public static class RunNoiseModel
{
    /// <summary>Standard deviations of run-to-run noise a change must exceed.</summary>
    public const double K = 4;

    /// <summary>Fewest runs from which a noise is estimated (a MAD of two values is meaningless).</summary>
    public const int MinimumRuns = 3;

    /// <summary>Robust standard deviation of the logs of per-run ratios, or null with fewer than <see cref="MinimumRuns"/>.</summary>
    public static double? Estimate(IReadOnlyList<double> ratios)
    {
        if (ratios.Count < MinimumRuns || ratios.Any(r => !(r > 0) || !double.IsFinite(r))) return null;
        return 1.4826 * RobustStatistics.MedianAbsoluteDeviation([.. ratios.Select(r => Math.Log(r))]);
    }

    /// <summary>
    /// The log-change a benchmark must exceed (after subtracting its 95% within-run half-width) to
    /// be slower: max(log(1 + threshold), K x s). Without a noise model (neither side measured
    /// it), just log(1 + threshold), the rule before noise models.
    /// </summary>
    public static double Bar(double threshold, double? baselineNoise, int baselineRuns, double? currentNoise, int currentRuns)
    {
        double limit = Math.Log(1 + threshold);
        double? sb = baselineNoise ?? currentNoise;
        double? sc = currentRuns >= MinimumRuns && currentNoise is not null ? currentNoise : baselineNoise ?? currentNoise;
        if (sb is not { } b || sc is not { } c) return limit;
        double s = Math.Sqrt(b * b / Math.Max(1, baselineRuns) + c * c / Math.Max(1, currentRuns));
        return Math.Max(limit, K * s);
    }
}
