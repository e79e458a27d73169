using Lab.KernelLab.TestSupport;
using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// One guest for all guest-kernel netfilter checks (the boot is the expensive part), with two links
/// (eth0, eth1) for the NAT router the UDP check needs; the flowtable check uses veths inside the guest.
/// Each check runs once, when a test first asks for it.
/// </summary>
public sealed class GuestKernelFixture : IDisposable
{
    readonly Lazy<FlowtableObservation> _offloaded;
    readonly Lazy<FlowtableObservation> _classic;
    readonly Lazy<UdpTimeoutObservation> _udp;

    public GuestKernelFixture()
    {
        if (VmPrerequisites.MissingReason is null) Vm = KernelVm.Boot(new KernelVmOptions { Nics = 2 });
        _offloaded = new(() => FlowtableCheck.Run(Guest, new FlowtableCheckOptions { TransferKiB = 4096, FlowAdd = true }));
        _classic = new(() => FlowtableCheck.Run(Guest, new FlowtableCheckOptions { TransferKiB = 1024, FlowAdd = false }));
        _udp = new(() =>
        {
            using var router = new GuestNatRouter(Guest, clients: 1);
            return UdpTimeoutCheck.Run(router, UdpTimeoutScenario.Plan);
        });
    }

    public KernelVm? Vm { get; }

    KernelVm Guest => Vm ?? throw new InvalidOperationException(VmPrerequisites.MissingReason);

    /// <summary>4 MiB through the flowtable.</summary>
    public FlowtableObservation Offloaded => _offloaded.Value;

    /// <summary>1 MiB on the classic path (no flowtable): the control.</summary>
    public FlowtableObservation Classic => _classic.Value;

    /// <summary><see cref="UdpTimeoutScenario.Plan"/> through the guest as a masquerading router.</summary>
    public UdpTimeoutObservation UdpTimeouts => _udp.Value;

    public void Dispose() => Vm?.Dispose();
}
