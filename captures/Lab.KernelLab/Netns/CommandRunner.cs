using System.Diagnostics;
using System.Text;

namespace Lab.KernelLab.Netns;

/// <summary>The result of one external command.</summary>
public readonly record struct CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs external tools (ip, tcpdump, tcpreplay) with an argument list: no shell, no quoting bugs.</summary>
public static class CommandRunner
{
    /// <param name="cancellation">Ctrl-C: the command is killed and <see cref="OperationCanceledException"/> thrown.</param>
    public static CommandResult Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(127, "", $"{program}: {e.Message}");
        }
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool exited;
        using (cancellation.Register(() => Kill(p)))
            exited = p.WaitForExit(timeout ?? TimeSpan.FromSeconds(30));
        if (cancellation.IsCancellationRequested)
        {
            Kill(p);
            p.WaitForExit();
            cancellation.ThrowIfCancellationRequested();
        }
        if (!exited)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            return new CommandResult(124, stdout.ToString(), stderr + $"{program}: timed out");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>Runs and throws <see cref="InvalidOperationException"/> with the command and its stderr on failure.</summary>
    public static string RunChecked(string program, params string[] arguments)
    {
        var r = Run(program, arguments);
        if (!r.Succeeded)
            throw new InvalidOperationException($"'{program} {string.Join(' ', arguments)}' failed with exit code {r.ExitCode}: {r.StandardError.Trim()}");
        return r.StandardOutput;
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            if (dir.Length == 0) continue;
            string p = Path.Combine(dir, program);
            if (File.Exists(p)) return p;
        }
        foreach (string dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            string p = Path.Combine(dir, program);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
