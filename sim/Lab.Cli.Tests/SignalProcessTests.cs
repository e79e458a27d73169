using System.Diagnostics;
using System.Globalization;
using Lab.Captures.Netns;
using Lab.Captures.Pcap;
using Lab.KernelLab.Cleanup;
using Lab.KernelLab.Netns;

namespace Lab.Cli.Tests;

/// <summary>kill(1) (that is, kill(2)) on the child, as a terminal's Ctrl-C or a service manager would do it.</summary>
static class Signal
{
    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    public static void Send(Process p, int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {p.Id} failed");
    }
}

/// <summary>
/// lab as a real process interrupted with real signals: it ends within a bounded time with 130
/// (SIGTERM: 143) and the single line "lab: interrupted", and leaves nothing it created behind;
/// after SIGKILL the next lab removes what the killed one marked, and nothing of a live process.
/// </summary>
[Collection(SweepProcessCollection.Name)]
public sealed class SignalProcessTests : IDisposable
{
    /// <summary>From the signal to the exit: far above the watchdog's 0.6 s (the machine is shared), far below the work left.</summary>
    static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(10);

    readonly string _dir = Directory.CreateTempSubdirectory("lab-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string P(string name) => Path.Combine(_dir, name);

    /// <summary>5 s of 8 Gbit/s Poisson traffic: minutes of simulation on this machine.</summary>
    const string LongRun = """
        name: long
        run: { duration: 5s, warmup: 10ms, seed: 3, replications: 1 }
        traffic:
          - { name: bulk, kind: poisson, rate: 8Gbit/s, size: imix, flows: 1000 }
        path:
          - link: { rate: 10Gbit/s, delay: 5us }
          - stage: { name: forward, cost: 350ns }
        """;

    sealed record Outcome(int Code, string Out, string Err, TimeSpan AfterSignal);

    static async Task<Outcome> Interrupt(Process p, Task<string> stdout, Task<string> stderr, int signal)
    {
        Assert.False(p.HasExited, "lab ended before the signal: " + (p.HasExited ? await stderr : ""));
        var clock = Stopwatch.StartNew();
        Signal.Send(p, signal);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2))) await p.WaitForExitAsync(timeout.Token);
        clock.Stop();
        return new Outcome(p.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    static (Process P, Task<string> Out, Task<string> Err) Start(params string[] args)
    {
        var p = Process.Start(LabProcess.Info(args))!;
        return (p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
    }

    static void WaitFor(Func<bool> condition, Process p, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (p.HasExited) Assert.Fail($"lab exited ({p.ExitCode}) before {what}: {p.StandardError.ReadToEnd()}");
            if (clock.Elapsed > TimeSpan.FromMinutes(3)) Assert.Fail($"no {what} after 3 minutes");
            Thread.Sleep(20);
        }
    }

    static void AssertInterrupted(Outcome o, int code)
    {
        Assert.True(o.Code == code, $"exit {o.Code}, expected {code}: {o.Err}");
        Assert.Equal(LabCommand.InterruptedMessage + "\n", o.Err);
        Assert.True(o.AfterSignal < ExitBound, $"exited {o.AfterSignal.TotalSeconds:0.00} s after the signal");
    }

    /// <summary>The namespaces named after lab process <paramref name="pid"/> (observation only: the lab itself goes by its markers).</summary>
    static List<string> NamespacesOf(int pid) =>
        Directory.Exists(NetworkNamespace.RunDirectory)
            ? [.. Directory.GetFiles(NetworkNamespace.RunDirectory).Select(Path.GetFileName).Where(n => n!.StartsWith($"lab-{pid}-", StringComparison.Ordinal) || n.StartsWith($"labvm-{pid}-", StringComparison.Ordinal)).Select(n => n!)]
            : [];

    static string? MarkerFolderOf(int pid) =>
        Directory.Exists(OwnedResources.Root) ? Directory.GetDirectories(OwnedResources.Root, $"{pid}-*").SingleOrDefault() : null;

    static List<string> DiagnosticFilesOf(int pid) =>
        [.. Directory.GetFileSystemEntries(Path.GetTempPath()).Select(Path.GetFileName)
            .Where(n => n!.StartsWith($"dotnet-diagnostic-{pid}-", StringComparison.Ordinal) || n.StartsWith($"clr-debug-pipe-{pid}-", StringComparison.Ordinal)).Select(n => n!)];

    [Theory]
    [InlineData(Signal.SIGINT, 130)]
    [InlineData(Signal.SIGTERM, 143)]
    public async Task A_run_in_its_simulation_ends_at_once_and_writes_nothing(int signal, int code)
    {
        File.WriteAllText(P("long.yaml"), LongRun);
        var (p, o, e) = Start("run", P("long.yaml"), "--out", P("out"), "--no-store");
        using (p)
        {
            Thread.Sleep(1500); // well into the simulation (startup and loading take a fraction of this)
            var outcome = await Interrupt(p, o, e, signal);
            AssertInterrupted(outcome, code);
            Assert.Equal("", outcome.Out);
            Assert.False(Directory.Exists(P("out")));
            Assert.Null(MarkerFolderOf(p.Id));
        }
    }

    [Fact]
    public async Task A_sweep_abandons_its_runs_in_progress_and_keeps_none_half_written()
    {
        File.WriteAllText(P("long.yaml"), LongRun + "\nsweep:\n  traffic.bulk.rate: [5Gbit/s, 6Gbit/s]\n");
        var (p, o, e) = Start("sweep", P("long.yaml"), "--jobs", "2", "--out", P("sweep"), "--no-store");
        using (p)
        {
            // The manifest is written just before the runs start.
            WaitFor(() => File.Exists(Path.Combine(P("sweep"), "sweep.json")), p, "sweep.json");
            Thread.Sleep(500);
            var outcome = await Interrupt(p, o, e, Signal.SIGINT);
            AssertInterrupted(outcome, 130);
            Assert.Contains("interrupted: 0 of 2 run(s) done", outcome.Out);
            Assert.Empty(Directory.GetFiles(Path.Combine(P("sweep"), "runs")));
        }
    }

    [RootFact]
    public async Task A_replay_waiting_in_a_long_gap_sleeps_and_ends_at_once()
    {
        // Frame 0 at once, frame 1 60 s later.
        string pcap = P("gap.pcap");
        using (var w = PcapWriter.Create(pcap))
        {
            var frame = Convert.FromHexString("ffffffffffff02000000000188b5" + new string('0', 92));
            w.Write(1_700_000_000_000_000_000, frame);
            w.Write(1_700_000_060_000_000_000, frame);
            w.Commit();
        }
        using var topology = new NetnsTopology();
        string ns = topology.AddNamespace("replay");
        // No IPv6: the kernel's own solicitations would count as transmitted frames.
        topology.DisableIpv6(ns);
        topology.AddVethPair(ns, "v0", ns, "v1");
        long Sent() => long.Parse(topology.Exec(ns, "cat", "/sys/class/net/v0/statistics/tx_packets").Trim(), CultureInfo.InvariantCulture);
        long baseline = Sent();
        var (p, o, e) = Start("replay", pcap, "--iface", "v0", "--netns", ns);
        using (p)
        {
            WaitFor(() => Sent() > baseline, p, "the first frame");
            // In the gap: this process's CPU time over 2 s (clock ticks, 100 a second; a spinning core is 200).
            long before = CpuTicks(p.Id);
            Thread.Sleep(2000);
            long used = CpuTicks(p.Id) - before;
            Assert.True(used < 40, $"lab replay used {used} ticks of CPU in 2 s of a gap");
            var outcome = await Interrupt(p, o, e, Signal.SIGINT);
            AssertInterrupted(outcome, 130);
            Assert.Contains("passes:     1 (interrupted)", outcome.Out);
            Assert.Contains("packets:    1 sent, 0 failed", outcome.Out);
        }
    }

    /// <summary>utime + stime of all threads of a process (fields 14 and 15 of /proc/PID/stat, proc(5)).</summary>
    static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
    }

    static string ForwardScenario() => Path.Combine(ForwardValidateCommandTests.RepoRoot(), "scenarios", "examples", "forward-validate.yaml");

    [HostNatFact]
    public async Task Host_validation_interrupted_with_its_namespaces_built_removes_them_and_its_folder()
    {
        var (p, o, e) = Start("validate", ForwardScenario(), "--kernel", "host", "--out", P("val"));
        using (p)
        {
            WaitFor(() => NamespacesOf(p.Id).Count == 3, p, "three namespaces");
            Assert.NotNull(MarkerFolderOf(p.Id));
            var outcome = await Interrupt(p, o, e, Signal.SIGINT);
            AssertInterrupted(outcome, 130);
            Assert.Empty(NamespacesOf(p.Id));
            Assert.Null(MarkerFolderOf(p.Id));
            Assert.Empty(Directory.GetFileSystemEntries(_dir));
        }
    }

    [HostNatFact]
    public void After_SIGKILL_the_next_lab_removes_what_the_killed_one_marked_and_nothing_of_a_live_process()
    {
        // A live namespace of another process (this test host), marked as its own.
        using var live = new NetnsTopology();
        string liveNs = live.AddNamespace("alive");
        int killed;
        using (var p = Process.Start(LabProcess.Info(["validate", ForwardScenario(), "--kernel", "host", "--out", P("val")]))!)
        {
            killed = p.Id;
            WaitFor(() => NamespacesOf(p.Id).Count == 3, p, "three namespaces");
            Signal.Send(p, Signal.SIGKILL);
            p.WaitForExit();
        }
        // What SIGKILL leaves: the namespaces, their markers, the runtime's diagnostic socket and pipes.
        Assert.Equal(3, NamespacesOf(killed).Count);
        Assert.NotNull(MarkerFolderOf(killed));
        Assert.NotEmpty(DiagnosticFilesOf(killed));

        var (code, _, err) = LabProcess.Run(LabProcess.Info(["describe"]));
        Assert.True(code == 0, err);
        Assert.Empty(NamespacesOf(killed));
        Assert.Null(MarkerFolderOf(killed));
        Assert.Empty(DiagnosticFilesOf(killed));
        Assert.True(NetworkNamespace.Exists(liveNs));
    }

    [VmFact]
    public async Task Vm_validation_interrupted_while_the_guest_boots_removes_qemu_its_namespace_and_work_folder()
    {
        var (p, o, e) = Start("validate", ForwardScenario(), "--kernel", "vm", "--out", P("val"));
        using (p)
        {
            string? work = null;
            WaitFor(() => (work = Directory.GetDirectories(Path.GetTempPath(), $"labvm-{p.Id}-*").FirstOrDefault()) is not null
                && File.Exists(Path.Combine(work, "qemu.pid")), p, "qemu running");
            int qemu = int.Parse(File.ReadAllText(Path.Combine(work!, "qemu.pid")).Trim(), CultureInfo.InvariantCulture);
            Assert.Single(NamespacesOf(p.Id));
            var outcome = await Interrupt(p, o, e, Signal.SIGINT);
            AssertInterrupted(outcome, 130);
            Assert.Empty(NamespacesOf(p.Id));
            Assert.False(Directory.Exists(work));
            Assert.False(Directory.Exists($"/proc/{qemu}") && File.ReadAllText($"/proc/{qemu}/cmdline").Contains(work!, StringComparison.Ordinal), "qemu still runs");
            Assert.Null(MarkerFolderOf(p.Id));
        }
    }

    [Fact]
    public void In_process_a_cancelled_token_gives_the_interrupted_line_and_130()
    {
        File.WriteAllText(P("long.yaml"), LongRun);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(["run", P("long.yaml"), "--out", P("out"), "--no-store"], so, se, cts.Token);
        Assert.Equal(130, code);
        Assert.Equal("lab: interrupted\n", se.ToString());
        Assert.False(Directory.Exists(P("out")));
    }
}
