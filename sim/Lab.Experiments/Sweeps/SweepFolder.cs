using System.Globalization;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// A sweep's output folder:
/// <code>
/// DIR/sweep.json          what this is a sweep of (SweepManifest)
/// DIR/runs/pP-rR.json     one file per finished run (RunFile), the completion record
/// DIR/sweep.log           one line per run executed, with the process that ran it
/// DIR/summary.json ...    the results folder files (RESULTS-FORMAT.md), rebuilt from runs/ at the end
/// </code>
/// </summary>
public sealed class SweepFolder
{
    readonly Lock _logLock = new();

    public SweepFolder(string dir)
    {
        Dir = Path.GetFullPath(dir);
        RunsDir = Path.Combine(Dir, "runs");
    }

    public string Dir { get; }

    public string RunsDir { get; }

    public string LogPath => Path.Combine(Dir, "sweep.log");

    public string ManifestPath => Path.Combine(Dir, SweepManifest.FileName);

    public bool HasManifest => File.Exists(ManifestPath);

    public void Create()
    {
        Directory.CreateDirectory(RunsDir);
        // Temporary files of runs that a killed process was writing: never complete, never read.
        foreach (var f in Directory.EnumerateFiles(RunsDir, ".p*.tmp-*")) File.Delete(f);
    }

    /// <summary>Forgets every run (and the manifest and log) of an earlier sweep in this folder.</summary>
    public void Restart()
    {
        if (Directory.Exists(RunsDir)) Directory.Delete(RunsDir, true);
        if (File.Exists(ManifestPath)) File.Delete(ManifestPath);
        if (File.Exists(LogPath)) File.Delete(LogPath);
    }

    /// <summary>
    /// Holds DIR/sweep.lock exclusively (an flock: the kernel drops it when the process dies) so
    /// that two sweeps never run in one folder at once and duplicate its runs.
    /// </summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Dir);
        if (OutputFolder.ReadMarker(Dir)?.Kind != OutputKind.Sweep) OutputFolder.WriteMarker(Dir, OutputKind.Sweep);
        try
        {
            return new FileStream(Path.Combine(Dir, "sweep.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw ParameterException.Mentioning($"{Dir}: another `", new CommandName("sweep"), "` is running in this folder (sweep.lock is held); wait for it or choose another ", new ParameterName("out"));
        }
    }

    public void WriteManifest(SweepManifest manifest) => RunFile.WriteAtomically(ManifestPath, manifest.Serialize());

    public string RunPath(RunKey key) => Path.Combine(RunsDir, key.FileName);

    public void WriteRun(string runHash, RunKey key, ReplicationResult result) =>
        RunFile.WriteAtomically(RunPath(key), RunFile.Serialize(runHash, key, result));

    /// <summary>The runs present on disk, in (point, replication) order.</summary>
    public List<RunKey> RunKeys()
    {
        var keys = new List<RunKey>();
        if (!Directory.Exists(RunsDir)) return keys;
        foreach (var f in Directory.EnumerateFiles(RunsDir, "p*.json"))
        {
            if (RunKey.FromFileName(Path.GetFileName(f)) is { } k) keys.Add(k);
        }
        keys.Sort();
        return keys;
    }

    /// <summary>Reads a run file and refuses it if it was made from another scenario.</summary>
    public ReplicationResult ReadRun(RunKey key, string expectedRunHash)
    {
        string path = RunPath(key);
        var c = RunFile.Read(path);
        if (c.RunHash != expectedRunHash) throw DifferentScenario(path, c.RunHash, expectedRunHash);
        if (c.Key != key) throw new LabInputException($"{path}: holds run {c.Key}, not {key}");
        return c.Result;
    }

    public ParameterException DifferentScenario(string what, string found, string expected) =>
        ParameterException.Mentioning(
            $"{what}: made from a different scenario (run hash {found[..12]}, this scenario's is {expected[..12]}): the scenario file, its ",
            new ParameterName("set"), " overrides or its seed changed. Use ", new ParameterName("restart"), $" to discard the runs in {Dir}, or choose another ", new ParameterName("out"));

    public void LogExecution(RunKey key, TimeSpan elapsed)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} pid {Environment.ProcessId} ran {key} in {elapsed.TotalSeconds:F3} s\n");
        lock (_logLock) File.AppendAllText(LogPath, line);
    }

    /// <summary>
    /// Writes the results folder files into DIR, each one atomically (a temporary folder inside
    /// DIR, then one rename per file): DIR also holds runs/, so it cannot be swapped as a whole.
    /// </summary>
    public void WriteResults(RunSet set, Provenance provenance)
    {
        // sweep.lock is held: any .results.tmp-PID here is a killed sweep's leftover.
        foreach (var stale in Directory.EnumerateDirectories(Dir, ".results.tmp-*"))
        {
            if (new DirectoryInfo(stale).LinkTarget is null) Directory.Delete(stale, true);
            else File.Delete(stale);
        }
        string tmp = Path.Combine(Dir, $".results.tmp-{Environment.ProcessId}");
        Directory.CreateDirectory(tmp);
        try
        {
            ResultsWriter.WriteFiles(tmp, set, provenance);
            foreach (var f in Directory.GetFiles(tmp).Order(StringComparer.Ordinal))
                File.Move(f, Path.Combine(Dir, Path.GetFileName(f)), overwrite: true);
        }
        finally
        {
            Directory.Delete(tmp, true);
        }
    }
}
