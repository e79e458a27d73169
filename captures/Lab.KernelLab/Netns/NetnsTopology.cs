using System.Globalization;
using System.Text.RegularExpressions;
using Lab.Captures.Frames;
using Lab.Captures.Native;
using Lab.Captures.Netns;
using Lab.KernelLab.Cleanup;

namespace Lab.KernelLab.Netns;

/// <summary>
/// A disposable set of network namespaces and veth pairs built with iproute2, for tests and
/// kernel validation. Every namespace is named lab-PID-N-ROLE (unique per process and
/// topology) and created by this object; veth pairs are created directly inside those
/// namespaces, so nothing ever appears in the host's namespace. <see cref="Dispose"/> deletes
/// the namespaces (the kernel then deletes their veths), also when building failed halfway.
/// <para>
/// Ctrl-C and kill: every live topology is registered with <see cref="ExitCleanup"/> (disposed
/// at exit, and on a signal unless the host cancels its work instead). Each namespace is marked
/// with its owner (<see cref="OwnedResources"/>) before it is created, and the first topology of
/// a process removes the namespaces whose marked owner no longer runs (left by SIGKILL), so
/// every namespace creator cleans up after a killed predecessor, and never touches a namespace
/// it has no marker for or whose owner still runs.
/// </para>
/// </summary>
public sealed partial class NetnsTopology : IDisposable
{
    static int _nextId;

    readonly Lock _lock = new();
    // Held for the whole teardown: a second Dispose (the exit path after Ctrl-C) returns only once it is done.
    readonly Lock _disposeGate = new();
    readonly List<string> _namespaces = [];
    readonly int _id;
    bool _disposed;

    public IReadOnlyList<string> Namespaces
    {
        get { lock (_lock) return [.. _namespaces]; }
    }

    public NetnsTopology()
    {
        _id = Interlocked.Increment(ref _nextId);
        OwnedResources.RemoveStaleOnce();
        ExitCleanup.Register(this);
    }

    /// <summary>Why namespaces cannot be built here, or null when they can (root, iproute2, netns support).</summary>
    public static string? UnavailableReason()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root" && Libc.GetEUid() != 0) return "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)";
        if (CommandRunner.FindOnPath("ip") is null) return "iproute2 ('ip') is not installed (apt-get install iproute2)";
        if (!File.Exists("/proc/self/ns/net")) return "the kernel has no network namespaces";
        return null;
    }

    /// <summary>Creates a namespace with its loopback up; returns its unique name.</summary>
    public string AddNamespace(string role)
    {
        if (!RoleName().IsMatch(role)) throw new ArgumentException($"role '{role}': letters, digits and '-' only, at most 12", nameof(role));
        string name;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            name = string.Create(CultureInfo.InvariantCulture, $"lab-{Environment.ProcessId}-{_id}-{role}");
            // Registered before creation: a failure halfway still gets it deleted.
            _namespaces.Add(name);
        }
        OwnedResources.Mark(OwnedKind.Netns, name);
        CommandRunner.RunChecked("ip", "netns", "add", name);
        Ip(name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>
    /// Creates a veth pair with one end in each namespace (they may be the same), sets
    /// addresses if given and brings both ends up.
    /// </summary>
    public void AddVethPair(string namespaceA, string interfaceA, string namespaceB, string interfaceB,
        MacAddress? macA = null, MacAddress? macB = null)
    {
        CheckOwned(namespaceA);
        CheckOwned(namespaceB);
        var args = new List<string> { "-n", namespaceA, "link", "add", interfaceA };
        if (macA is { } a) args.AddRange(["address", a.ToString()]);
        args.AddRange(["type", "veth", "peer", "name", interfaceB]);
        if (macB is { } b) args.AddRange(["address", b.ToString()]);
        args.AddRange(["netns", namespaceB]);
        CommandRunner.RunChecked("ip", [.. args]);
        Ip(namespaceA, "link", "set", interfaceA, "up");
        Ip(namespaceB, "link", "set", interfaceB, "up");
    }

    /// <summary>Turns IPv6 off in a namespace so that a fresh veth sends no router solicitations or MLD reports.</summary>
    public void DisableIpv6(string ns)
    {
        CheckOwned(ns);
        Exec(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
        Exec(ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
    }

    /// <summary>Runs <c>ip -n NS ARGS</c>; throws with ip's message on failure.</summary>
    public string Ip(string ns, params string[] arguments)
    {
        CheckOwned(ns);
        return CommandRunner.RunChecked("ip", ["-n", ns, .. arguments]);
    }

    /// <summary>Runs a program inside the namespace (<c>ip netns exec NS PROGRAM ARGS</c>); throws on failure.</summary>
    public string Exec(string ns, string program, params string[] arguments)
    {
        CheckOwned(ns);
        return CommandRunner.RunChecked("ip", ["netns", "exec", ns, program, .. arguments]);
    }

    /// <summary>Like <see cref="Exec"/> but returns the result instead of throwing.</summary>
    public CommandResult TryExec(string ns, string program, IEnumerable<string> arguments, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        CheckOwned(ns);
        return CommandRunner.Run("ip", ["netns", "exec", ns, program, .. arguments], timeout, cancellation);
    }

    void CheckOwned(string ns)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_namespaces.Contains(ns)) throw new ArgumentException($"namespace '{ns}' was not created by this topology", nameof(ns));
        }
    }

    public void Dispose()
    {
        lock (_disposeGate)
        {
            string[] names;
            lock (_lock)
            {
                if (_disposed) return;
                _disposed = true;
                names = [.. _namespaces];
            }
            for (int i = names.Length - 1; i >= 0; i--)
            {
                if (!NetworkNamespace.Exists(names[i]) || CommandRunner.Run("ip", ["netns", "del", names[i]]).Succeeded)
                    OwnedResources.Unmark(OwnedKind.Netns, names[i]);
            }
            ExitCleanup.Unregister(this);
        }
    }

    /// <summary>
    /// Deletes the namespaces (and temp folders) that processes no longer running marked as theirs
    /// (left after SIGKILL); returns how many namespaces. Never by name: see <see cref="OwnedResources"/>.
    /// </summary>
    public static int RemoveStale() => OwnedResources.RemoveStale().Namespaces;

    [GeneratedRegex("^[A-Za-z0-9-]{1,12}$")]
    private static partial Regex RoleName();
}
