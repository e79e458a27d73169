using BenchmarkDotNet.Running;
using Lab.Bench;

// BenchmarkDotNet's own switcher, e.g.
// dotnet run -c Release --project bench/Lab.Bench -- --filter '*EngineHold*'
// `lab bench` runs these suites through BdnBenchmarkHost (sim/Lab.Cli registers it in a Release build).
if (args.Length > 0 && args[0] == "bench")
{
    // This project once hosted `lab bench` itself; the lab command now links these suites.
    Console.Error.WriteLine("Lab.Bench: `bench` is a lab command now: dotnet run -c Release --project sim/Lab.Cli -- bench ...");
    return 2;
}
// Benchmarks whose prerequisites this machine lacks (root for network namespaces) are left out
// with the reason, rather than failing in their setup.
foreach (var t in BdnBenchmarkHost.BenchmarkTypes())
{
    if (BenchmarkPrerequisiteAttribute.UnavailableReason(t) is { } reason) Console.Error.WriteLine($"skipped {t.Name}: {reason}");
}
BenchmarkSwitcher.FromTypes([.. BdnBenchmarkHost.AvailableTypes(BdnBenchmarkHost.BenchmarkTypes())]).Run(args);
return 0;
