using System.CommandLine;
using Lab.Simulation.Running;
using Lab.Experiments.Sweeps;
using Lab.Core;
using Lab.Results;

namespace Lab.Cli.Commands;

/// <summary><c>lab sweep</c> (all points x replications on all cores, resumable, shardable) and <c>lab merge</c>.</summary>
public static class SweepCommands
{
    /// <summary>Exit code of a sweep stopped by Ctrl-C (128 + SIGINT, as shells report it); its finished runs are kept.</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "Scenario YAML file" };
        var jobs = new Option<int?>("--jobs") { Description = "Worker threads (default: all cores); each run is single-threaded, results never depend on this" };
        var precision = new Option<string?>("--precision") { Description = "Sequential stopping: add batches of run.replications until each --metric's 95% CI half-width is under this share of its mean (e.g. 2%)" };
        var metrics = new Option<string[]>("--metric") { Description = $"Metric the --precision rule and the printed table use; repeatable (default {Precision.DefaultMetric})" };
        var maxReps = new Option<int?>("--max-replications") { Description = $"Cap on replications per point with --precision (default {Precision.DefaultMaxReplications})" };
        var outDir = new Option<string?>("--out") { Description = "Sweep folder (default results/<scenario name>): runs/, sweep.json and the results files" };
        var sets = new Option<string[]>("--set") { Description = "Override a parameter: key=value; repeatable" };
        var seed = new Option<long?>("--seed") { Description = "Base seed (overrides run.seed)" };
        var reps = new Option<int?>("--replications") { Description = "Replications per point (overrides run.replications; the batch size with --precision)" };
        var shard = new Option<string?>("--shard") { Description = "Run only shard I of N (I/N, from 0): the runs k = point*replications+replication with k mod N == I" };
        var emit = new Option<string?>("--emit") { Description = "Write a job script instead of running: 'slurm' (an sbatch job array of --shards tasks) into the --out folder" };
        var shards = new Option<int?>("--shards") { Description = "Number of shards (array tasks) for --emit slurm" };
        var labCommand = new Option<string?>("--lab-command") { Description = "How the job script starts lab (default: this lab's own binary)" };
        var restart = new Option<bool>("--restart") { Description = "Discard the runs already in the --out folder and start over" };
        var noStore = new Option<bool>("--no-store") { Description = "Do not record the sweep in the results store" };
        var force = new Option<bool>("--force") { Description = "Write into --out even if it is not empty and not a lab sweep folder (never a results folder of lab run)" };
        var cmd = new Command("sweep", "Run every sweep point and replication on all cores into a resumable sweep folder (or a shard of it, or emit a Slurm job array)")
        {
            scenario, jobs, precision, metrics, maxReps, outDir, sets, seed, reps, shard, emit, shards, labCommand, restart, noStore, force,
        };
        cmd.SetAction((pr, cancellation) => Task.FromResult(Sweep(pr, cancellation)));
        return cmd;

