using System.Globalization;
using Lab.Core;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Scenarios;

/// <summary>
/// The bound on generated packets, checked before running (issue 16): a syntactically valid but
/// absurd rate (<c>rate: 1e300Gbit/s</c>) would otherwise give a run that never ends. A rate-driven
/// generator (cbr, poisson, onoff) is estimated at rate / ((mean frame + 20 B) x 8 bit) over the time it
/// is active (start to stop or run.duration), for every replication of a point; for onoff this is an
/// upper bound (as if always on).
/// </summary>
public static class PacketBudget
{
    /// <summary>
    /// Generated packets one point may have over all its replications: at the engine's few million
    /// events per second (several events per packet) this is already hours of work, far beyond any
    /// study in scenarios/examples (the largest offers about 1.5e6).
    /// </summary>
    public const double MaxPacketsPerRun = 1e9;

    /// <summary>The estimate for one generator: packets over all replications.</summary>
    public static double Estimate(TrafficSpec spec, long duration, int replications)
    {
        long stop = spec.Stop > 0 && spec.Stop < duration ? spec.Stop : duration;
        double active = Math.Max(0, SimTime.ToSeconds(stop - Math.Min(spec.Start, stop)));
        double perSecond = spec.WireBitsPerSecond / ((spec.Sizes.MeanBytes + Link.WireOverheadBytes) * 8);
        return perSecond * active * replications;
    }

    /// <summary>The problem text for <paramref name="section"/> (traffic[i]), or null when within the bound.</summary>
    public static string? Check(string section, string rateText, TrafficSpec spec, long duration, int replications)
    {
        double estimate = Estimate(spec, duration, replications);
        if (estimate <= MaxPacketsPerRun) return null;
        long stop = spec.Stop > 0 && spec.Stop < duration ? spec.Stop : duration;
        return string.Create(CultureInfo.InvariantCulture,
            $"{section}.rate: expected at most {Count(MaxPacketsPerRun)} packets per run (all replications of a point), found an estimate of {Count(estimate)} " +
            $"({rateText} / (({spec.Sizes.MeanBytes:0.##} B + 20 B) x 8 bit) x {SimTime.Format(stop - Math.Min(spec.Start, stop))} active x {replications} replication(s)); " +
            $"lower the rate, run.duration or run.replications");
    }

    static string Count(double n) => n < 1e15 ? n.ToString("0", CultureInfo.InvariantCulture) : n.ToString("0.###e0", CultureInfo.InvariantCulture);
}
