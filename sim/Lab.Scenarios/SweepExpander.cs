using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>One swept parameter: its path, its values, and where the sweep names it.</summary>
public sealed record SweepAxis(string Name, IReadOnlyList<YNode> Values, bool Zipped, SourcePos Pos);

/// <summary>The parsed sweep block: its axes and the partial assignments it excludes.</summary>
public sealed record SweepSpec(IReadOnlyList<SweepAxis> Axes, IReadOnlyList<IReadOnlyList<(string Param, string Value)>> Excludes);

/// <summary>
/// The sweep block. <c>param: [values]</c> pairs (or a <c>grid:</c> block) form a Cartesian
/// grid; lists in a <c>zip:</c> block advance together (they must be equally long); an
/// <c>exclude:</c> list of partial assignments drops the points that match one. Points are
/// numbered in a fixed order (the first parameter varies slowest), so a point's index never
/// depends on how the sweep is run.
/// </summary>
public static class SweepExpander
{
    public static SweepSpec Parse(YNode? node, Problems problems)
    {
        var axes = new List<SweepAxis>();
        var excludes = new List<IReadOnlyList<(string, string)>>();
        if (node is null) return new SweepSpec(axes, excludes);
        if (node is not YMap map)
        {
            problems.Add(node.Pos, $"sweep: expected a mapping of parameter: [values], found {YamlLoader.Describe(node)}");
            return new SweepSpec(axes, excludes);
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
                            if (item is YMap em) excludes.Add(em.Entries.Select(e => (e.Key.Value, e.Value is YScalar s ? s.Value : "")).ToList());
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
        return new SweepSpec(axes, excludes);
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
