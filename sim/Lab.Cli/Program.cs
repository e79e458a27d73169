using Lab.Bench;
using Lab.Benchmarking;

// lab bench runs BenchmarkDotNet in this process, Debug or Release: full runs time BenchmarkDotNet's own
// Release child build; only a quick run from a Debug lab (timed in process) re-runs itself in a Release
// build (BdnBenchmarkHost.Measures, ReleaseHostLauncher).
if (args.Length > 0 && args[0] == "bench") BenchHost.Current = new BdnBenchmarkHost { QuickNeedsOptimizedProcess = true };
return Lab.Cli.LabCommand.Run(args);
