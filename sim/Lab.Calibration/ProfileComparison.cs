using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>One stage of two profiles side by side.</summary>
/// <param name="ChangePercent">(new - old) / old in percent; NaN when a side was not measured.</param>
/// <param name="NoisePercent">The 95% noise of the difference, sqrt(h_old^2 + h_new^2) / |old| in percent (the half-widths of both intervals combined).</param>
/// <param name="Changed">Beyond the threshold and outside the noise.</param>
public sealed record StageChange(string Stage, ProfileStage? Old, ProfileStage? New, double ChangePercent, double NoisePercent, bool Changed, string? Note);

/// <summary>Compares the stages of a new calibration with an earlier profile (kernel performance regression runs).</summary>
public static class ProfileComparison
{
    public static IReadOnlyList<StageChange> Compare(CostProfile earlier, CostProfile now, double thresholdPercent)
    {
        var list = new List<StageChange>();
        foreach (string name in CostProfileSchema.StageNames)
        {
            var o = earlier.Stage(name);
            var n = now.Stage(name);
            if (o is null && n is null) continue;
            if (o is not { IsMeasured: true } || n is not { IsMeasured: true })
            {
                string note = o is null ? "not in the earlier profile" : n is null ? "not in this calibration"
                    : !o.IsMeasured && !n.IsMeasured ? "not measured in either" : !o.IsMeasured ? "not measured earlier" : "not measured now";
                list.Add(new StageChange(name, o, n, double.NaN, double.NaN, false, note));
                continue;
            }
            double diff = n.Ns - o.Ns;
            double noise = Math.Sqrt(o.HalfWidth * o.HalfWidth + n.HalfWidth * n.HalfWidth);
            double baseValue = Math.Abs(o.Ns);
            double change = baseValue > 0 ? 100 * diff / baseValue : double.NaN;
            double noisePct = baseValue > 0 ? 100 * noise / baseValue : double.NaN;
            bool changed = Math.Abs(diff) > noise && (double.IsNaN(change) || Math.Abs(change) > thresholdPercent);
            list.Add(new StageChange(name, o, n, change, noisePct, changed, null));
        }
        return list;
    }
}
