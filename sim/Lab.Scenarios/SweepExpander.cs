using System.Globalization;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>One swept parameter: its path, its values, and where the sweep names it.</summary>
public sealed record SweepAxis(string Name, IReadOnlyList<YNode> Values, bool Zipped, SourcePos Pos);

/// <summary>The parsed sweep block: its axes and the partial assignments it excludes.</summary>
public sealed record SweepSpec(IReadOnlyList<SweepAxis> Axes, IReadOnlyList<IReadOnlyList<(string Param, string Value)>> Excludes)
{
    /// <summary>Points before exclusions: the product of the grid's list lengths, times the zip's length (a double: it may be astronomically large).</summary>
    public double GridSize
    {
        get
        {
            double n = 1;
            foreach (var a in Axes.Where(a => !a.Zipped)) n *= a.Values.Count;
            var zip = Axes.FirstOrDefault(a => a.Zipped);
            return zip is null ? n : n * zip.Values.Count;
        }
    }
}

/// <summary>
/// The sweep block. <c>param: [values]</c> pairs (or a <c>grid:</c> block) form a Cartesian
/// grid; lists in a <c>zip:</c> block advance together (they must be equally long); an
/// <c>exclude:</c> list of partial assignments drops the points that match one. Points are
/// numbered in a fixed order (the first parameter varies slowest), so a point's index never
/// depends on how the sweep is run.
/// </summary>
public static class SweepExpander
{
    /// <summary>Points one sweep may have (before exclusions): each is bound and kept in memory at load.</summary>
    public const int MaxPoints = 100_000;

    public static SweepSpec Parse(YNode? node, Problems problems)
    {
        var axes = new List<SweepAxis>();
        var excludes = new List<YMap>();
        if (node is null) return new SweepSpec(axes, []);
        if (node is not YMap map)
        {
            problems.Add(node.Pos, $"sweep: expected a mapping of parameter: [values], found {YamlLoader.Describe(node)}");
            return new SweepSpec(axes, []);
        }
        bool structured = map.Entries.Any(e => e.Key.Value is "grid" or "zip" or "exclude");
        if (!structured) AddAxes(map, false, axes, problems);
        else
        {
            foreach (var (k, v) in map.Entries)
            {
                switch (k.Value)
                {
                    case "grid" when v is YMap g: AddAxes(g, false, axes, problems); break;
                    case "zip" when v is YMap z: AddAxes(z, true, axes, problems); break;
                    case "exclude" when v is YSeq ex:
                        foreach (var item in ex.Items)
                        {
                            if (item is YMap em) excludes.Add(em);
                            else problems.Add(item.Pos, $"sweep.exclude: expected a mapping of parameter: value, found {YamlLoader.Describe(item)}");
                        }
                        break;
                    default:
                        problems.Add(k.Pos, $"sweep.{k.Value}: expected grid: {{...}}, zip: {{...}} or exclude: [...], found {(k.Value is "grid" or "zip" or "exclude" ? YamlLoader.Describe(v) : $"'{k.Value}'")}");
                        break;
                }
            }
        }
        var zipped = axes.Where(a => a.Zipped).ToList();
        if (zipped.Count > 1 && zipped.Any(a => a.Values.Count != zipped[0].Values.Count))
            problems.Add(zipped[0].Pos, $"sweep.zip: expected lists of equal length, found {string.Join(", ", zipped.Select(a => $"{a.Name}: {a.Values.Count}"))}");
        var spec = new SweepSpec(axes, excludes.Select(em => ParseExclude(em, axes, problems)).ToList());
        if (spec.GridSize > MaxPoints)
            problems.Add(node.Pos, string.Create(CultureInfo.InvariantCulture,
                $"sweep: expected at most {MaxPoints} points, found {(spec.GridSize < 1e15 ? spec.GridSize.ToString("0", CultureInfo.InvariantCulture) : spec.GridSize.ToString("0.###e0", CultureInfo.InvariantCulture))} ({axes.Count} swept parameters); split it into several sweeps"));
        return spec;
    }

    /// <summary>One exclude entry: every key must be a swept parameter and every value one of its values, or the entry silently excludes nothing.</summary>
    static List<(string, string)> ParseExclude(YMap em, List<SweepAxis> axes, Problems problems)
    {
        var entry = new List<(string, string)>();
        if (em.Entries.Count == 0) problems.Add(em.Pos, "sweep.exclude: expected a mapping of parameter: value, found an empty mapping (it would exclude every point)");
        foreach (var (k, v) in em.Entries)
        {
            var axis = axes.FirstOrDefault(a => a.Name == k.Value);
            if (axis is null)
            {
                string? hint = Problems.Suggest(k.Value, axes.Select(a => a.Name));
                problems.Add(k.Pos, $"sweep.exclude: unknown parameter '{k.Value}': expected one of the swept parameters ({string.Join(", ", axes.Select(a => a.Name))})" +
                    (hint is null ? "" : $" (did you mean '{hint}'?)"));
                continue;
            }
            if (v is not YScalar s)
            {
                problems.Add(v.Pos, $"sweep.exclude.{k.Value}: expected one value, found {YamlLoader.Describe(v)}");
                continue;
            }
            if (!axis.Values.Any(x => x is YScalar xs && xs.Value == s.Value))
                problems.Add(s.Pos, $"sweep.exclude.{k.Value}: expected one of the swept values ({string.Join(", ", axis.Values.Select(x => ((YScalar)x).Value))}), found '{s.Value}'");
            entry.Add((k.Value, s.Value));
        }
        return entry;
    }

    static void AddAxes(YMap map, bool zipped, List<SweepAxis> axes, Problems problems)
    {
        foreach (var (k, v) in map.Entries)
        {
            if (v is YSeq seq && seq.Items.Count > 0 && seq.Items.All(i => i is YScalar)) axes.Add(new SweepAxis(k.Value, seq.Items, zipped, k.Pos));
            else problems.Add(v.Pos, $"sweep.{k.Value}: expected a non-empty list of values such as [1Gbit/s, 2Gbit/s], found {YamlLoader.Describe(v)}");
        }
    }

    /// <summary>Every point's assignment, in a deterministic order; one empty assignment without a sweep.</summary>
    public static IEnumerable<List<(SweepAxis Param, YNode Value)>> Expand(SweepSpec sweep)
    {
        var axes = sweep.Axes;
        var excludes = sweep.Excludes;
        var grid = axes.Where(a => !a.Zipped).ToList();
        var zip = axes.Where(a => a.Zipped).ToList();
        int zipLength = zip.Count > 0 ? zip[0].Values.Count : 1;
        var index = new int[grid.Count];
        while (true)
        {
            for (int z = 0; z < zipLength; z++)
            {
                var assignment = new List<(SweepAxis, YNode)>();
                for (int g = 0; g < grid.Count; g++) assignment.Add((grid[g], grid[g].Values[index[g]]));
                foreach (var a in zip) assignment.Add((a, a.Values[z]));
                if (!excludes.Any(ex => ex.All(e => assignment.Any(x => x.Item1.Name == e.Item1 && ((YScalar)x.Item2).Value == e.Item2))))
                    yield return assignment;
            }
            int d = grid.Count - 1;
            while (d >= 0 && ++index[d] == grid[d].Values.Count)
            {
                index[d] = 0;
                d--;
            }
            if (d < 0) yield break;
        }
    }
}
