namespace Lab.Benchmarking;

/// <summary>How long and how carefully `lab bench` measures.</summary>
public enum BenchMode
{
    /// <summary>Out of process (a Release build of bench/Lab.Bench per job), enough iterations for baselines.</summary>
    Full,

    /// <summary>In process, few short iterations: a regression check that runs in minutes.</summary>
    Quick,

    /// <summary>In process, every benchmark once (BenchmarkDotNet's Dry job): a smoke test, no usable numbers.</summary>
    Dry,
}

/// <summary>What to run: suites (empty = all), an optional name filter (glob over Type.Method), and where BenchmarkDotNet writes its artifacts.</summary>
public sealed record BenchRequest(IReadOnlyList<string> Suites, BenchMode Mode, string? Filter, string ArtifactsDirectory, TextWriter Log);

/// <summary>
/// One benchmark case as measured: statistics are per operation (BenchmarkDotNet divides by
/// OperationsPerInvoke), nanoseconds per event, per packet, per lookup or per scenario run
/// (<see cref="OpUnit"/>), over <see cref="N"/> iterations. The median is what rates and
/// comparisons use: on a shared machine some iterations run at half speed (another tenant on the
/// core), which drags the mean but not the median. <see cref="StdErrNs"/> is the standard error
/// of the median, estimated robustly (<see cref="RobustStatistics"/>). <see cref="AllocatedBytes"/>
/// is per operation (MemoryDiagnoser), null when not measured. End-to-end runs also say how many
/// simulated packets and events one operation holds, so rates per wall second follow.
/// </summary>
public sealed record BenchMeasurement(
    string Suite,
    string Benchmark,
    string Parameters,
    double MedianNs,
    double MeanNs,
    double StdErrNs,
    int N,
    double? AllocatedBytes,
    string OpUnit,
    bool IsReference,
    double? PacketsPerOp = null,
    double? EventsPerOp = null)
{
    /// <summary>Identity across runs: suite, benchmark and parameters.</summary>
    public string Key => Parameters.Length == 0 ? $"{Suite}/{Benchmark}" : $"{Suite}/{Benchmark}({Parameters})";

    /// <summary>Relative standard error of the mean (0 when not measured, e.g. one dry iteration).</summary>
    public double RelativeStdErr => MedianNs > 0 && double.IsFinite(StdErrNs) ? StdErrNs / MedianNs : 0;

    public double OpsPerSecond => MedianNs > 0 ? 1e9 / MedianNs : 0;

    /// <summary>How many runs (<c>--runs</c>) this measurement summarises; its median is the median over them.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>
    /// The benchmark's run-to-run noise: the robust standard deviation (1.4826 x MAD) of the log of
    /// its ratio to the reference across <see cref="Runs"/> runs, i.e. of one run's ratio, relative.
    /// Null when measured fewer than <see cref="RunNoiseModel.MinimumRuns"/> times.
    /// </summary>
    public double? RunNoise { get; init; }
}

/// <summary>A measurement with its ratio to the suite's reference benchmark measured in the same run.</summary>
/// <param name="Ratio">Median / the reference's median: what comparisons across runs and machines use.</param>
/// <param name="RatioRelStdErr">Relative standard error of the ratio: both relative errors added in quadrature (delta method).</param>
/// <param name="RatioDegreesOfFreedom">The smaller iteration count of the two, less one: for Student's t.</param>
public sealed record RatedMeasurement(BenchMeasurement M, double Ratio, double RatioRelStdErr, int RatioDegreesOfFreedom)
{
    public string Key => M.Key;
}

/// <summary>A whole `lab bench` run: where and what it measured.</summary>
public sealed record BenchRun(
    string RunId,
    DateTimeOffset Date,
    string Commit,
    string LabVersion,
    string Host,
    string Machine,
    BenchMode Mode,
    bool Optimized,
    bool Slowdown,
    IReadOnlyList<BenchMeasurement> Measurements)
{
    /// <summary>/proc/cpuinfo's "model name" of the machine that measured it (<see cref="Benchmarking.CpuModel"/>); null when not recorded (baselines before it was).</summary>
    public string? CpuModel { get; init; }

    /// <summary>How many times each suite was measured (<c>--runs</c>); per-benchmark figures are the medians over them.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>Every measurement with its ratio to its suite's reference; suites without a reference measurement are left out.</summary>
    public IReadOnlyList<RatedMeasurement> Rated() => BenchRatios.Rate(Measurements);
}

/// <summary>Runs benchmarks. Implemented by bench/Lab.Bench with BenchmarkDotNet; registered in <see cref="BenchHost"/>.</summary>
public interface IBenchmarkHost
{
    /// <summary>Suite names, in the order they run.</summary>
    IReadOnlyList<string> Suites { get; }

    /// <summary>Runs the request.</summary>
    BenchHostResult Run(BenchRequest request);

    /// <summary>Whether this host measures the code `lab bench` means in this mode (false: a Debug process asked for in-process timings).</summary>
    bool Measures(BenchMode mode) => true;
}

/// <summary>What a host measured; <paramref name="Failures"/> names benchmark cases that threw or produced no result.</summary>
/// <param name="Machine">One line: CPU, cores, OS, runtime.</param>
/// <param name="Optimized">Whether the measured code was compiled with optimisations (a Release build).</param>
public sealed record BenchHostResult(IReadOnlyList<BenchMeasurement> Measurements, IReadOnlyList<string> Failures, string Machine, bool Optimized)
{
    /// <summary>Benchmark classes left out because this machine lacks what they need: "suite/Type: reason".</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];
}

/// <summary>
/// What the benchmark hosts share. The host itself is passed to `lab bench` by the process that
/// runs it (sim/Lab.Cli's Program registers bench/Lab.Bench's); where it cannot measure the
/// requested mode (<see cref="IBenchmarkHost.Measures"/>: a Debug <c>lab</c> asked for a quick run,
/// which times code in this process), `lab bench` re-runs itself inside a Release build of
/// sim/Lab.Cli (see <see cref="ReleaseHostLauncher"/>).
/// </summary>
public static class BenchHost
{
    /// <summary>Environment variable of the test-only slowdown switch (read by the packet-path benchmark at its setup).</summary>
    public const string SlowdownVariable = "LAB_BENCH_SLOWDOWN";

    public static bool SlowdownRequested => Environment.GetEnvironmentVariable(SlowdownVariable) == "1";

    /// <summary>
    /// Test-only: a Debug lab times its own (Debug) code in quick runs instead of re-running in a
    /// Release build, as the in-process tests do; so a test's interleaved confirmation can run the
    /// lab beside the tests as the baseline's code and compare like with like.
    /// </summary>
    public const string DebugQuickVariable = "LAB_BENCH_DEBUG_QUICK";

    public static bool DebugQuickRequested => Environment.GetEnvironmentVariable(DebugQuickVariable) == "1";
}
