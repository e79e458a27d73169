using System.Globalization;
using System.Text;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// An sbatch script for a Slurm job array: task I of N runs <c>lab sweep SCENARIO --shard I/N</c>
/// into SHARED/shard-I. Slurm does the scheduling, retries and accounting; the lab only splits
/// the runs deterministically (ShardSpec) and merges the shard folders afterwards (lab merge).
/// See sbatch(1): --array, and the SLURM_ARRAY_TASK_ID and SLURM_CPUS_PER_TASK variables.
/// </summary>
public static class SlurmScript
{
    public sealed record Options(
        string ScenarioFile,
        IReadOnlyList<string> Sets,
        long? Seed,
        int? Replications,
        int Shards,
        int JobsPerTask,
        string SharedDir,
        string LabCommand,
        string WorkingDir,
        string ScenarioName,
        int Runs);

    public static string Emit(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        string shared = Path.GetFullPath(o.SharedDir);
        var args = new StringBuilder();
        args.Append(o.LabCommand).Append(" sweep ").Append(Quote(Path.GetFullPath(o.ScenarioFile)));
        foreach (var s in o.Sets) args.Append(" --set ").Append(Quote(s));
        if (o.Seed is { } seed) args.Append(inv, $" --seed {seed}");
        if (o.Replications is { } r) args.Append(inv, $" --replications {r}");
        args.Append(" --jobs \"${SLURM_CPUS_PER_TASK:-1}\" --no-store");
        args.Append(inv, $" --shard \"${{SLURM_ARRAY_TASK_ID}}/{o.Shards}\"");
        args.Append(" --out ").Append(Quote(Path.Combine(shared, "shard-"))).Append("\"${SLURM_ARRAY_TASK_ID}\"");

        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append(inv, $"#SBATCH --job-name={JobName(o.ScenarioName)}\n");
        sb.Append(inv, $"#SBATCH --array=0-{o.Shards - 1}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append(inv, $"#SBATCH --cpus-per-task={o.JobsPerTask}\n");
        sb.Append(inv, $"#SBATCH --output={Path.Combine(shared, "slurm-%A_%a.out")}\n");
        sb.Append(inv, $"# lab sweep of '{o.ScenarioName}': {o.Runs} run(s) in {o.Shards} shard(s); shard I runs the runs k with k mod {o.Shards} == I,\n");
        sb.Append("# k = point * replications + replication. A task that is requeued or rerun resumes its shard.\n");
        sb.Append(inv, $"# Submit: sbatch {Quote(Path.Combine(shared, "sweep.sbatch"))}\n");
        sb.Append(inv, $"# Then:   {o.LabCommand} merge {Quote(shared)}/shard-* --out {Quote(Path.Combine(shared, "merged"))}\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("cd ").Append(Quote(o.WorkingDir)).Append('\n');
        sb.Append("exec ").Append(args).Append('\n');
        return sb.ToString();
    }

    static string JobName(string name)
    {
        var sb = new StringBuilder("lab-");
        foreach (char c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return sb.ToString();
    }

    /// <summary>A POSIX shell single-quoted word.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c, StringComparison.Ordinal))
            ? s
            : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// How a Slurm task (or a child process) starts this lab: the muxer that runs us with our
    /// lab.dll, else the apphost beside it. LAB_COMMAND overrides both.
    /// </summary>
    public static string LabCommand()
    {
        if (Environment.GetEnvironmentVariable("LAB_COMMAND") is { Length: > 0 } env) return env;
        string dll = Path.Combine(AppContext.BaseDirectory, "lab.dll");
        string apphost = Path.Combine(AppContext.BaseDirectory, "lab");
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFullPath(process) == Path.GetFullPath(apphost)) return Quote(apphost);
        string? muxer = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (muxer is not null && File.Exists(dll)) return Quote(muxer) + " " + Quote(dll);
        if (File.Exists(apphost)) return Quote(apphost);
        return "dotnet " + Quote(dll);
    }
}
