using Lab.Captures.Tests.Support;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.TestSupport;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// UDP conntrack expiry, host kernel against the lab's conntrack model (issue 7, "UDP entries expire
/// when the model says"), with the router's timeouts shortened to 3 s unreplied and 6 s stream
/// (<see cref="UdpTimeoutScenario.Plan"/>). The same datagrams, at the times they really crossed the
/// router, go through the model with the host's kernel version; every <c>conntrack -L</c> the kernel
/// answered is compared with the model at the start and the end of that call.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class HostUdpTimeoutTests(HostUdpTimeoutFixture fixture) : IClassFixture<HostUdpTimeoutFixture>
{
    [HostNatFact]
    public void Kernel_lists_each_flow_until_the_expiry_worked_out_from_the_kernel_source() =>
        UdpTimeoutScenario.AssertListedAsWorkedOut(fixture.Seen);

    [HostNatFact]
    public void Model_agrees_with_every_snapshot_on_expiry_remaining_seconds_and_unreplied()
    {
        var disagreements = UdpTimeoutScenario.CompareWithModel(fixture.Seen, compareAssured: false);
        Assert.True(disagreements.Length == 0, disagreements);
    }

    [HostNatFact]
    public void Kernel_sets_assured_only_when_it_grants_the_stream_timeout() =>
        UdpTimeoutScenario.AssertAssuredOnlyWithStream(fixture.Seen);

    [HostNatFact]
    public void Model_agrees_with_every_snapshot_on_assured() => UdpTimeoutScenario.AssertModelAgreesOnAssured(fixture.Seen);
}

/// <summary>The plan, run once for the class on a router of its own (about 10 s).</summary>
public sealed class HostUdpTimeoutFixture : IDisposable
{
    readonly HostNatRouter? _router;
    readonly Lazy<UdpTimeoutObservation> _seen;

    public HostUdpTimeoutFixture()
    {
        if (HostNatRouter.UnavailableReason() is null) _router = new HostNatRouter(clients: 1);
        _seen = new Lazy<UdpTimeoutObservation>(() => UdpTimeoutCheck.Run(
            new HostUdpRig(_router ?? throw new InvalidOperationException(HostNatRouter.UnavailableReason())), UdpTimeoutScenario.Plan));
    }

    public UdpTimeoutObservation Seen => _seen.Value;

    public void Dispose() => _router?.Dispose();
}
