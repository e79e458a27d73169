using System.Diagnostics;
using System.Reflection;

namespace Lab.Simulation.Running;

/// <summary>The lab's version and the commit of the checkout the binary was built in (or "unknown").</summary>
public static class LabInfo
{
    public static string Version => typeof(LabInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    static readonly Lazy<string> CommitLazy = new(ReadCommit);

    public static string Commit => CommitLazy.Value;

    static string ReadCommit()
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
