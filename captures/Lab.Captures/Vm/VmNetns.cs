using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.Captures.Vm;

/// <summary>
/// The network namespace a <see cref="KernelVm"/> owns: qemu runs in it and its tap
/// devices live in it, so no test frame ever touches the host's own namespace.
/// Named labvm-PID-N; <see cref="SweepStale"/> removes those whose process is gone
/// (a harness killed with SIGKILL cannot clean up after itself).
/// </summary>
public sealed partial class VmNetns : IDisposable
{
    private static int s_counter;
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
        HostCommand.Check("ip", "netns", "add", name);
        var nics = Enumerable.Range(0, nicCount).Select(VmNic.ForIndex).ToArray();
        var ns = new VmNetns(name, nics);
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
        if (_disposed)
            return;
        _disposed = true;
        Delete(Name);
    }

    /// <summary>
    /// Removes labvm-PID-N namespaces, and the labvm-PID-N-* work directories in the temp
    /// directory, whose process no longer exists (work directories kept on purpose, marked
    /// with a KEEP file, stay).
    /// </summary>
    public static void SweepStale()
    {
        if (Directory.Exists("/run/netns"))
        {
            foreach (var path in Directory.GetFiles("/run/netns"))
            {
                var m = StaleName().Match(Path.GetFileName(path));
                if (m.Success && !Directory.Exists("/proc/" + m.Groups[1].Value))
                    Delete(Path.GetFileName(path));
            }
        }
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "labvm-*"))
        {
            var m = StaleWorkDir().Match(Path.GetFileName(dir));
            if (m.Success && !Directory.Exists("/proc/" + m.Groups[1].Value) && !File.Exists(Path.Combine(dir, "KEEP")))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // Left for the next sweep.
                }
            }
        }
    }

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
        HostCommand.Run("ip", ["netns", "del", name], TimeSpan.FromSeconds(30));
    }

    private static void Exec(string ns, params string[] command) =>
        HostCommand.Check("ip", ["netns", "exec", ns, .. command]);

    [GeneratedRegex(@"^labvm-(\d+)-\d+$")]
    private static partial Regex StaleName();

    [GeneratedRegex(@"^labvm-(\d+)-\d+-\w+$")]
    private static partial Regex StaleWorkDir();

    [GeneratedRegex(@"^\d+:\s+([^:@\s]+)[:@]", RegexOptions.Multiline)]
    private static partial Regex TunLine();
}
