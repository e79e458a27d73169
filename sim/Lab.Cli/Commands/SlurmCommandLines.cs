using System.Globalization;
using System.Text;
using Lab.Experiments.Sweeps;

namespace Lab.Cli.Commands;

/// <summary>The lab command lines a Slurm script runs: the flags are the command line's, so they are worded here.</summary>
public static class SlurmCommandLines
{
    public static SlurmScript.CommandLines For(string lab, string scenarioFile, IReadOnlyList<string> sets, long? seed, int? replications) => new(
        task =>
        {
            var inv = CultureInfo.InvariantCulture;
            var args = new StringBuilder(lab).Append(" sweep ").Append(SlurmScript.Quote(Path.GetFullPath(scenarioFile)));
            foreach (var s in sets) args.Append(" --set ").Append(SlurmScript.Quote(s));
            if (seed is { } sd) args.Append(inv, $" --seed {sd}");
            if (replications is { } r) args.Append(inv, $" --replications {r}");
            return args.Append(inv, $" --jobs {task.Jobs} --no-store --shard {task.Shard} --out {task.OutDir}").ToString();
        },
        (shards, outDir) => $"{lab} merge {shards} --out {outDir}");
}
