using System.Diagnostics;

namespace Lab.Benchmarking;

/// <summary>
/// A quick run times code in the process that runs it, after two 40 ms warm-up iterations. The
/// runtime compiles a hot method at tier 1 only once 100 ms pass without new tier-0 activity
/// (TC_CallCountingDelayMs), so whether a nanosecond-scale benchmark was measured in tier-0, OSR or
/// tier-1 code differed from process to process: on the 2-core AMD EPYC machine, 10 back-to-back
/// quick reruns of one commit had ReplayBenchmarks cases 40-960% slower in some processes and not
/// in others (bench/README.md). With the delay at 0, tier-1 code is in place before the first
/// measured iteration, and the same cases agreed within about 10% in 10 of 12 processes. Every
/// process that measures (quick runs, their confirmation runs, BenchmarkDotNet's own children)
/// therefore runs with it.
/// </summary>
public static class SettledJit
{
    public const string Variable = "DOTNET_TC_CallCountingDelayMs";
    public const string Value = "0";

    /// <summary>Whether this process started with the setting.</summary>
    public static bool InEffect => Environment.GetEnvironmentVariable(Variable) == Value;

    /// <summary>Gives a child process the setting.</summary>
    public static void Apply(ProcessStartInfo psi) => psi.Environment[Variable] = Value;

    /// <summary>This lab binary with <paramref name="labArgs"/> and the setting.</summary>
    public static ProcessStartInfo StartInfo((string File, IReadOnlyList<string> Prefix) self, IReadOnlyList<string> labArgs)
    {
        var psi = new ProcessStartInfo(self.File);
        foreach (var a in self.Prefix) psi.ArgumentList.Add(a);
        foreach (var a in labArgs) psi.ArgumentList.Add(a);
        Apply(psi);
        return psi;
    }

    /// <summary>
    /// Runs <paramref name="labArgs"/> again in a fresh process of this lab binary with the setting, passing its output on;
    /// returns its exit code.
    /// </summary>
    public static int Relaunch((string File, IReadOnlyList<string> Prefix) self, IReadOnlyList<string> labArgs,
        TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var psi = StartInfo(self, labArgs);
        error.WriteLine($"measuring in a child process with {Variable}={Value}, so the timed code is tier-1 code (bench/README.md)");
        return PipedChild.Run(psi, output, error, cancellation);
    }
}
