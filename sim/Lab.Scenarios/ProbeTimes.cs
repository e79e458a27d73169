using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>The scenario's <c>probes:</c> mapping: snapshot times from <c>at</c> and <c>every</c>, sorted and without repeats.</summary>
public static class ProbeTimes
{
    /// <summary>More snapshots than this is a mistake (a probe lists whole tables).</summary>
    public const int MaxProbes = 10_000;

    public static IReadOnlyList<long> Bind(YNode? node, long duration, Problems problems, ReadLog? log = null)
    {
        if (node is null) return [];
        var r = MapReader.ForNode(node, "probes", ScenarioSchema.Probes, problems, node.Pos, "", log);
        if (r is null) return [];
        var times = new SortedSet<long>();
        if (r.Node(ScenarioSchema.ProbeAt) is { } at)
        {
            var items = at is YSeq s ? s.Items : [at];
            foreach (var item in items)
            {
                if (item is not YScalar sc || !SimTime.TryParse(sc.Value, out long t, out string err))
                {
                    problems.Add(item.Pos, $"probes.at: expected durations such as [1s, 29s], found {(item is YScalar x ? $"'{x.Value}'" : YamlLoader.Describe(item))}");
                    continue;
                }
                if (t < 0 || t >= duration) problems.Add(item.Pos, $"probes.at: expected a time from 0s to before run.duration ({SimTime.Format(duration)}), found {sc.Value}");
                else times.Add(t);
            }
        }
        if (r.Has(ScenarioSchema.ProbeEvery))
        {
            long every = r.Read(ScenarioSchema.ProbeEvery, 0);
            if (every > 0 && duration / every > MaxProbes) problems.Add(r.PosOf(ScenarioSchema.ProbeEvery), $"probes.every: gives more than {MaxProbes} snapshots in {SimTime.Format(duration)}, found {SimTime.Format(every)}");
            else if (every > 0)
                for (long t = every; t < duration; t += every) times.Add(t);
        }
        if (!r.Has(ScenarioSchema.ProbeAt) && !r.Has(ScenarioSchema.ProbeEvery)) problems.Add(node.Pos, "probes: expected 'at' (a list of times) or 'every' (an interval)");
        if (times.Count > MaxProbes) problems.Add(node.Pos, $"probes: expected at most {MaxProbes} snapshots, found {times.Count}");
        return [.. times];
    }
}
