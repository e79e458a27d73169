using System.Globalization;
using Lab.Core;
using Lab.Results;

namespace Lab.Simulation.Running;

/// <summary>
/// Says why a run dropped what it dropped when one configured limit (packets over the MTU, a ring or
/// queue too small, a clamped window; see <see cref="DropCause"/>, declared by the models where they
/// register the drop reason) accounts for most of its drops: a null result then names the key to change
/// instead of leaving the user to find it in metrics.csv.
/// </summary>
public static class DropDiagnosis
{
    /// <summary>The share of all drops above which one reason dominates (strictly more than half).</summary>
    public const double DominantShare = 0.5;

    /// <summary>
    /// "82% of drops: esp_out.XfrmOutStateModeError (packets over the MTU): raise path.esp_out.mtu, ..."
    /// for the point, or null when it dropped nothing or no declared cause makes up more than half of its drops.
    /// Counts are summed over the replications; the share is rounded down.
    /// </summary>
    public static string? Of(PointResult point)
    {
        double total = 0;
        var byReason = new Dictionary<string, double>(StringComparer.Ordinal);
        var causes = new Dictionary<string, DropCause>(StringComparer.Ordinal);
        foreach (var rep in point.Replications)
        {
            foreach (var m in rep.Metrics)
            {
                if (!m.Name.StartsWith("drop.", StringComparison.Ordinal)) continue;
                string reason = m.Name["drop.".Length..];
                byReason[reason] = byReason.GetValueOrDefault(reason) + m.Value;
                total += m.Value;
            }
            foreach (var (reason, cause) in rep.DropCauses) causes.TryAdd(reason, cause);
        }
        if (total <= 0) return null;
        // The largest declared reason; ties go to the first in name order, so the line is deterministic.
        string? top = null;
        double count = 0;
        foreach (var (reason, n) in byReason.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (causes.ContainsKey(reason) && n > count) (top, count) = (reason, n);
        }
        if (top is null || count / total <= DominantShare) return null;
        var c = causes[top];
        int percent = (int)Math.Floor(count / total * 100);
        return string.Create(CultureInfo.InvariantCulture, $"{percent}% of drops: {top} ({c.What}): {c.Remedy}");
    }
}
