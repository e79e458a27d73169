using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lab.Benchmarking;
using Perfolizer.Horology;

namespace Lab.Bench;

/// <summary>
/// Runs the suites with BenchmarkDotNet for `lab bench`: one BenchmarkRunner.Run per suite, each
/// with the reference benchmark, a ManualConfig with the memory diagnoser and the full JSON
/// exporter (under the artifacts folder), and a job by mode: out of process for full runs (a
/// Release build per job), in process (InProcessEmitToolchain) for quick and dry runs.
/// </summary>
public sealed class BdnBenchmarkHost : IBenchmarkHost
{
    public IReadOnlyList<string> Suites => Lab.Bench.Suites.All;

    /// <summary>
    /// Set by the lab binary: quick runs (timed in this process) need this process's model code
    /// optimised. Full runs never do: BenchmarkDotNet's default toolchain generates a project that
    /// references bench/Lab.Bench and builds it with -c Release (Job.Infrastructure.BuildConfiguration,
    /// "Release" by default) and times that child, whatever this process was built as; dry runs
    /// give no numbers. Tests leave it unset to exercise the comparison on Debug code.
    /// </summary>
    public bool QuickNeedsOptimizedProcess { get; init; }

    public bool Measures(BenchMode mode) => mode != BenchMode.Quick || !QuickNeedsOptimizedProcess || ModelCodeOptimized();

