using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

/// <summary>
/// One guest for the whole test class (a boot costs several seconds of emulation). Its eth0
/// is 192.0.2.2/24 (TEST-NET-1, RFC 5737: no real host answers there, and the traffic
/// never leaves the VM's namespace); the host side "is" 192.0.2.1 at the tap's MAC, entered
/// as a permanent neighbour so the guest answers without ARP.
/// </summary>
public sealed class KernelVmFixture : IDisposable
{
    public const string GuestIp = "192.0.2.2";
    public const string HostIp = "192.0.2.1";

    public KernelVmFixture()
    {
        if (VmPrerequisites.MissingReason is not null)
            return; // every test is skipped with the reason
        Vm = KernelVm.Boot();
        var nic = Vm.Nics[0];
        Vm.RunChecked(
            $"ip link set {nic.GuestInterface} up && " +
            $"ip addr add {GuestIp}/24 dev {nic.GuestInterface} && " +
            $"ip neigh replace {HostIp} lladdr {nic.TapMac} dev {nic.GuestInterface} nud permanent");
    }

    /// <summary>The guest; null only when the tests are skipped.</summary>
    public KernelVm? Vm { get; }

    public KernelVm Guest => Vm ?? throw new InvalidOperationException(VmPrerequisites.MissingReason);

    public void Dispose() => Vm?.Dispose();
}
