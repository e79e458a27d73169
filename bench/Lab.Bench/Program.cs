using BenchmarkDotNet.Running;
using Lab.Bench;
using Lab.Cli.Benchmarking;

// `lab bench ...` re-runs itself here (see ReleaseHostLauncher): the lab command line with the
// benchmark host registered. Anything else goes to BenchmarkDotNet's own switcher, e.g.
// dotnet run -c Release --project bench/Lab.Bench -- --filter '*EngineHold*'
if (args.Length > 0 && args[0] == "bench")
{
    BenchHost.Current = new BdnBenchmarkHost();
    return Lab.Cli.LabCommand.Run(args);
}
// Benchmarks whose prerequisites this machine lacks (root for network namespaces) are left out
// with the reason, rather than failing in their setup.
foreach (var t in BdnBenchmarkHost.BenchmarkTypes())
{
    if (BenchmarkPrerequisiteAttribute.UnavailableReason(t) is { } reason) Console.Error.WriteLine($"skipped {t.Name}: {reason}");
}
BenchmarkSwitcher.FromTypes([.. BdnBenchmarkHost.AvailableTypes(BdnBenchmarkHost.BenchmarkTypes())]).Run(args);
return 0;
