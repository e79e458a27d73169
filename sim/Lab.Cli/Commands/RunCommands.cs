using System.CommandLine;
using Lab.Simulation.Running;
using Lab.Engine;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary><c>lab run</c> and <c>lab check</c>.</summary>
public static class RunCommands
{
    public static Command CreateRun()
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "Scenario YAML file" };
        var seed = new Option<long?>("--seed") { Description = "Base seed (overrides run.seed)" };
        var reps = new Option<int?>("--replications") { Description = "Replications per point (overrides run.replications)" };
        var sets = new Option<string[]>("--set") { Description = "Override a parameter: key=value (e.g. traffic.bulk.rate=5Gbit/s); repeatable", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string?>("--out") { Description = "Results folder (default results/<scenario name>)" };
        var noStore = new Option<bool>("--no-store") { Description = "Do not record the run in the results store" };
        var force = new Option<bool>("--force") { Description = "Replace --out even if it is not empty and not a lab results folder (never a sweep folder)" };
        var all = new Option<bool>("--all") { Description = "For a sweep, print every metric of every point instead of one row per point with the key metrics" };
        var cmd = new Command("run", "Simulate a scenario, print a summary and write its results folder") { scenario, seed, reps, sets, outDir, noStore, force, all };
        cmd.SetAction((pr, cancellation) =>
        {
            var output = pr.InvocationConfiguration.Output;
            var loaded = ScenarioLoading.Load(pr.GetValue(scenario)!, pr.GetValue(sets), pr.GetValue(seed), pr.GetValue(reps), Flags.Wording);
            string dir = pr.GetValue(outDir) ?? OutputFolder.Default("results", loaded.First.Name);
            // Before the run, so a refused folder costs nothing; again when writing.
            OutputFolder.Check(dir, OutputKind.Results, pr.GetValue(force));
            TextWriter? progress = Console.IsErrorRedirected ? null : Console.Error;
            // Ctrl-C during the simulation: nothing has been written yet.
            var set = RunPipeline.Run(loaded, progress, cancellation);
            var costs = CostNotes.Lines(loaded, set, Flags.Wording);
            var provenance = new Provenance(DateTimeOffset.UtcNow, LabInfo.Version, LabInfo.Commit, Environment.MachineName,
                "lab " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))) { Costs = costs };
            ResultsWriter.Write(dir, set, provenance, pr.GetValue(force));
            if (!pr.GetValue(noStore))
            {
                using var store = new ResultsStore(ResultsStore.DefaultPath());
                store.Record(set, provenance, Path.GetFullPath(dir));
            }
            output.Write(SummaryTable.Format(set, pr.GetValue(all), Flags.Wording));
            if (costs.Count > 0) output.WriteLine();
            foreach (var line in costs) output.WriteLine(line);
            output.WriteLine($"\nresults: {dir}");
            return Task.FromResult(LabCommand.Ok);
        });
        return cmd;
    }

    public static Command CreateCheck()
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "Scenario YAML file" };
        var sets = new Option<string[]>("--set") { Description = "Override a parameter: key=value; repeatable" };
        var cmd = new Command("check", "Validate a scenario without running it") { scenario, sets };
        cmd.SetAction(pr =>
        {
            var loaded = ScenarioLoading.Load(pr.GetValue(scenario)!, pr.GetValue(sets), null, null, Flags.Wording);
            var s = loaded.First;
            pr.InvocationConfiguration.Output.WriteLine(
                $"{loaded.File}: ok: scenario '{s.Name}', {loaded.Points.Count} point(s) x {s.Run.Replications} replication(s), " +
                $"{s.Traffic.Count} traffic source(s), {s.Path.Count} path element(s)");
            return LabCommand.Ok;
        });
        return cmd;
    }
}
