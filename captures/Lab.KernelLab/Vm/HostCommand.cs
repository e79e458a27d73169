using System.Diagnostics;
using System.Text;

namespace Lab.KernelLab.Vm;

/// <summary>Runs a program on the host (ip, bash) and collects its output.</summary>
internal static class HostCommand
{
    public static VmCommandResult Run(string program, IEnumerable<string> args, TimeSpan timeout, TextWriter? stderrEcho = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr) stderr.Append(e.Data).Append('\n');
            stderrEcho?.WriteLine(e.Data);
        };
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VmUnavailableException($"cannot run '{program}': {e.Message}", e);
        }
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"'{program} {string.Join(' ', psi.ArgumentList)}' did not finish within {timeout.TotalSeconds:0} s");
        }
        p.WaitForExit(); // drains the asynchronous readers
        lock (stdout) lock (stderr)
            return new VmCommandResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs and throws <see cref="VmException"/> naming the command when it fails.</summary>
    public static string Check(string program, params string[] args)
    {
        var r = Run(program, args, TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0)
            throw new VmException($"'{program} {string.Join(' ', args)}' failed ({r.ExitCode}): {r.Stderr.Trim()}");
        return r.Stdout;
    }

    /// <summary>The full path of an executable found on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            var f = Path.Combine(dir, name);
            if (File.Exists(f))
                return f;
        }
        return null;
    }
}
