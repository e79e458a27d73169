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

    /// <summary>How many times to measure each suite (interleaved); from 3 on, each benchmark's run-to-run noise is recorded (<see cref="RunNoiseModel"/>).</summary>
    public int Runs { get; init; } = 1;

    /// <summary>With <see cref="Compare"/>: how many more separate runs re-measure the benchmarks the first measurement flagged (0: none; <see cref="BenchConfirmation"/>).</summary>
    public int Confirm { get; init; } = BenchConfirmation.DefaultRuns;

    /// <summary>Compare with a baseline from another CPU model anyway (ratios then mix code and machine).</summary>
    public bool CrossMachine { get; init; }

    /// <summary>How the front end asks a fresh process of its binary (or of a baseline commit's) to measure: its command line for a <see cref="ChildRunRequest"/>. Without it, runs repeat in this process and confirmation is never interleaved.</summary>
    public Func<ChildRunRequest, IReadOnlyList<string>>? ChildCommandLine { get; init; }

    /// <summary>How the front end names the bench command in the report's header and in errors; null: the library's names.</summary>
    public Wording? Words { get; init; }
}

/// <summary>What one measuring child process does: run these suites (filtered) in this mode, store nothing, and save the result as the baseline file <paramref name="SaveName"/>.json in <paramref name="SaveDirectory"/>.</summary>
public sealed record ChildRunRequest(IReadOnlyList<string> Suites, BenchMode Mode, string? Filter, string SaveName, string SaveDirectory, string ArtifactsDirectory);

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
        throw new ParameterException("compare", $"no baseline file '{value}' (nor {Path.Combine(baselineDir, value + ".json")})");
    }

    /// <param name="cancellation">Ctrl-C or SIGTERM: every process this one started (BenchmarkDotNet's builds and benchmark children, child runs) is killed at once (<see cref="ProcessTree"/>); BenchmarkDotNet itself takes no token, so the in-process part ends with the process.</param>
    public static int Run(IBenchmarkHost host, BenchOptions o, TextWriter output, CancellationToken cancellation = default)
    {
        using var reaper = new InterruptReaper(cancellation);
        foreach (var s in o.Suites)
        {
            if (!host.Suites.Contains(s, StringComparer.Ordinal))
                throw new ParameterException("suite", $"expected one of {string.Join(", ", host.Suites)}, found '{s}'");
        }
        if (o.Save is { } name && !BaselineName().IsMatch(name))
            throw new ParameterException("save", $"expected a name of letters, digits, '.', '_' or '-', found '{name}'");
        string baselineDir = o.BaselineDirectory ?? DefaultBaselineDirectory();
        BenchRun? baseline = null;
        string? baselinePath = null;
        if (o.Compare is { } cmp)
        {
            if (o.Mode == BenchMode.Dry) throw new ParameterException("compare", "a dry run measures nothing; use ", new ParameterName("quick"), " or a full run");
            baselinePath = ResolveBaseline(cmp, baselineDir);
            baseline = BaselineFile.Load(baselinePath);
        }
        if (o.Runs < 1) throw new ParameterException("runs", $"expected a positive integer, found {o.Runs}");
        if (o.Confirm is < 0 or > 50) throw new ParameterException("confirm", $"expected 0 to 50 runs, found {o.Confirm}");
        string? cpu = CpuModel.Current();
        string? machineWarning = baseline is null ? null : MachineCheck(baseline, baselinePath!, cpu, o.CrossMachine);

        var suites = o.Suites.Count > 0 ? o.Suites.Distinct().ToList() : [.. host.Suites];
        // Without --artifacts, a private folder (mkdtemp, 0700): a predictable /tmp/lab-bench-PID could be planted.
        string artifacts = o.ArtifactsDirectory ?? Directory.CreateTempSubdirectory("lab-bench-").FullName;
        TextWriter log = o.Verbose ? output : TextWriter.Null;
        // Runs interleave: every suite once, then every suite again, so a spell of load from other tenants is spread over the runs.
        var results = new List<BenchHostResult>();
        double? highestLoad = MachineLoad.OneMinute();
        var self = o.Runs > 1 && o.ChildCommandLine is not null ? SeparateProcessRuns.SelfCommand() : null;
        if (o.Runs > 1 && self is null)
            output.WriteLine($"note: {o.Runs} runs: this host is not the lab binary, so the runs repeat in this process (their noise is less than between processes)");
        for (int i = 0; i < o.Runs; i++)
        {
            results.Add(self is { } cmd ? SeparateProcessRuns.RunOnce(cmd, o, suites, i, artifacts, log, cancellation)
                : host.Run(new BenchRequest(suites, o.Mode, o.Filter, artifacts, log)));
            highestLoad = Max(highestLoad, MachineLoad.OneMinute());
            if (o.Runs > 1) output.WriteLine($"run {i + 1} of {o.Runs} done");
            cancellation.ThrowIfCancellationRequested();
        }
        var result = results[0] with
        {
            Measurements = BenchRunMerge.Merge([.. results.Select(r => r.Measurements)]),
            Failures = [.. results.SelectMany(r => r.Failures).Distinct()],
        };
        if (result.Measurements.Count == 0 && result.Failures.Count == 0)
        {
            if (result.Skipped.Count > 0)
                throw ParameterException.Mentioning(new CommandName("bench"), $": every selected benchmark was left out on this machine: {string.Join("; ", result.Skipped)}");
            throw o.Filter is null ? ParameterException.Mentioning(new CommandName("bench"), ": no benchmark ran") : new ParameterException("filter", $"no benchmark matches '{o.Filter}'");
        }

        var now = DateTimeOffset.UtcNow;
        var run = new BenchRun($"bench-{now.UtcDateTime.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}",
            now, LabInfo.Commit, LabInfo.Version, Environment.MachineName, result.Machine, o.Mode, result.Optimized,
            BenchHost.SlowdownRequested, result.Measurements) { CpuModel = cpu, Runs = o.Runs };
        output.Write(BenchReport.FormatRun(run, o.Words));
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
            if (comparison.Failed && o.Confirm > 0)
            {
                var (filter, confirmSuites) = BenchConfirmation.Selection(comparison);
                var again = o with { Filter = filter };
                string? notInterleaved = null;
                var paired = o.Mode != BenchMode.Quick ? null : TryInterleaved(host, baseline, comparison, again, confirmSuites, artifacts, log, output, cancellation, out notInterleaved);
                if (paired is not null)
                {
                    comparison = paired.Value.Comparison;
                    highestLoad = Max(highestLoad, paired.Value.Load);
                }
                else
                {
                    output.WriteLine($"note: the confirmation re-measures this code alone, not interleaved with the baseline's: {notInterleaved ?? "interleaving times quick runs only"}");
                    for (int i = 0; i < o.Confirm; i++)
                    {
                        results.Add(self is { } cmd ? SeparateProcessRuns.RunOnce(cmd, again, confirmSuites, o.Runs + i, artifacts, log, cancellation)
                            : host.Run(new BenchRequest(confirmSuites, o.Mode, filter, artifacts, log)));
                        highestLoad = Max(highestLoad, MachineLoad.OneMinute());
                        output.WriteLine($"confirmation run {i + 1} of {o.Confirm} done");
                        cancellation.ThrowIfCancellationRequested();
                    }
                    var merged = run with { Measurements = BenchRunMerge.Merge([.. results.Select(r => r.Measurements)]) };
                    var second = BenchComparer.Compare(baseline.Rated(), merged.Rated(), o.Threshold);
                    output.Write(BenchConfirmation.Format(comparison, second, o.Runs + o.Confirm));
                    comparison = BenchConfirmation.Combine(comparison, second);
                }
            }
            if (machineWarning is not null) output.WriteLine(machineWarning);
            if (MachineLoad.Warning(highestLoad, Environment.ProcessorCount) is { } busy) output.WriteLine(busy);
            if (baseline.Mode != run.Mode)
                output.WriteLine($"note: the baseline is a {baseline.Mode.ToString().ToLowerInvariant()} run and this one {run.Mode.ToString().ToLowerInvariant()}: ratios compare, noise differs");
            if (comparison.Failed) exit = ExitCodes.CheckFailed;
        }
        return exit;
    }

    /// <summary>
    /// The interleaved confirmation (<see cref="InterleavedConfirmation"/>): the baseline commit's
    /// own bench host (<see cref="BaselineHostBuild"/>) and this code alternately, one pair per
    /// confirmation run. Null, with <paramref name="why"/>, when the baseline's code cannot be
    /// built or run; the caller then re-measures this code alone.
    /// </summary>
    static (BenchComparison Comparison, double? Load)? TryInterleaved(IBenchmarkHost host, BenchRun baseline, BenchComparison first, BenchOptions again,
        IReadOnlyList<string> suites, string artifacts, TextWriter log, TextWriter output, CancellationToken cancellation, out string? why)
    {
        why = null;
        if (again.ChildCommandLine is null)
        {
            why = "this front end starts no measuring processes";
            return null;
        }
        BaselineHost baselineHost;
        try
        {
            baselineHost = BaselineHostBuild.Obtain(baseline.Commit, output, cancellation);
        }
        catch (BaselineHostUnavailableException e)
        {
            why = e.Message;
            return null;
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested && e is IOException or UnauthorizedAccessException)
        {
            why = $"the baseline's code could not be built: {e.Message}";
            return null;
        }
        // The candidate runs in separate processes of this binary; a host that is not the lab binary (a test runner) measures in process.
        var self = SeparateProcessRuns.SelfCommand();
        var pairs = new List<(IReadOnlyList<BenchMeasurement>, IReadOnlyList<BenchMeasurement>)>();
        double? load = MachineLoad.OneMinute();
        for (int i = 0; i < again.Confirm; i++)
        {
            BenchHostResult b;
            try
            {
                // The baseline's code is not the slowed build the test switch stands for.
                b = SeparateProcessRuns.RunOnce(baselineHost.Command, again, suites, 1000 + 2 * i, artifacts, log, cancellation,
                    psi => psi.Environment.Remove(BenchHost.SlowdownVariable));
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested && e is InvalidOperationException or ParameterException)
            {
                why = $"the baseline's code (commit {baselineHost.Commit[..12]}) failed to run: {e.Message}";
                return null;
            }
            var c = self is { } cmd ? SeparateProcessRuns.RunOnce(cmd, again, suites, 1001 + 2 * i, artifacts, log, cancellation)
                : host.Run(new BenchRequest(suites, again.Mode, again.Filter, artifacts, log));
            pairs.Add((b.Measurements, c.Measurements));
            load = Max(load, MachineLoad.OneMinute());
            output.WriteLine($"confirmation pair {i + 1} of {again.Confirm} done (the baseline's code, then this one)");
            cancellation.ThrowIfCancellationRequested();
        }
        var judged = InterleavedConfirmation.Judge(first, pairs, again.Threshold);
        output.Write(InterleavedConfirmation.Format(first, judged, baselineHost.Commit[..12], pairs.Count));
        return (InterleavedConfirmation.Combine(first, judged), load);
    }

    static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    /// <summary>
    /// Kills this process's descendants when the run is interrupted: at once (the token's callback,
    /// on the signal's thread), and again when the process is ended for not unwinding
    /// (Environment.Exit runs ProcessExit), since BenchmarkDotNet, which takes no token, may have
    /// started its next child meanwhile.
    /// </summary>
    sealed class InterruptReaper : IDisposable
    {
        readonly CancellationToken _cancellation;
        readonly CancellationTokenRegistration _registration;

        public InterruptReaper(CancellationToken cancellation)
        {
            _cancellation = cancellation;
            AppDomain.CurrentDomain.ProcessExit += OnExit;
            _registration = cancellation.Register(ProcessTree.KillDescendants);
        }

        void OnExit(object? sender, EventArgs e)
        {
            if (_cancellation.IsCancellationRequested) ProcessTree.KillDescendants();
        }

        public void Dispose()
        {
            _registration.Dispose();
            AppDomain.CurrentDomain.ProcessExit -= OnExit;
            if (_cancellation.IsCancellationRequested) ProcessTree.KillDescendants();
        }
    }

    /// <summary>
    /// A comparison across CPU models measures the machine, not the code: refused (exit 2) naming
    /// both models, unless <paramref name="crossMachine"/>, then a loud warning. A baseline that
    /// does not record its CPU model is compared with a loud warning that says "unknown".
    /// Returns the warning to print after the comparison, or null.
    /// </summary>
    public static string? MachineCheck(BenchRun baseline, string baselinePath, string? currentCpu, bool crossMachine)
    {
        string here = currentCpu ?? CpuModel.Unknown;
        if (baseline.CpuModel is null)
            return $"WARNING: the baseline {baselinePath} does not record its CPU model (unknown; its machine line: \"{baseline.Machine}\"); "
                + $"this machine is \"{here}\". If they differ, the changes above measure the machine, not the code: save a baseline on this machine and compare with that.";
        if (currentCpu is not null && string.Equals(baseline.CpuModel, currentCpu, StringComparison.Ordinal)) return null;
        string differ = $"the baseline {baselinePath} was measured on \"{baseline.CpuModel}\" and this machine is \"{here}\"";
        if (!crossMachine)
            throw new ParameterException("compare", $"{differ}; ratios to the reference do not carry across CPU models (cache sizes and latencies differ), "
                + "so the comparison would measure the machine, not the code. Compare with a baseline saved on this CPU model (", new ParameterName("save"),
                " NAME), or pass ", new ParameterName("cross-machine"), " to compare anyway");
        return $"WARNING: CROSS-MACHINE COMPARISON (asked for): {differ}; the changes above mix the code's and the machine's.";
    }
}
