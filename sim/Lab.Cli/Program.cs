using Lab.Bench;
using Lab.Benchmarking;

// A Release build of lab runs the benchmarks in this process; a Debug build would measure Debug code,
// so `lab bench` there re-runs itself in a Release build (see ReleaseHostLauncher).
if (args.Length > 0 && args[0] == "bench" && BdnBenchmarkHost.ModelCodeOptimized()) BenchHost.Current = new BdnBenchmarkHost();
return Lab.Cli.LabCommand.Run(args);
