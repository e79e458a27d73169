using Lab.Scenarios;

namespace Lab.Simulation.Running;

/// <summary>
/// A scenario's key metrics (summary.json key_metrics): the headline ones every run has, the busiest
/// core of each rss core group, then what each path element's model declares (<see cref="ElementDeclaration.KeyMetrics"/>).
/// </summary>
public static class KeyMetrics
{
    public static readonly string[] Headline = ["delivered_pps", "loss_ratio", "latency_p99_us"];

    public static IReadOnlyList<string> Of(Scenario scenario)
    {
        var list = new List<string>(Headline);
        foreach (var element in scenario.Path)
        {
            switch (element)
            {
                case RssElement rss:
                    Add(list, $"{rss.Name}.utilization_max");
                    break;
                case ModelStageElement m when ModelCatalog.Find(m.Type) is { } plugin:
                    foreach (var k in plugin.KeyMetrics) Add(list, $"{m.Name}.{k}");
                    break;
            }
        }
        return list;
    }

    static void Add(List<string> list, string name)
    {
        if (!list.Contains(name)) list.Add(name);
    }
}