        int Sweep(ParseResult pr, CancellationToken cancellation)
        {
            var output = pr.InvocationConfiguration.Output;
            string file = pr.GetValue(scenario)!;
            var loaded = ScenarioLoading.Load(file, pr.GetValue(sets), pr.GetValue(seed), pr.GetValue(reps), Flags.Wording);
            string dir = pr.GetValue(outDir) ?? OutputFolder.Default("results", loaded.First.Name);
            OutputFolder.Check(dir, OutputKind.Sweep, pr.GetValue(force));
            int batch = loaded.First.Run.Replications;
            int jobCount = pr.GetValue(jobs) ?? Environment.ProcessorCount;
            if (jobCount < 1) throw new LabInputException($"--jobs: expected a positive number of worker threads, found {jobCount}");
            string[] metricNames = pr.GetValue(metrics) is { Length: > 0 } ms ? ms : [Precision.DefaultMetric];

            if (pr.GetValue(emit) is { } kind)
            {
                if (kind != "slurm") throw new LabInputException($"--emit: expected 'slurm', found '{kind}'");
                int n = pr.GetValue(shards) ?? throw new LabInputException("--emit slurm: expected --shards N (the number of array tasks)");
                if (n < 1) throw new LabInputException($"--shards: expected a positive number, found {n}");
                if (pr.GetValue(shard) is not null) throw new LabInputException("--emit: the script chooses each task's --shard; drop --shard");
                if (pr.GetValue(precision) is not null) throw new LabInputException("--emit: --precision needs all replications of a point in one process; it cannot be split into shards");
                Directory.CreateDirectory(dir);
                OutputFolder.WriteMarker(dir, OutputKind.Sweep);
                var lines = SlurmCommandLines.For(pr.GetValue(labCommand) ?? SlurmScript.LabCommand(), file, pr.GetValue(sets) ?? [], pr.GetValue(seed), pr.GetValue(reps));
                string script = SlurmScript.Emit(new SlurmScript.Options(n, pr.GetValue(jobs) ?? 1, dir, Environment.CurrentDirectory,
                    loaded.First.Name, loaded.Points.Count * batch, lines));
                string path = Path.Combine(Path.GetFullPath(dir), "sweep.sbatch");
                RunFile.WriteAtomically(path, script);
                output.WriteLine($"wrote {path}: a Slurm job array of {n} task(s) for {loaded.Points.Count * batch} run(s)");
                output.WriteLine($"submit:  sbatch {SlurmScript.Quote(path)}");
                output.WriteLine($"merge:   lab merge {SlurmScript.Quote(Path.GetFullPath(dir))}/shard-* --out {SlurmScript.Quote(Path.Combine(Path.GetFullPath(dir), "merged"))}");
                return LabCommand.Ok;
            }
            if (pr.GetValue(shards) is not null) throw new LabInputException("--shards: only with --emit slurm (to run one shard, use --shard I/N)");

            var shardSpec = pr.GetValue(shard) is { } s ? ShardSpec.Parse(s) : ShardSpec.Whole;
            Precision? rule = null;
            if (pr.GetValue(precision) is { } p)
            {
                if (!shardSpec.IsWhole) throw new LabInputException("--precision: sequential stopping needs all replications of a point in one process; it cannot be combined with --shard");
                int max = pr.GetValue(maxReps) ?? Math.Max(Precision.DefaultMaxReplications, batch);
                if (max < batch || max < 2) throw new LabInputException($"--max-replications: expected at least 2 and at least run.replications ({batch}), found {max}");
                rule = new Precision(Precision.ParseShare(p), metricNames, batch, max);
            }
            else if (pr.GetValue(maxReps) is not null) throw new LabInputException("--max-replications: only with --precision");

            var request = new SweepRequest(loaded, dir, jobCount, shardSpec, rule, pr.GetValue(restart), !pr.GetValue(noStore) && shardSpec.IsWhole,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), Flags.Wording);
            // Ctrl-C abandons the runs in progress (no file of theirs is written) and keeps the finished ones.
            var outcome = SweepRunner.Run(request, SweepProgress.ForConsole(), cancellation);
            output.Write(SweepReport.Format(request, outcome, metricNames));
            return outcome.Completed ? LabCommand.Ok : Interrupted;
        }
    }

    public static Command CreateMerge()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "Sweep folders to merge (e.g. the shard-* folders of a Slurm job array)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "Results folder for the merged set (default results/<scenario name>)" };
        var metrics = new Option<string[]>("--metric") { Description = $"Metric the printed table shows; repeatable (default {Precision.DefaultMetric})" };
        var noStore = new Option<bool>("--no-store") { Description = "Do not record the merged set in the results store" };
        var force = new Option<bool>("--force") { Description = "Replace --out even if it is not empty and not a lab results folder (never a sweep folder)" };
        var cmd = new Command("merge", "Merge sweep shard folders into one results folder (and the results store); refuses duplicate runs, exit 1 if runs are missing")
        {
            dirs, outDir, metrics, noStore, force,
        };
        cmd.SetAction(pr =>
        {
            var output = pr.InvocationConfiguration.Output;
            var folders = pr.GetValue(dirs)!;
            var merged = SweepMerger.Merge(folders);
            if (merged.Set is null)
            {
                pr.InvocationConfiguration.Error.WriteLine("lab merge: incomplete, nothing written: " + SweepMerger.DescribeMissing(merged, folders, Flags.Wording));
                return LabCommand.CheckFailed;
            }
            string dir = pr.GetValue(outDir) ?? OutputFolder.Default("results", merged.Manifest.ScenarioName);
            // The merged folder replaces OUT as a whole: never a sweep folder, whose runs would go with it.
            if (File.Exists(Path.Combine(dir, SweepManifest.FileName)))
                throw new LabInputException($"--out: {dir} is a sweep folder; merging into it would replace its runs (choose another --out)");
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            ResultsWriter.Write(dir, merged.Set, provenance, pr.GetValue(force));
            if (!pr.GetValue(noStore))
            {
                using var store = new ResultsStore(ResultsStore.DefaultPath());
                store.Record(merged.Set, provenance, Path.GetFullPath(dir));
            }
            string[] metricNames = pr.GetValue(metrics) is { Length: > 0 } ms ? ms : [Precision.DefaultMetric];
            output.Write(SweepReport.Header(merged.Manifest));
            output.WriteLine($"merged {merged.Runs} run(s) from {folders.Length} folder(s)" + (merged.Ignored > 0 ? $"; {merged.Ignored} run file(s) outside the plan ignored" : ""));
            output.WriteLine();
            output.Write(SweepReport.Table(merged.Set, metricNames, null));
            output.WriteLine($"\nresults: {dir}");
            return LabCommand.Ok;
        });
        return cmd;
    }
}
