using Lab.Core;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Simulation.Running;

/// <summary>
/// The lines a run prints (and records in provenance.json) about its costs: which were measured, given
/// or assumed (<see cref="Lab.Scenarios.Profiles.ScenarioCostSources"/>), and a warning when a saturated
/// core makes the throughput rest on assumed costs.
/// </summary>
public static class CostNotes
{
    /// <summary>A core group this busy, or any receive-ring drop, makes a run's throughput CPU-bound.</summary>
    public const double SaturatedUtilization = 0.95;

    /// <summary>The lines; <paramref name="wording"/> names the command the warning suggests (the library's names when null).</summary>
    public static IReadOnlyList<string> Lines(LoadedScenario loaded, RunSet set, Wording? wording = null)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(set);
        var lines = new List<string>(loaded.Costs.Lines());
        if (lines.Count == 0) return lines;
        var charged = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var point in loaded.Points)
        {
            foreach (var e in point.Scenario.Path.OfType<ModelStageElement>())
            {
                if (ModelCatalog.Find(e.Type) is not { } b || b.CostKeys.Count == 0) continue;
                var keys = b.CostKeysCharged(e);
                charged[e.Name] = charged.TryGetValue(e.Name, out var had) ? [.. had.Union(keys)] : keys;
            }
        }
        if (loaded.Costs.ThroughputWarning(charged, CpuBound(set), wording ?? Wording.Library) is { } warning) lines.Add(warning);
        return lines;
    }

    static bool CpuBound(RunSet set)
    {
        foreach (var point in set.Points)
            foreach (var rep in point.Replications)
                foreach (var m in rep.Metrics)
                {
                    if (m.Name.EndsWith(".utilization_max", StringComparison.Ordinal) && m.Value >= SaturatedUtilization) return true;
                    if (m.Name.StartsWith("drop.", StringComparison.Ordinal) && m.Name.EndsWith(".rx_ring_full", StringComparison.Ordinal) && m.Value > 0) return true;
                }
        return false;
    }
}
