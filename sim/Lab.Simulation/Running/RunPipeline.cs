using System.Diagnostics;
using Lab.Core;
using Lab.Models.Metrics;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Simulation.Running;

/// <summary>Runs every point and replication of a loaded scenario into a <see cref="RunSet"/>.</summary>
public static class RunPipeline
{
    public static RunSet Run(LoadedScenario loaded, TextWriter? progress = null, CancellationToken cancellation = default)
    {
        var first = loaded.First;
        var points = new List<PointResult>();
        int total = loaded.Points.Count * first.Run.Replications, done = 0;
        var clock = Stopwatch.StartNew();
        foreach (var point in loaded.Points)
        {
            var reps = new List<ReplicationResult>();
            for (int r = 0; r < point.Scenario.Run.Replications; r++)
            {
                reps.Add(RunOne(point.Scenario, r, cancellation));
                done++;
                progress?.Write($"\r  run {done}/{total}  ({clock.Elapsed.TotalSeconds:F1} s)   ");
            }
            points.Add(new PointResult(point.Index, point.Parameters, reps));
        }
        progress?.Write("\r" + new string(' ', 40) + "\r");
        return new RunSet(first.Name, first.Description, ResolvedScenario.Yaml(loaded),
            SimTime.ToSeconds(first.Run.Duration), SimTime.ToSeconds(first.Run.Warmup), first.Run.Seed,
            first.Run.Replications, loaded.SweptParameters, points)
        { KeyMetrics = KeyMetrics.Of(first) };
    }

    public static ReplicationResult RunOne(Scenario scenario, int replication, CancellationToken cancellation = default) =>
        ScenarioRunner.Run(scenario, replication, PcapTraffic.Load, cancellation: cancellation);

    public static TimeSeriesRow ToRow(TimeSeriesPoint p) =>
        new(SimTime.ToSeconds(p.Time), p.DeliveredPps, p.WireBitsPerSecond, p.GoodputBitsPerSecond, p.QueueDepth, p.Drops, p.Warmup);
}
