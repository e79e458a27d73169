using System.Globalization;
using System.Text.RegularExpressions;
using Lab.Simulation.Running;
using Lab.Core;

namespace Lab.Benchmarking;

/// <summary>The options of `lab bench`.</summary>
public sealed record BenchOptions
{
    public IReadOnlyList<string> Suites { get; init; } = [];
    public BenchMode Mode { get; init; } = BenchMode.Full;
    public string? Filter { get; init; }
    public string? Compare { get; init; }
    public double Threshold { get; init; } = 0.10;
    public string? Save { get; init; }
    public string? BaselineDirectory { get; init; }
    public string? Database { get; init; }
    public bool NoStore { get; init; }
    public string? ArtifactsDirectory { get; init; }
    public bool Verbose { get; init; }
}

/// <summary>
/// One `lab bench` invocation: run the suites on the registered host, print the table, record
/// the run in the results store, save it as a baseline, and compare it with a baseline.
/// Returns 0, or 1 when a benchmark failed to run or got slower than the threshold.
/// </summary>
public static partial class BenchSession
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex BaselineName();

    /// <summary>bench/baselines of the checkout (or of the current directory when there is none).</summary>
    public static string DefaultBaselineDirectory() =>
        Path.Combine(ReleaseHostLauncher.FindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "bench", "baselines");

    /// <summary>A baseline given as a file, or as a name under the baseline directory.</summary>
    public static string ResolveBaseline(string value, string baselineDir)
    {
        if (File.Exists(value)) return value;
        foreach (var candidate in new[] { Path.Combine(baselineDir, value), Path.Combine(baselineDir, value + ".json") })
        {
            if (File.Exists(candidate)) return candidate;
        }
        throw new LabInputException($"--compare: no baseline file '{value}' (nor {Path.Combine(baselineDir, value + ".json")})");
    }

    public static int Run(IBenchmarkHost host, BenchOptions o, TextWriter output)
    {
        foreach (var s in o.Suites)
        {
            if (!host.Suites.Contains(s, StringComparer.Ordinal))
                throw new LabInputException($"--suite: expected one of {string.Join(", ", host.Suites)}, found '{s}'");
        }
        if (o.Save is { } name && !BaselineName().IsMatch(name))
            throw new LabInputException($"--save: expected a name of letters, digits, '.', '_' or '-', found '{name}'");
        string baselineDir = o.BaselineDirectory ?? DefaultBaselineDirectory();
        BenchRun? baseline = null;
        string? baselinePath = null;
        if (o.Compare is { } cmp)
        {
            if (o.Mode == BenchMode.Dry) throw new LabInputException("--compare: a dry run measures nothing; use --quick or a full run");
            baselinePath = ResolveBaseline(cmp, baselineDir);
            baseline = BaselineFile.Load(baselinePath);
        }

        var suites = o.Suites.Count > 0 ? o.Suites.Distinct().ToList() : [.. host.Suites];
        // Without --artifacts, a private folder (mkdtemp, 0700): a predictable /tmp/lab-bench-PID could be planted.
        string artifacts = o.ArtifactsDirectory ?? Directory.CreateTempSubdirectory("lab-bench-").FullName;
        TextWriter log = o.Verbose ? output : TextWriter.Null;
        var result = host.Run(new BenchRequest(suites, o.Mode, o.Filter, artifacts, log));
        if (result.Measurements.Count == 0 && result.Failures.Count == 0)
        {
            if (result.Skipped.Count > 0)
                throw new LabInputException($"lab bench: every selected benchmark was left out on this machine: {string.Join("; ", result.Skipped)}");
            throw new LabInputException(o.Filter is null ? "lab bench: no benchmark ran" : $"--filter: no benchmark matches '{o.Filter}'");
        }

        var now = DateTimeOffset.UtcNow;
        var run = new BenchRun($"bench-{now.UtcDateTime.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}",
            now, LabInfo.Commit, LabInfo.Version, Environment.MachineName, result.Machine, o.Mode, result.Optimized,
            BenchHost.SlowdownRequested, result.Measurements);
        output.Write(BenchReport.FormatRun(run));
        foreach (var s in result.Skipped) output.WriteLine($"skipped (not measured on this machine): {s}");
        foreach (var f in result.Failures) output.WriteLine($"error: benchmark failed: {f}");

        if (!o.NoStore)
        {
            string db = o.Database ?? Lab.Results.ResultsStore.DefaultPath();
            using var store = new BenchStore(db);
            store.Record(run);
            output.WriteLine($"\nrecorded as {run.RunId} in {db} (tables bench_runs, bench_results)");
        }
        if (o.Save is { } saveName)
        {
            string path = Path.Combine(baselineDir, saveName + ".json");
            BaselineFile.Save(path, run, saveName);
            output.WriteLine($"saved baseline {path}");
        }
        int exit = result.Failures.Count > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        if (baseline is not null)
        {
            var comparison = BenchComparer.Compare(baseline.Rated(), run.Rated(), o.Threshold);
            output.Write(BenchReport.FormatComparison(comparison, baseline, baselinePath!));
            if (baseline.Mode != run.Mode)
                output.WriteLine($"note: the baseline is a {baseline.Mode.ToString().ToLowerInvariant()} run and this one {run.Mode.ToString().ToLowerInvariant()}: ratios compare, noise differs");
            if (comparison.Failed) exit = ExitCodes.CheckFailed;
        }
        return exit;
    }
}
