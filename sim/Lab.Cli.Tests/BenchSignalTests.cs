using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Lab.Benchmarking;

namespace Lab.Cli.Tests;

/// <summary>
/// `lab bench` as a real process, signalled by its own PID only (as a shell's `kill PID`, or a
/// Ctrl-C delivered to lab alone): BenchmarkDotNet's children (the build of its generated Release
/// project, then the benchmark process) must not outlive it.
/// </summary>
[Collection("bench")]
public sealed class BenchSignalTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-bench-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    const int SigInt = 2;   // include/uapi/asm-generic/signal.h
    const int SigTerm = 15;

    /// <summary>A process by PID and start time (field 22 of /proc/PID/stat), so a reused PID is not taken for it.</summary>
    static (int Pid, string Start)? Identity(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var f = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return f[0] == "Z" ? null : (pid, f[19]); // a zombie has ended; f[0] is field 3, so field 22 is f[19]
        }
        catch (IOException)
        {
            return null;
        }
    }

    static bool Alive((int Pid, string Start) p) => Identity(p.Pid) is { } now && now.Start == p.Start;

    [Theory]
    [InlineData(SigInt, 130)]
    [InlineData(SigTerm, 143)]
    public async Task Signalling_lab_alone_ends_benchmarkdotnets_children_within_a_second(int signal, int expectedExit)
    {
        // A full run: BenchmarkDotNet builds a Release project of its own (dotnet restore/build and
        // MSBuild nodes) and then starts the benchmark process: children of lab, several levels deep.
        var psi = LabProcess.Info(["bench", "--suite", "engine", "--filter", "*ScheduleAndCancel*", "--no-store",
            "--artifacts", Path.Combine(_dir, "artifacts"), "--baseline-dir", Path.Combine(_dir, "baselines")]);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var seen = new HashSet<(int, string)>();
        var clock = Stopwatch.StartNew();
        // Until the build has children of its own (lab -> dotnet build -> MSBuild/compiler), or 3 minutes.
        while (clock.Elapsed < TimeSpan.FromMinutes(3) && !p.HasExited)
        {
            var now = ProcessTree.Descendants(p.Id);
            foreach (int pid in now)
            {
                if (Identity(pid) is { } id) seen.Add(id);
            }
            if (now.Any(pid => ProcessTree.ParentOf(pid) is { } parent && parent != p.Id)) break;
            Thread.Sleep(20);
        }
        if (p.HasExited) Assert.Fail($"lab bench ended before it could be signalled: {await stdout} {await stderr}");
        Assert.NotEmpty(seen);

        Assert.Equal(0, kill(p.Id, signal));
        var sinceSignal = Stopwatch.StartNew();
        bool exited = p.WaitForExit(TimeSpan.FromSeconds(10));
        double exitSeconds = sinceSignal.Elapsed.TotalSeconds;
        Assert.True(exited, "lab bench still runs 10 s after the signal");
        p.WaitForExit();
        // Children get SIGKILL at the signal; allow them the rest of the second to be torn down.
        while (seen.Any(Alive) && sinceSignal.Elapsed < TimeSpan.FromSeconds(1)) Thread.Sleep(10);
        var survivors = seen.Where(Alive).Select(s => $"{s.Item1} ({File.ReadAllText($"/proc/{s.Item1}/cmdline").Replace('\0', ' ')})").ToList();
        Assert.True(survivors.Count == 0, $"still running {sinceSignal.Elapsed.TotalSeconds:0.00} s after the signal: {string.Join("; ", survivors)}");
        string err = await stderr;
        await stdout;
        Assert.True(p.ExitCode == expectedExit, $"exit {p.ExitCode}, expected {expectedExit}; lab exited {exitSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s after the signal: {err}");
        Assert.Contains("lab: interrupted", err, StringComparison.Ordinal);
    }
}
