using System.Text;
using Lab.Captures.Frames;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Validation;

/// <summary>
/// A device under test that runs in the qemu guest (<see cref="VmDeviceUnderTest"/> and <see cref="GuestNamespaceDevice"/>):
/// packets can still sit in the virtio queue when a command runs (so probes wait on echo barriers), and the guest's
/// global sysctls (those of its initial namespace, such as net.core.gro_normal_batch) are the lab's to set.
/// </summary>
public interface IGuestDevice
{
    KernelVm Vm { get; }

    /// <summary>Runs a script in the guest's initial network namespace (for its global sysctls); returns stdout, throws on a non-zero exit.</summary>
    string RunGuestWide(string script);
}

/// <summary>
/// A fresh network namespace inside a booted guest, holding the guest's two NICs, as device under test: one guest
/// serves many cases (a boot under TCG costs about ten seconds), and each case still starts on a clean kernel
/// state, as a fresh host namespace gives it: an empty conntrack table and zero <c>conntrack -S</c> counters
/// (net->ct.stat is per namespace), no nft ruleset, no xfrm state or policy, /proc/net/xfrm_stat at zero
/// (net->mib.xfrm_statistics), and every per-namespace sysctl at its default. Creating it moves eth0 and eth1
/// from the guest's initial namespace into it (moving a device clears its addresses and routes:
/// dev_change_net_namespace); disposing it kills what still runs in it (a background listener would keep the
/// namespace alive), moves both NICs back and deletes it. Commands run through <c>ip netns exec</c>, which also
/// gives each its own mount namespace with the namespace's sysfs (so /sys/class/net shows eth0 and eth1).
/// The taps on the host side do not change, so the harness's sockets are those of the guest.
/// </summary>
public sealed class GuestNamespaceDevice : IDeviceUnderTest, IGuestDevice
{
    readonly VmDeviceUnderTest _guest;
    readonly string _name;
    int _disposed;

    GuestNamespaceDevice(VmDeviceUnderTest guest, string name)
    {
        _guest = guest;
        _name = name;
    }