    /// <summary>The benchmark classes of this assembly: public, concrete, with at least one [Benchmark] method.</summary>
    public static IReadOnlyList<Type> BenchmarkTypes() =>
        [.. typeof(BdnBenchmarkHost).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            .OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>Every benchmark class of a suite, whether or not it can run here.</summary>
    public static IReadOnlyList<Type> TypesOf(string suite) =>
        [.. BenchmarkTypes().Where(t => t.GetCustomAttribute<BenchmarkCategoryAttribute>()?.Categories.Contains(suite) == true)];

    /// <summary>The benchmark classes that can run on this machine (<see cref="BenchmarkPrerequisiteAttribute"/>).</summary>
    public static IReadOnlyList<Type> AvailableTypes(IEnumerable<Type> types) =>
        [.. types.Where(t => BenchmarkPrerequisiteAttribute.UnavailableReason(t) is null)];

    public static Job JobFor(BenchMode mode)
    {
        switch (mode)
        {
            case BenchMode.Dry:
                return Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("dry");
            case BenchMode.Quick:
                var quick = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2)
                    .WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(40)).WithId("quick");
                if (OperatingSystem.IsLinux()) quick.Infrastructure.Clock = SpeedNormalizedClock.Instance;
                return quick;
            default:
                // BenchmarkDotNet's own child process measures; it gets the same JIT setting as quick runs (SettledJit).
                return Job.Default.WithLaunchCount(1).WithWarmupCount(4).WithIterationCount(15)
                    .WithEnvironmentVariables(new EnvironmentVariable(SettledJit.Variable, SettledJit.Value)).WithId("full");
        }
    }

    /// <summary>Whether the model code is compiled with optimisations (a Release build).</summary>
    /// <summary>
    /// BenchmarkDotNet refuses an assembly that lies under the temp folder, taking it for an xUnit
    /// shadow copy; a checkout under /tmp (as CI clones it) is not one. Point this process's temp
    /// folder elsewhere in that case.
    /// </summary>
    static void MoveTempAwayFromCheckout()
    {
        string location = typeof(BdnBenchmarkHost).Assembly.Location;
        if (!location.StartsWith(Path.GetTempPath(), StringComparison.Ordinal)) return;
        // mkdtemp under /var/tmp (a random name, created exclusively, 0700), not a predictable /var/tmp/lab-bench-PID.
        Environment.SetEnvironmentVariable("TMPDIR", "/var/tmp");
        string elsewhere = Directory.CreateTempSubdirectory("lab-bench-").FullName;
        Environment.SetEnvironmentVariable("TMPDIR", elsewhere);
    }

    public static bool ModelCodeOptimized() =>
        typeof(Lab.Engine.Simulator).Assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };

    public BenchHostResult Run(BenchRequest request)
    {
        var measurements = new List<BenchMeasurement>();
        var failures = new List<string>();
        var skipped = new List<string>();
        var match = request.Filter is null ? null : Glob(request.Filter);
        // A full run times the Release child BenchmarkDotNet builds, whatever this process is.
        bool optimized = request.Mode == BenchMode.Full || ModelCodeOptimized();
        foreach (var suite in request.Suites)
        {
            bool Selected(Type t, MethodInfo m) => match is null || match.IsMatch($"{t.Name}.{m.Name}");
            var types = new List<Type>();
            foreach (var t in TypesOf(suite))
            {
                if (BenchmarkPrerequisiteAttribute.UnavailableReason(t) is not { } reason) types.Add(t);
                else if (t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && Selected(t, m)))
                    skipped.Add($"{suite}/{t.Name}: {reason}");
            }
            bool any = types.Any(t => t != typeof(ReferenceBenchmarks)
                && t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && Selected(t, m)));
            if (!any) continue;
            var config = ManualConfig.CreateEmpty()
                .AddJob(JobFor(request.Mode))
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddExporter(JsonExporter.Full)
                .AddLogger(new TextLogger(request.Log))
                .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
                .AddFilter(new SimpleFilter(c => c.Descriptor.Type == typeof(ReferenceBenchmarks) || Selected(c.Descriptor.Type, c.Descriptor.WorkloadMethod)))
                .WithArtifactsPath(Path.Combine(request.ArtifactsDirectory, suite))
                .WithOptions(ConfigOptions.JoinSummary)
                .WithBuildTimeout(TimeSpan.FromMinutes(15)); // a Release build of the lab on a busy 2-core machine takes minutes
            // JitOptimizationsValidator looks at the benchmark assembly loaded here; in a Debug process that is a
            // Debug Lab.Bench and it fails every run. For a full run it is beside the point (the measured child is
            // BenchmarkDotNet's own Release build); for quick and dry runs the report says DEBUG instead (run.Optimized).
            if (!ModelCodeOptimized()) config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
            MoveTempAwayFromCheckout();
            foreach (var summary in BenchmarkRunner.Run([.. types], config))
            {
                foreach (var e in summary.ValidationErrors) failures.Add($"{suite}: {e.Message}");
                foreach (var report in summary.Reports) Collect(suite, report, measurements, failures);
                foreach (var c in summary.BenchmarksCases)
                {
                    if (!summary.HasReport(c)) failures.Add($"{suite}/{c.Descriptor.Type.Name}.{c.Descriptor.WorkloadMethod.Name}: no report");
                }
            }
        }
        return new BenchHostResult(measurements, failures, Machine(), optimized) { Skipped = skipped };
    }

    static void Collect(string suite, BenchmarkReport report, List<BenchMeasurement> into, List<string> failures)
    {
        var c = report.BenchmarkCase;
        var d = c.Descriptor;
        string name = $"{d.Type.Name}.{d.WorkloadMethod.Name}";
        string parameters = string.Join(",", c.Parameters.Items.Select(p => $"{p.Name}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"));
        var stats = report.ResultStatistics;
        if (!report.Success || stats is null)
        {
            failures.Add($"{suite}/{name}({parameters}): did not run to completion (see the log in the artifacts folder)");
            return;
        }
        string unit = d.WorkloadMethod.GetCustomAttribute<OperationUnitAttribute>()?.Unit
            ?? d.Type.GetCustomAttribute<OperationUnitAttribute>()?.Unit ?? "op";
        double? packets = null, events = null;
        if (d.Type == typeof(EndToEndBenchmarks))
        {
            var w = EndToEndBenchmarks.Workload((string)c.Parameters["Scenario"]);
            (events, packets) = (w.Events, w.Packets);
        }
        long? alloc = report.GcStats.GetBytesAllocatedPerOperation(c);
        // Every measured iteration, per operation, before BenchmarkDotNet's outlier removal: the median copes.
        var perOp = report.GetResultRuns().Select(m => m.Nanoseconds / m.Operations).ToArray();
        if (perOp.Length == 0) perOp = [stats.Mean];
        into.Add(new BenchMeasurement(suite, name, parameters, RobustStatistics.Median(perOp), stats.Mean,
            RobustStatistics.StandardErrorOfMedian(perOp), perOp.Length, alloc, unit, d.Type == typeof(ReferenceBenchmarks), packets, events));
    }

    /// <summary>A shell-style glob (* and ?) over the whole of Type.Method.</summary>
    /// <summary>A glob over Type.Method (* and ?), or several separated by commas (any of them).</summary>
    public static Regex Glob(string pattern) =>
        new("^(?:" + string.Join('|', pattern.Split(',').Select(p =>
            Regex.Escape(p.Trim()).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal))) + ")$",
            RegexOptions.CultureInvariant);

    static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) cpu = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{cpu}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
