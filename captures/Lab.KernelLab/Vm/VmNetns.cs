using System.Globalization;
using System.Text.RegularExpressions;
using Lab.KernelLab.Cleanup;

namespace Lab.KernelLab.Vm;

/// <summary>
/// The network namespace a <see cref="KernelVm"/> owns: qemu runs in it and its tap
/// devices live in it, so no test frame ever touches the host's own namespace.
/// Named labvm-PID-N and marked with its owner (<see cref="OwnedResources"/>) before it is
/// created; <see cref="SweepStale"/> removes those whose marked owner is gone (a harness killed
/// with SIGKILL cannot clean up after itself), never one by its name alone.
/// </summary>
public sealed partial class VmNetns : IDisposable
{
    private static int s_counter;
    private readonly Lock _disposeGate = new();
    private bool _disposed;

    private VmNetns(string name, IReadOnlyList<VmNic> nics)
    {
        Name = name;
        Nics = nics;
    }

    public string Name { get; }

    public IReadOnlyList<VmNic> Nics { get; }

    /// <summary>Creates the namespace and its taps (IPv6 off, so the namespace itself stays silent).</summary>
    public static VmNetns Create(int nicCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nicCount);
        SweepStale();
        var name = string.Create(CultureInfo.InvariantCulture,
            $"labvm-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}");
        OwnedResources.Mark(OwnedKind.Netns, name);
        HostCommand.Check("ip", "netns", "add", name);
        var nics = Enumerable.Range(0, nicCount).Select(VmNic.ForIndex).ToArray();
        var ns = new VmNetns(name, nics);
        ExitCleanup.Register(ns);
        try
        {
            Exec(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            Exec(name, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            foreach (var nic in nics)
            {
                HostCommand.Check("ip", "-n", name, "tuntap", "add", "dev", nic.TapName, "mode", "tap");
                HostCommand.Check("ip", "-n", name, "link", "set", nic.TapName, "address", nic.TapMac, "up");
            }
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>Deletes the taps and the namespace; safe to call twice.</summary>
    public void Dispose()
    {
        // Held for the whole teardown: a concurrent Dispose returns only once the namespace is gone.
        lock (_disposeGate)
        {
            if (_disposed)
                return;
            _disposed = true;
            Delete(Name);
            ExitCleanup.Unregister(this);
        }
    }

    /// <summary>
    /// Removes the namespaces (with their taps) and work directories that harnesses no longer
    /// running marked as theirs; work directories kept on purpose (a KEEP file) stay. Once per process.
    /// </summary>
    public static void SweepStale() => OwnedResources.RemoveStaleOnce();

    private static void Delete(string name)
    {
        // Taps first (they would go with the namespace, but deleting them explicitly does not
        // depend on that), then the namespace itself.
        var links = HostCommand.Run("ip", ["-n", name, "-o", "link", "show", "type", "tun"], TimeSpan.FromSeconds(30));
        if (links.ExitCode == 0)
        {
            foreach (Match m in TunLine().Matches(links.Stdout))
                HostCommand.Run("ip", ["-n", name, "link", "del", m.Groups[1].Value], TimeSpan.FromSeconds(30));
        }
        if (HostCommand.Run("ip", ["netns", "del", name], TimeSpan.FromSeconds(30)).ExitCode == 0)
            OwnedResources.Unmark(OwnedKind.Netns, name);
    }

    private static void Exec(string ns, params string[] command) =>
        HostCommand.Check("ip", ["netns", "exec", ns, .. command]);

    [GeneratedRegex(@"^\d+:\s+([^:@\s]+)[:@]", RegexOptions.Multiline)]
    private static partial Regex TunLine();
}
