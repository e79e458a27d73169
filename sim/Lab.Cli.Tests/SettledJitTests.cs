using Lab.Bench;
using Lab.Benchmarking;

namespace Lab.Cli.Tests;

/// <summary>Every process that measures benchmarks starts with tier-1 compilation undelayed (SettledJit, bench/README.md).</summary>
public sealed class SettledJitTests
{
    static readonly string[] BenchArgs = ["bench", "--quick", "--suite", "models"];

    [Fact]
    public void A_relaunched_quick_run_is_this_binary_with_the_same_arguments_and_the_setting()
    {
        var psi = SettledJit.StartInfo(("/usr/bin/dotnet", ["/opt/lab/lab.dll"]), BenchArgs);
        Assert.Equal("/usr/bin/dotnet", psi.FileName);
        Assert.Equal(["/opt/lab/lab.dll", .. BenchArgs], psi.ArgumentList);
        Assert.Equal("0", psi.Environment["DOTNET_TC_CallCountingDelayMs"]);
    }

    [Fact]
    public void The_release_host_gets_the_setting()
    {
        var psi = ReleaseHostLauncher.StartInfo("/src/lab", BenchArgs);
        Assert.Equal("dotnet", psi.FileName);
        Assert.Equal(["run", "-c", "Release", "-v", "q", "--project", "/src/lab/sim/Lab.Cli/Lab.Cli.csproj", "--", .. BenchArgs], psi.ArgumentList);
        Assert.Equal("0", psi.Environment["DOTNET_TC_CallCountingDelayMs"]);
    }

    [Fact]
    public void BenchmarkDotNets_own_children_of_a_full_run_get_the_setting()
    {
        var variables = BdnBenchmarkHost.JobFor(BenchMode.Full).Environment.EnvironmentVariables;
        Assert.NotNull(variables);
        var setting = Assert.Single(variables, v => v.Key == "DOTNET_TC_CallCountingDelayMs");
        Assert.Equal("0", setting.Value);
    }
}
