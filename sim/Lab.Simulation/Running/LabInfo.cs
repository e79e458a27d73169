using System.Diagnostics;
using System.Reflection;

namespace Lab.Simulation.Running;

/// <summary>The lab's version and the commit of the checkout the binary was built in (or "unknown").</summary>
public static class LabInfo
{
    public static string Version => typeof(LabInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    static readonly Lazy<string> CommitLazy = new(ReadCommit);

    public static string Commit => CommitLazy.Value;

    /// <summary>
    /// The commit the build embedded (the SDK's SourceRevisionId, after the '+' of the informational version, as
    /// lab --version prints it), so provenance knows it wherever the scenario and the working directory are; git
    /// in the binary's folder only when the build did not embed one.
    /// </summary>
    static string ReadCommit() => EmbeddedCommit(InformationalVersion) ?? GitCommit();

    static string? InformationalVersion => typeof(LabInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    /// <summary>The first 12 hex digits after '+' in an informational version such as 0.1.0+15349db486..., or null.</summary>
    public static string? EmbeddedCommit(string? informationalVersion)
    {
        int plus = informationalVersion?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        if (plus < 0) return null;
        string sha = informationalVersion![(plus + 1)..];
        if (sha.Length < 12 || !sha.All(char.IsAsciiHexDigit)) return null;
        return sha[..12].ToLowerInvariant();
    }

    static string GitCommit()
    {
        try
        {
            var psi = new ProcessStartInfo("git", ["-C", AppContext.BaseDirectory, "rev-parse", "--short=12", "HEAD"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi);
            if (p is null) return "unknown";
            string s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && s.Length > 0 ? s : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
