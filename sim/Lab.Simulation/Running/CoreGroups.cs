namespace Lab.Simulation.Running;

/// <summary>
/// How a path is cut into core groups (scenarios/README.md, "Core groups"): each <c>rss</c> element starts
/// a group of its cores that runs the stages after it, up to the next link, rss or non-stage element;
/// stages with no rss before them form a group of one core, named after the first of those stages, so
/// its metrics read NAME.utilization_mean and its drops NAME.rx_ring_full.
/// </summary>
public static class CoreGroups
{
    /// <summary>The receive ring of a group without rss: the rss default (1024 packets).</summary>
    public const int ImplicitRing = 1024;

    /// <summary>The name of a group without rss: that of the stage that starts it.</summary>
    public static string ImplicitName(string firstStage) => firstStage;
}
