using System.Diagnostics;
using System.Globalization;
using Lab.KernelLab.Netns;

namespace Lab.Captures.Tests.Support;

/// <summary>
/// A capture tool (tcpdump, dumpcap) running inside a test's namespace: started, waited for
/// until it says its socket is open, and stopped with SIGINT as a user's Ctrl-C would, so that
/// it finishes its file (dumpcap writes its Interface Statistics Blocks then).
/// </summary>
public sealed class LiveCapture : IDisposable
{
    readonly Process _process;
    readonly System.Text.StringBuilder _stderr = new();

    public LiveCapture(string netns, string program, params string[] arguments)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string s in (string[])["netns", "exec", netns, program, .. arguments]) psi.ArgumentList.Add(s);
        _process = Process.Start(psi)!;
        var listening = new TaskCompletionSource();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
            // tcpdump: "listening on veth1, ..."; dumpcap: "Capturing on 'veth1'".
            if (e.Data.Contains("listening on", StringComparison.Ordinal) || e.Data.Contains("Capturing on", StringComparison.Ordinal))
                listening.TrySetResult();
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Dispose();
            throw new InvalidOperationException($"{program} did not start capturing: {StandardError}");
        }
        // The socket is bound when the tool says so; give its ring a moment before the first frame.
        Thread.Sleep(200);
    }

    /// <summary>
    /// Long enough for libpcap's TPACKET_V3 block timeout (1 s by default) to hand over the
    /// last frames: a tool stopped before that loses what its ring still holds (tcpdump says
    /// "100 packets received by filter, 0 captured"). (--immediate-mode would hand frames over
    /// at once but shrinks the ring: a burst of 100 frames then overruns it.)
    /// </summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(1500);

    public string StandardError
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Waits <paramref name="settle"/> for the last frames, then stops the tool with SIGINT and waits for it to exit.</summary>
    public void Stop(TimeSpan settle)
    {
        Thread.Sleep(settle);
        // ip netns exec execs the tool, so the process id is the tool's.
        CommandRunner.RunChecked("kill", "-INT", _process.Id.ToString(CultureInfo.InvariantCulture));
        if (!_process.WaitForExit(20_000)) throw new InvalidOperationException($"capture tool did not exit after SIGINT: {StandardError}");
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
