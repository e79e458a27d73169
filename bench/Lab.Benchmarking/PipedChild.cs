using System.Diagnostics;

namespace Lab.Benchmarking;

/// <summary>A child process whose output and error lines are passed on as they come; Ctrl-C kills its whole tree.</summary>
public static class PipedChild
{
    /// <summary>Runs <paramref name="psi"/> to its end and returns its exit code (<see cref="OperationCanceledException"/> on cancellation).</summary>
    public static int Run(ProcessStartInfo psi, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        var gate = new object();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (gate) output.WriteLine(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (gate) error.WriteLine(e.Data);
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using (cancellation.Register(() => ProcessTree.Kill(p)))
            p.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        return p.ExitCode;
    }
}
