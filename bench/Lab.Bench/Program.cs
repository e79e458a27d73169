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
BenchmarkSwitcher.FromAssembly(typeof(BdnBenchmarkHost).Assembly).Run(args);
return 0;