    /// <summary>Creates namespace <paramref name="name"/> in the guest and moves its NICs there (from the guest's initial namespace, or from a namespace that kept them).</summary>
    /// <param name="name">A name of the lab's (letters, digits, '-'): never input.</param>
    /// <exception cref="ValidationHarnessException">The guest refused (a namespace of that name exists, no NICs to move).</exception>
    public static GuestNamespaceDevice Create(VmDeviceUnderTest guest, string name)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')) throw new ArgumentException("a namespace name of letters, digits and '-'", nameof(name));
        string i = guest.IngressInterface, o = guest.EgressInterface;
        // A NIC an earlier namespace kept (its teardown failed) is taken back first.
        string reclaim = string.Join("", new[] { i, o }.Select(d =>
            $"ip link show dev {d} >/dev/null 2>&1 || for n in $(ip netns list | cut -d' ' -f1); do ip -n $n link set dev {d} netns 1 2>/dev/null && break; done\n"));
        var r = guest.Vm.Run($"{reclaim}set -e\nip netns add {name}\nip link set dev {i} netns {name}\nip link set dev {o} netns {name}\nip -n {name} link set lo up", TimeSpan.FromMinutes(1));
        if (r.ExitCode != 0)
        {
            // Whatever got moved goes back: the guest stays as it was.
            guest.Vm.Run(Teardown(name, i, o), TimeSpan.FromMinutes(1));
            throw new ValidationHarnessException($"cannot set up namespace {name} in the guest: {(r.Stderr + r.Stdout).Trim()}");
        }
        return new GuestNamespaceDevice(guest, name);
    }

    /// <summary>Kills what runs in the namespace, moves the NICs back to the guest's initial namespace (PID 1's) and deletes it.</summary>
    static string Teardown(string name, string i, string o) =>
        $"for p in $(ip netns pids {name} 2>/dev/null); do kill -KILL $p 2>/dev/null; done\n" +
        $"ip -n {name} link set dev {i} netns 1 2>/dev/null; ip -n {name} link set dev {o} netns 1 2>/dev/null\n" +
        $"ip netns del {name} 2>/dev/null; ip link show dev {i} >/dev/null && ip link show dev {o} >/dev/null";

    public string Name => _name;

    public KernelVm Vm => _guest.Vm;

    public string Description => $"{_guest.Description}; guest namespace {_name}";

    public string KernelRelease => _guest.KernelRelease;

    public string IngressInterface => _guest.IngressInterface;

    public string EgressInterface => _guest.EgressInterface;

    public MacAddress DutIngressMac => _guest.DutIngressMac;

    public MacAddress HostIngressMac => _guest.HostIngressMac;

    public MacAddress DutEgressMac => _guest.DutEgressMac;

    public MacAddress ReceiverMac => _guest.ReceiverMac;

    public string InjectNamespace => _guest.InjectNamespace;

    public string InjectInterface => _guest.InjectInterface;

    public string CaptureNamespace => _guest.CaptureNamespace;

    public string CaptureInterface => _guest.CaptureInterface;

    public string RunGuestWide(string script) => _guest.RunGuestWide(script);

    public string Run(string script)
    {
        var (code, output) = TryRun(script);
        return code == 0 ? output : throw new ValidationHarnessException($"script in guest namespace {_name} failed with exit code {code}: {output.Trim()}");
    }

    public (int ExitCode, string Output) TryRun(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // The agent runs one command at a time, so one file for the inner script is enough. It is sourced after the
        // prelude (the real ip, tc, modprobe), as the agent sources every command.
        string b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(script));
        var r = _guest.Vm.Run($"echo {b64} | base64 -d > /tmp/lab-ns.cmd && ip netns exec {_name} sh -c '. /etc/lab-prelude.sh; . /tmp/lab-ns.cmd'", TimeSpan.FromMinutes(5));
        return (r.ExitCode, r.ExitCode == 0 ? r.Stdout : r.Stderr + r.Stdout);
    }

    public string StartBackground(string name, byte[] executable, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        string path = "/tmp/" + _name + "-" + name;
        string b64 = Convert.ToBase64String(executable);
        int tries = (int)Math.Max(1, timeout.TotalSeconds * 10);
        // ip netns exec execs the program: it stays in the namespace until Dispose kills it.
        return _guest.Vm.RunChecked(
            $"echo {b64} | base64 -d > {path} && chmod 755 {path}\n" +
            $"setsid /sbin/ip netns exec {_name} {path} > {path}.out 2>&1 < /dev/null &\n" +
            $"i=0; while [ ! -s {path}.out ] && [ $i -lt {tries} ]; do sleep 0.1; i=$((i+1)); done\n" +
            $"if [ -s {path}.out ]; then head -n1 {path}.out; elif kill -0 $! 2>/dev/null; then echo 'no output'; else wait $!; echo \"exit status $?\"; fi").Trim();
    }

    /// <summary>Why the last teardown did not bring both NICs back (the next namespace then cannot take them), or null.</summary>
    public string? TeardownFailure { get; private set; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            var r = _guest.Vm.Run(Teardown(_name, IngressInterface, EgressInterface) + $"\nrm -f /tmp/{_name}-*", TimeSpan.FromMinutes(1));
            if (r.ExitCode != 0) TeardownFailure = $"guest namespace {_name}: the NICs did not come back to the guest's initial namespace: {(r.Stderr + r.Stdout).Trim()}";
        }
        catch (Exception e) when (e is ObjectDisposedException or VmException or TimeoutException)
        {
            // The guest went first (Ctrl-C, exit) or broke: the next command says so.
            TeardownFailure = $"guest namespace {_name}: {e.Message}";
        }
    }
}
