using Lab.Bench;

// lab bench runs BenchmarkDotNet in this process, Debug or Release: full runs time BenchmarkDotNet's own
// Release child build; only a quick run from a Debug lab (timed in process) re-runs itself in a Release
// build (BdnBenchmarkHost.Measures, ReleaseHostLauncher); tests may ask a Debug lab to time its Debug code (BenchHost.DebugQuickVariable).
return Lab.Cli.LabCommand.Run(args, args.Length > 0 && args[0] == "bench" ? new BdnBenchmarkHost { QuickNeedsOptimizedProcess = !Lab.Benchmarking.BenchHost.DebugQuickRequested } : null);
