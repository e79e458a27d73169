using System.Globalization;
using Lab.Captures.Frames;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Validation;

/// <summary>
/// The Debian kernel under qemu (<see cref="KernelVm"/>) as device under test: eth0 is the
/// ingress (its tap0 the injection point), eth1 the egress (tap1 the capture point). One
/// vCPU: packets are processed in the order they arrive, as the comparison needs.
/// </summary>
public sealed class VmDeviceUnderTest : IDeviceUnderTest, IGuestDevice
{
    readonly KernelVm _vm;
    readonly bool _ownsVm;

    /// <summary>Uses a booted guest with at least two NICs (<see cref="KernelVmOptions.Nics"/>); disposing this does not dispose it unless <paramref name="ownsVm"/>.</summary>
    public VmDeviceUnderTest(KernelVm vm, bool ownsVm = false)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (vm.Nics.Count < 2) throw new ArgumentException("the validation needs a guest with two NICs (ingress and egress)", nameof(vm));
        _vm = vm;
        _ownsVm = ownsVm;
    }

    /// <summary>Boots a guest for validation (two NICs, one vCPU); <paramref name="cancellation"/> (Ctrl-C) ends the boot and every later command.</summary>
    /// <exception cref="VmUnavailableException">This machine cannot run the VM (the reason says why).</exception>
    public static VmDeviceUnderTest Boot(CancellationToken cancellation = default) =>
        new(KernelVm.Boot(new KernelVmOptions { Nics = 2, Cancellation = cancellation }), ownsVm: true);

    public KernelVm Vm => _vm;

    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"vm: Debian kernel {_vm.KernelRelease} under qemu (tcg, 1 vCPU), booted in {_vm.BootTime.TotalSeconds:0.0} s");

    public string KernelRelease => _vm.KernelRelease;

    public string IngressInterface => _vm.Nics[0].GuestInterface;

    public string EgressInterface => _vm.Nics[1].GuestInterface;

    public MacAddress DutIngressMac => MacAddress.Parse(_vm.Nics[0].GuestMac);

    public MacAddress HostIngressMac => MacAddress.Parse(_vm.Nics[0].TapMac);

    public MacAddress DutEgressMac => MacAddress.Parse(_vm.Nics[1].GuestMac);

    public MacAddress ReceiverMac => MacAddress.Parse(_vm.Nics[1].TapMac);

    public string InjectNamespace => _vm.NetnsName;

    public string InjectInterface => _vm.Nics[0].TapName;

    public string CaptureNamespace => _vm.NetnsName;

    public string CaptureInterface => _vm.Nics[1].TapName;

    public string Run(string script) => _vm.RunChecked(script, TimeSpan.FromMinutes(5));

    /// <summary>The same as <see cref="Run"/>: this device is the guest's initial namespace.</summary>
    public string RunGuestWide(string script) => Run(script);

    public (int ExitCode, string Output) TryRun(string script)
    {
        var r = _vm.Run(script, TimeSpan.FromMinutes(5));
        return (r.ExitCode, r.Stderr + r.Stdout);
    }

    public string StartBackground(string name, byte[] executable, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(executable);
        string path = "/tmp/" + name;
        // The agent's scripts are shell text: the binary travels as base64.
        string b64 = Convert.ToBase64String(executable);
        int tries = (int)Math.Max(1, timeout.TotalSeconds * 10);
        return _vm.RunChecked(
            $"echo {b64} | base64 -d > {path} && chmod 755 {path}\n" +
            $"setsid {path} > {path}.out 2>&1 < /dev/null &\n" +
            $"i=0; while [ ! -s {path}.out ] && [ $i -lt {tries} ]; do sleep 0.1; i=$((i+1)); done\n" +
            $"if [ -s {path}.out ]; then head -n1 {path}.out; elif kill -0 $! 2>/dev/null; then echo 'no output'; else wait $!; echo \"exit status $?\"; fi").Trim();
    }

    public void Dispose()
    {
        if (_ownsVm) _vm.Dispose();
    }
}
