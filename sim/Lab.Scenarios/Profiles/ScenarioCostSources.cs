using System.Globalization;
using Lab.Scenarios.Yaml;
using Lab.Core;

namespace Lab.Scenarios.Profiles;

/// <summary>Where one path element's costs come from: measured (the profile), given in the scenario, or assumed (model defaults).</summary>
public sealed record ElementCostSources(string Element, string Type, IReadOnlyList<string> Measured, IReadOnlyList<string> Explicit, IReadOnlyList<string> Assumed);

/// <summary>
/// The scenario's costs: the profile named by the top-level <c>costs</c> key (null without one) and, per
/// element that takes costs, which keys it measured, which the scenario gives and which are assumptions.
/// </summary>
public sealed record ScenarioCostSources(CostProfile? Profile, string? Given, IReadOnlyList<ElementCostSources> Elements)
{
    public static readonly ScenarioCostSources None = new(null, null, []);

    /// <summary>
    /// The summary lines: "costs: measured on M, kernel K (n keys); assumed: a, b" per element, or
    /// "costs: all assumed (model defaults)" without a profile. Empty when no element takes costs.
    /// </summary>
    public IReadOnlyList<string> Lines()
    {
        var lines = new List<string>();
        foreach (var e in Elements)
        {
            string who = Elements.Count > 1 ? $"{e.Element}: " : "";
            string assumed = e.Assumed.Count == 0 ? "none" : string.Join(", ", e.Assumed);
            string given = e.Explicit.Count == 0 ? "" : $"; given in the scenario: {string.Join(", ", e.Explicit)}";
            if (Profile is { } p && e.Measured.Count > 0)
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"costs: {who}measured on {p.Machine}, kernel {p.Kernel.Release}{(p.Kernel.Emulated ? " (" + CostProfile.EmulatedLabel + ")" : "")} ({e.Measured.Count} keys); assumed: {assumed}{given}; profile {Given} of {ProfilePath.Date(p)}"));
            else
                lines.Add($"costs: {who}no measured profile; assumed: {assumed}{given}");
        }
        return lines;
    }

    /// <summary>
    /// The warning a run prints when its throughput is CPU-bound (<paramref name="cpuBound"/>) and the
    /// costs its elements charge (<paramref name="charged"/>, by element name) include assumptions;
    /// null when the throughput rests on measured or given costs only, or is not CPU-bound.
    /// </summary>
    public string? ThroughputWarning(IReadOnlyDictionary<string, IReadOnlyList<string>> charged, bool cpuBound, Wording wording)
    {
        ArgumentNullException.ThrowIfNull(charged);
        ArgumentNullException.ThrowIfNull(wording);
        if (!cpuBound) return null;
        var parts = new List<string>();
        foreach (var e in Elements)
        {
            if (!charged.TryGetValue(e.Element, out var keys)) continue;
            var assumed = keys.Where(e.Assumed.Contains).ToList();
            if (assumed.Count > 0) parts.Add($"{e.Element}: {string.Join(", ", assumed)}");
        }
        return parts.Count == 0 ? null
            : wording.Render($"note: the cores are saturated, so this throughput depends on assumed costs ({string.Join("; ", parts)}); measure them with ", new CommandName("calibrate"), " and set costs: FILE");
    }

    /// <summary>
    /// Applies the top-level <c>costs</c> key of <paramref name="root"/>: every cost of the profile's
    /// section an element takes is written into that element's <c>costs</c> mapping unless the scenario
    /// (or a set override) gives it. The key is then replaced by a record of the profile (file, machine, kernel,
    /// measured) so the resolved scenario says where its costs came from.
    /// </summary>
    public static ScenarioCostSources Apply(YMap root, string scenarioFile, IReadOnlyDictionary<string, IPathElementBinder> binders, Problems problems)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(binders);
        ArgumentNullException.ThrowIfNull(problems);
        CostProfile? profile = null;
        string? given = null;
        var node = root[ScenarioSchema.TopCosts.Key];
        if (node is not null)
        {
            var fileNode = node as YScalar ?? (node as YMap)?["file"] as YScalar;
            if (fileNode is null || fileNode.Value.Length == 0)
            {
                problems.Add(node.Pos, $"costs: expected the path of a cost profile, found {YamlLoader.Describe(node)}");
                problems.AddRemedy(Remedy.WriteCostProfile);
                return None;
            }
            if (node is YMap record)
            {
                // The form the resolved scenario writes: the file and, for the reader, what it held.
                foreach (var (k, _) in record.Entries)
                    if (k.Value is not ("file" or "machine" or "kernel" or "measured"))
                        problems.Add(k.Pos, $"unknown key '{k.Value}' in costs; expected one of: file, machine, kernel, measured");
            }
            given = fileNode.Value;
            try
            {
                var keysByType = binders.Values.Where(b => b.CostProfileSection is not null)
                    .GroupBy(b => b.CostProfileSection!, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => (IReadOnlyCollection<string>)g.SelectMany(b => b.CostKeys).Distinct().ToList(), StringComparer.Ordinal);
                profile = ProfilePath.Read(ProfilePath.Resolve(given, fileNode.Pos, scenarioFile), given, fileNode.Pos,
                    type => keysByType.TryGetValue(type, out var keys) ? keys : null);
            }
            catch (Lab.Core.LabInputException e)
            {
                problems.AddAll(e);
                return None;
            }
        }

        var elements = new List<ElementCostSources>();
        if (root["path"] is YSeq path)
        {
            for (int i = 0; i < path.Items.Count; i++)
            {
                if (path.Items[i] is not YMap { Entries.Count: 1 } item) continue;
                var (typeKey, bodyNode) = item.Entries[0];
                if (!binders.TryGetValue(typeKey.Value, out var binder) || binder.CostKeys.Count == 0) continue;
                var body = bodyNode as YMap;
                if (body is null && bodyNode is YScalar { Value: "" })
                {
                    body = new YMap(bodyNode.Pos);
                    item.Set(typeKey.Value, body, typeKey.Pos);
                }
                if (body is null) continue;
                string name = (body["name"] as YScalar)?.Value ?? typeKey.Value;
                var costs = body["costs"] as YMap;
                var explicitKeys = binder.CostKeys.Where(k => costs?[k] is not null).ToList();
                var measured = new List<string>();
                if (profile is not null && binder.CostProfileSection is { } section && body["costs"] is null or YMap)
                {
                    // The values carry the position of the scenario's costs key: a problem with one names it.
                    var at = node!.Pos;
                    foreach (var cost in profile.Costs.Where(c => c.Element == section))
                    {
                        if (!binder.CostKeys.Contains(cost.Key) || costs?[cost.Key] is not null) continue;
                        if (costs is null)
                        {
                            costs = new YMap(at);
                            body.Set("costs", costs, at);
                        }
                        costs.Set(cost.Key, new YScalar(at, Lab.Core.SimTime.Format(cost.ValuePs)), at);
                        measured.Add(cost.Key);
                    }
                }
                var assumed = binder.CostKeys.Where(k => !explicitKeys.Contains(k) && !measured.Contains(k)).ToList();
                elements.Add(new ElementCostSources(name, typeKey.Value, measured, explicitKeys, assumed));
            }
        }
        if (profile is not null)
        {
            var record = new YMap(node!.Pos);
            record.Set("file", new YScalar(node.Pos, given!), node.Pos);
            record.Set("machine", new YScalar(node.Pos, profile.Machine), node.Pos);
            record.Set("kernel", new YScalar(node.Pos, profile.Kernel.Release + (profile.Kernel.Emulated ? " (" + CostProfile.EmulatedLabel + ")" : "")), node.Pos);
            record.Set("measured", new YScalar(node.Pos, ProfilePath.Date(profile)), node.Pos);
            root.Set(ScenarioSchema.TopCosts.Key, record, node.Pos);
        }
        return new ScenarioCostSources(profile, given, elements);
    }
}
