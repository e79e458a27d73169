using System.Diagnostics;
using Lab.Core;

namespace Lab.Benchmarking;

/// <summary>
/// A quick run times code in the lab's own process, so a Debug <c>lab</c> would measure Debug code.
/// So `lab bench --quick` whose host cannot measure it (<see cref="IBenchmarkHost.Measures"/>) re-runs the same command line inside a Release build of sim/Lab.Cli
/// (<c>dotnet run -c Release --project sim/Lab.Cli -- bench ...</c>), which registers the
/// BenchmarkDotNet host of bench/Lab.Bench; the project is found by walking up from the current
/// directory or from the binary's folder, and its output and exit code are passed on.
/// </summary>
public static class ReleaseHostLauncher
{
    public const string ProjectRelativePath = "sim/Lab.Cli/Lab.Cli.csproj";

    /// <summary>The checkout holding sim/Lab.Cli, or null.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, ProjectRelativePath))) return dir.FullName;
            }
        }
        return null;
    }

    /// <summary>The dotnet arguments that run <paramref name="labArgs"/> (beginning with "bench") in the Release host.</summary>
    public static IReadOnlyList<string> Arguments(string root, IReadOnlyList<string> labArgs)
    {
        var a = new List<string> { "run", "-c", "Release", "-v", "q", "--project", Path.Combine(root, ProjectRelativePath), "--" };
        a.AddRange(labArgs);
        return a;
    }

    /// <param name="cancellation">Ctrl-C: the Release host (dotnet run and its child) is killed and <see cref="OperationCanceledException"/> thrown.</param>
    public static int Run(IReadOnlyList<string> labArgs, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        string root = FindRepositoryRoot() ?? throw new Lab.Core.LabInputException(
            $"cannot find {ProjectRelativePath} above the current directory: a quick run from a Debug build measures in a Release build of the lab's checkout, so run it from there");
        error.WriteLine($"running in a Release build of {ProjectRelativePath} (the first build takes a minute)");
        return PipedChild.Run(StartInfo(root, labArgs), output, error, cancellation);
    }

    /// <summary><c>dotnet run</c> of the Release host with <paramref name="labArgs"/>, with the JIT setting every measuring process gets (<see cref="SettledJit"/>).</summary>
    public static ProcessStartInfo StartInfo(string root, IReadOnlyList<string> labArgs)
    {
        var psi = new ProcessStartInfo("dotnet");
        foreach (var a in Arguments(root, labArgs)) psi.ArgumentList.Add(a);
        SettledJit.Apply(psi);
        return psi;
    }
}
