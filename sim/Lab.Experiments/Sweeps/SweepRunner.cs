using Lab.Core;
using System.Diagnostics;
using Lab.Simulation.Running;
using Lab.Engine;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Experiments.Sweeps;

/// <summary>What a sweep was asked to do; <paramref name="Words"/> names the parameters and commands its notes mention (the library's names when null).</summary>
public sealed record SweepRequest(
    LoadedScenario Loaded,
    string OutDir,
    int Jobs,
    ShardSpec Shard,
    Precision? Precision,
    bool Restart,
    bool Store,
    string Command,
    Wording? Words = null);

/// <summary>What a sweep did: the run set it wrote (null for a shard, or when interrupted), and its counts.</summary>
public sealed record SweepOutcome(RunSet? Set, SweepManifest Manifest, bool Completed, int Total, int Found, int Executed, int Unused, TimeSpan Elapsed)
{
    /// <summary>A finished sweep run again: nothing executed and the store already holds this set from this folder, so it was not recorded twice.</summary>
    public bool AlreadyRecorded { get; init; }
}

/// <summary>
/// Runs a sweep into its folder: checks the folder's earlier runs belong to this scenario,
/// runs only what is missing on the requested number of threads (each run single-threaded and
/// a pure function of (scenario, seed, replication), so results never depend on --jobs), writes
/// each run as it finishes, then rebuilds the results folder files from all runs.
/// </summary>
public static class SweepRunner
{
    public static SweepOutcome Run(SweepRequest req, SweepProgress? progress, CancellationToken cancel) =>
        Run(req, progress, cancel, (scenario, replication) => RunPipeline.RunOne(scenario, replication, cancel));

    public static SweepOutcome Run(SweepRequest req, SweepProgress? progress, CancellationToken cancel, Func<Scenario, int, ReplicationResult> runOne)
    {
        var loaded = req.Loaded;
        var manifest = SweepManifest.From(loaded, req.Shard, req.Precision);
        var folder = new SweepFolder(req.OutDir);
        using var held = folder.Lock();
        if (req.Restart) folder.Restart();
        else if (folder.HasManifest)
        {
            var earlier = SweepManifest.Read(folder.Dir);
            if (earlier.RunHash != manifest.RunHash) throw folder.DifferentScenario(folder.ManifestPath, earlier.RunHash, manifest.RunHash);
        }
        folder.Create();
        folder.WriteManifest(manifest);

        var found = new List<KeyValuePair<RunKey, ReplicationResult>>();
        foreach (var key in folder.RunKeys())
        {
            if (key.Point < manifest.Points) found.Add(new(key, folder.ReadRun(key, manifest.RunHash)));
        }

        var fresh = new FreshScenario(loaded);
        var clock = Stopwatch.StartNew();
        var scheduler = new SweepScheduler(manifest.Points, manifest.Replications, req.Shard, req.Precision, found);
        bool completed = scheduler.Run(req.Jobs, key =>
        {
            var sw = Stopwatch.StartNew();
            var result = runOne(fresh.For(key.Point), key.Replication);
            folder.WriteRun(manifest.RunHash, key, result);
            folder.LogExecution(key, sw.Elapsed);
            return result;
        }, progress is null ? null : progress.Update, cancel);
        if (progress is not null)
        {
            progress.Draw(scheduler.Done, scheduler.Total, scheduler.Executed, scheduler.Found, force: true);
            progress.Clear();
        }

        RunSet? set = null;
        bool alreadyRecorded = false;
        if (completed && req.Shard.IsWhole)
        {
            var points = new List<PointResult>();
            for (int p = 0; p < manifest.Points; p++)
                points.Add(scheduler.Point(p, manifest.PointParameters[p]) ?? throw new InvalidOperationException($"point {p} incomplete after the sweep"));
            set = manifest.ToRunSet(points);
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName, req.Command)
            {
                Costs = CostNotes.Lines(req.Loaded, set, req.Words),
            };
            folder.WriteResults(set, provenance);
            if (req.Store)
            {
                using var store = new ResultsStore(ResultsStore.DefaultPath());
                alreadyRecorded = scheduler.Executed == 0 && store.HasRecorded(folder.Dir, set);
                if (!alreadyRecorded) store.Record(set, provenance, folder.Dir);
            }
        }
        return new SweepOutcome(set, manifest, completed, scheduler.Total, scheduler.Found, scheduler.Executed, scheduler.Unused(), clock.Elapsed)
        {
            AlreadyRecorded = alreadyRecorded,
        };
    }
}
