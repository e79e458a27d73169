using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>The scenario as it ran: the point's tree with the run and output defaults written out.</summary>
public static class ResolvedScenario
{
    public static string Yaml(ScenarioPoint point) => Yaml(point.Tree, point.Scenario);

    /// <summary>The whole loaded scenario: the base with defaults, and its sweep block.</summary>
    public static string Yaml(LoadedScenario loaded)
    {
        var tree = (YMap)loaded.BaseTree.Clone();
        if (loaded.Sweep is not null) tree.Set("sweep", loaded.Sweep.Clone(), loaded.Sweep.Pos);
        return Yaml(tree, loaded.First);
    }

    public static string Yaml(YMap tree, Scenario s)
    {
        var root = (YMap)tree.Clone();
        var pos = root.Pos;
        var run = root["run"] as YMap ?? new YMap(pos);
        Fill(run, "duration", SimTime.Format(s.Run.Duration));
        Fill(run, "warmup", SimTime.Format(s.Run.Warmup));
        Fill(run, "seed", s.Run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Fill(run, "replications", s.Run.Replications.ToString(System.Globalization.CultureInfo.InvariantCulture));
        root.Set("run", run, pos);
        var outputs = root["outputs"] as YMap ?? new YMap(pos);
        Fill(outputs, "timeseries", SimTime.Format(s.Outputs.TimeSeriesInterval));
        Fill(outputs, "latency_cdf", s.Outputs.LatencyCdf ? "true" : "false");
        root.Set("outputs", outputs, pos);
        return YamlWriter.Write(root);
    }

    static void Fill(YMap map, string key, string value)
    {
        if (map[key] is null) map.Set(key, new YScalar(map.Pos, value), map.Pos);
    }
}
