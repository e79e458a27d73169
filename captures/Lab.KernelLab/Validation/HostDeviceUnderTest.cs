using System.Diagnostics;
using Lab.Captures.Frames;
using Lab.Core;
using Lab.KernelLab.Cleanup;
using Lab.KernelLab.Netns;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Validation;

/// <summary>
/// The machine's own kernel as device under test, inside three namespaces this object
/// creates (<see cref="NetnsTopology"/>: lab-PID-N-snd, -dut, -rcv, unique per process and
/// topology) joined by veth pairs: snd/s0 -- dut/d0 (ingress) and dut/d1 -- rcv/r0 (egress).
/// Nothing is configured in the host's own namespace. Dispose (also on Ctrl-C, SIGTERM and
/// normal exit) kills what it started in the DUT and deletes the namespaces.
/// </summary>
public sealed class HostDeviceUnderTest : IDeviceUnderTest
{
    static readonly MacAddress SenderMac = MacAddress.Parse("02:00:00:00:02:01");
    static readonly MacAddress IngressMac = MacAddress.Parse("02:00:00:00:02:02");
    static readonly MacAddress EgressMac = MacAddress.Parse("02:00:00:00:02:03");
    static readonly MacAddress CaptureMac = MacAddress.Parse("02:00:00:00:02:04");

    readonly NetnsTopology _topology;
    readonly CancellationToken _cancellation;
    readonly List<(Process Process, PrivateTempDirectory Folder)> _background = [];
    int _disposed;
    readonly Lock _disposeGate = new();

    HostDeviceUnderTest(NetnsTopology topology, string snd, string dut, string rcv, CancellationToken cancellation)
    {
        _topology = topology;
        _cancellation = cancellation;
        InjectNamespace = snd;
        DutNamespace = dut;
        CaptureNamespace = rcv;
    }

    /// <summary>Builds the three namespaces and both veth pairs; removes everything if building fails.</summary>
    /// <param name="cancellation">Ctrl-C: building and every later script stop with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="VmUnavailableException">No namespaces here (not root, no iproute2).</exception>
    public static HostDeviceUnderTest Create(CancellationToken cancellation = default)
    {
        if (NetnsTopology.UnavailableReason() is { } reason) throw new VmUnavailableException(reason);
        var t = new NetnsTopology();
        HostDeviceUnderTest? dut = null;
        try
        {
            string snd = t.AddNamespace("snd"), d = t.AddNamespace("dut"), rcv = t.AddNamespace("rcv");
            dut = new HostDeviceUnderTest(t, snd, d, rcv, cancellation);
            ExitCleanup.Register(dut);
            // The harness ends stay silent (no router solicitations): only the DUT speaks IPv6.
            t.DisableIpv6(snd);
            t.DisableIpv6(rcv);
            t.AddVethPair(snd, "s0", d, "d0", SenderMac, IngressMac);
            t.AddVethPair(d, "d1", rcv, "r0", EgressMac, CaptureMac);
            cancellation.ThrowIfCancellationRequested();
            return dut;
        }
        catch
        {
            if (dut is not null) dut.Dispose();
            else t.Dispose();
            throw;
        }
    }

    public string DutNamespace { get; }

    public string Description => $"host: this machine's kernel {KernelRelease} in network namespaces {InjectNamespace}, {DutNamespace}, {CaptureNamespace}";

    public string KernelRelease { get; } = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    public string IngressInterface => "d0";

    public string EgressInterface => "d1";

    public MacAddress DutIngressMac => IngressMac;

    public MacAddress HostIngressMac => SenderMac;

    public MacAddress DutEgressMac => EgressMac;

    public MacAddress ReceiverMac => CaptureMac;

    public string InjectNamespace { get; }

    public string InjectInterface => "s0";

    public string CaptureNamespace { get; }

    public string CaptureInterface => "r0";

    public string Run(string script)
    {
        var (code, output) = TryRun(script);
        return code == 0 ? output : throw new ValidationHarnessException($"script in {DutNamespace} failed with exit code {code}: {output.Trim()}");
    }

    public (int ExitCode, string Output) TryRun(string script)
    {
        var r = _topology.TryExec(DutNamespace, "sh", ["-c", script], TimeSpan.FromMinutes(5), _cancellation);
        return (r.ExitCode, r.ExitCode == 0 ? r.StandardOutput : r.StandardError + r.StandardOutput);
    }

    public string StartBackground(string name, byte[] executable, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(executable);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the host DUT needs Linux");
        var folder = new PrivateTempDirectory("lab-dut-");
        // Marked: after a SIGKILL the next run removes it.
        OwnedResources.Mark(OwnedKind.TempDirectory, folder.Path);
        string file = folder.WriteFile(Path.GetFileName(name), executable, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo("ip", ["netns", "exec", DutNamespace, file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {name}");
        }
        catch
        {
            folder.Dispose();
            throw;
        }
        lock (_background) _background.Add((p, folder));
        var line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout)) return "no output";
        return line.Result ?? (p.WaitForExit(1000) ? $"exit status {p.ExitCode}" : "no output");
    }

    public void Dispose()
    {
        // Held for the whole teardown: a concurrent Dispose returns only once everything is gone.
        lock (_disposeGate)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (_background)
            {
                foreach (var (p, folder) in _background)
                {
                    try
                    {
                        if (!p.HasExited) p.Kill();
                        p.WaitForExit(5000);
                    }
                    catch (InvalidOperationException)
                    {
                        // Already gone.
                    }
                    p.Dispose();
                    folder.Dispose();
                    OwnedResources.Unmark(OwnedKind.TempDirectory, folder.Path);
                }
                _background.Clear();
            }
            _topology.Dispose();
            // Last: until here the exit path (ExitCleanup) still sees this and waits for the teardown.
            ExitCleanup.Unregister(this);
        }
    }
}
