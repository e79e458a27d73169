using System.Diagnostics;
using System.Reflection;

namespace Lab.Benchmarking;

/// <summary>
/// The repeated runs of <c>lab bench --runs R</c>, each in a fresh process of this same lab binary
/// (no SDK, no build), asked (<see cref="ChildRunRequest"/>, worded by the front end) to measure
/// without storing and to save its result as a baseline file in a private folder, which is read back. Separate processes because what differs between two
/// back-to-back `lab bench` invocations is mostly not what differs between iterations of one:
/// where the heap and the JIT place a table, which cache sets it maps to, the load of another
/// tenant in that minute. Measured on the 2-core AMD EPYC machine: cache-bound model benchmarks
/// moved 40-80% between processes while repeats inside one process agreed within 0.5-3%
/// (bench/README.md). A host that is not the lab binary (a test runner) repeats in process.
/// </summary>
public static class SeparateProcessRuns
{
    /// <summary>How to start this lab binary again (file and leading arguments), or null when this process is not lab.</summary>
    public static (string File, IReadOnlyList<string> Prefix)? SelfCommand()
    {
        var entry = Assembly.GetEntryAssembly();
        if (entry?.GetName().Name != "lab" || Environment.ProcessPath is not { } path) return null;
        // `dotnet lab.dll` runs under the muxer; the apphost `lab` is the binary itself.
        return Path.GetFileNameWithoutExtension(path) == "dotnet" ? (path, [entry.Location]) : (path, []);
    }

    /// <summary>One child run: the same selection and mode, no store, the result saved as <paramref name="name"/> under <paramref name="dir"/>.</summary>
    public static ChildRunRequest Request(BenchOptions o, IReadOnlyList<string> suites, string name, string dir, string artifacts) =>
        new(suites, o.Mode, o.Filter, name, dir, artifacts);

    const string FailurePrefix = "error: benchmark failed: ";
    const string SkippedPrefix = "skipped (not measured on this machine): ";

    /// <summary>Runs one child to its end and returns what it measured; its output goes to <paramref name="log"/>; <paramref name="adjust"/> may change its start (its environment).</summary>
    public static BenchHostResult RunOnce((string File, IReadOnlyList<string> Prefix) self, BenchOptions o, IReadOnlyList<string> suites,
        int index, string artifacts, TextWriter log, CancellationToken cancellation, Action<ProcessStartInfo>? adjust = null)
    {
        using var tmp = new Lab.Core.PrivateTempDirectory("lab-bench-runs-");
        string name = $"run{index}";
        var commandLine = o.ChildCommandLine ?? throw new InvalidOperationException("the front end gave no command line for measuring processes");
        var psi = SettledJit.StartInfo(self, commandLine(Request(o, suites, name, tmp.Path, Path.Combine(artifacts, name))));
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        adjust?.Invoke(psi);
        var failures = new List<string>();
        var skipped = new List<string>();
        var errors = new List<string>();
        var gate = new object();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {self.File}");
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (gate)
            {
                log.WriteLine(line);
                if (line.StartsWith(FailurePrefix, StringComparison.Ordinal)) failures.Add(line[FailurePrefix.Length..]);
                if (line.StartsWith(SkippedPrefix, StringComparison.Ordinal)) skipped.Add(line[SkippedPrefix.Length..]);
            }
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (gate)
            {
                log.WriteLine(line);
                errors.Add(line);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using (cancellation.Register(() => ProcessTree.Kill(p)))
            p.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        string saved = Path.Combine(tmp.Path, name + ".json");
        if (!File.Exists(saved))
        {
            string why = errors.Count > 0 ? string.Join(" ", errors) : $"exit code {p.ExitCode}";
            if (p.ExitCode == Lab.Core.ExitCodes.BadInput) throw new Lab.Core.ParameterException("runs", $"run {index + 1}: {why}");
            throw new InvalidOperationException($"benchmark run {index + 1} (a separate process of {self.File}) saved nothing: {why}");
        }
        var run = BaselineFile.Load(saved);
        return new BenchHostResult(run.Measurements, failures, run.Machine, run.Optimized) { Skipped = skipped };
    }
}
