using System.Globalization;
using System.Text;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// An sbatch script for a Slurm job array: task I of N runs the lab's sweep of the scenario as shard
/// I/N into SHARED/shard-I. Slurm does the scheduling, retries and accounting; the lab only splits
/// the runs deterministically (ShardSpec) and merges the shard folders afterwards.
/// See sbatch(1): --array, and the SLURM_ARRAY_TASK_ID and SLURM_CPUS_PER_TASK variables.
/// The lab's own command lines come from the front end (<see cref="CommandLines"/>): this library
/// supplies the shell words (already quoted) that go into them.
/// </summary>
public static class SlurmScript
{
    /// <summary>The shell words of one array task's sweep: its shard ("I/N" from the task id), jobs per task and output folder.</summary>
    public sealed record SweepTask(string Shard, string Jobs, string OutDir);

    /// <summary>The front end's command lines: the task's sweep (of the scenario, with its overrides) and the merge of SHARDS into OUT.</summary>
    public sealed record CommandLines(Func<SweepTask, string> Sweep, Func<string, string, string> Merge);

    public sealed record Options(
        int Shards,
        int JobsPerTask,
        string SharedDir,
        string WorkingDir,
        string ScenarioName,
        int Runs,
        CommandLines Lines);

    public static string Emit(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        string shared = Path.GetFullPath(o.SharedDir);
        string sweep = o.Lines.Sweep(new SweepTask(
            string.Create(inv, $"\"${{SLURM_ARRAY_TASK_ID}}/{o.Shards}\""),
            "\"${SLURM_CPUS_PER_TASK:-1}\"",
            Quote(Path.Combine(shared, "shard-")) + "\"${SLURM_ARRAY_TASK_ID}\""));

        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append(inv, $"#SBATCH --job-name={JobName(o.ScenarioName)}\n");
        sb.Append(inv, $"#SBATCH --array=0-{o.Shards - 1}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append(inv, $"#SBATCH --cpus-per-task={o.JobsPerTask}\n");
        sb.Append(inv, $"#SBATCH --output={Path.Combine(shared, "slurm-%A_%a.out")}\n");
        sb.Append(inv, $"# The lab's sweep of '{o.ScenarioName}': {o.Runs} run(s) in {o.Shards} shard(s); shard I runs the runs k with k mod {o.Shards} == I,\n");
        sb.Append("# k = point * replications + replication. A task that is requeued or rerun resumes its shard.\n");
        sb.Append(inv, $"# Submit: sbatch {Quote(Path.Combine(shared, "sweep.sbatch"))}\n");
        sb.Append(inv, $"# Then:   {o.Lines.Merge(Quote(shared) + "/shard-*", Quote(Path.Combine(shared, "merged")))}\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("cd ").Append(Quote(o.WorkingDir)).Append('\n');
        sb.Append("exec ").Append(sweep).Append('\n');
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
