using Lab.Captures.Tests.Vm;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// This part: UDP conntrack expiry on the guest's kernel, the same plan as on the host
/// (<see cref="UdpTimeoutScenario.Plan"/>), with the guest forwarding between its two links and the
/// harness playing client and server on the taps. The model runs with the guest's version (6.1).
/// </summary>
public sealed partial class GuestKernelTests
{
    [VmFact]
    public void Guest_lists_each_udp_flow_until_the_expiry_worked_out_from_the_kernel_source() =>
        UdpTimeoutScenario.AssertListedAsWorkedOut(fixture.UdpTimeouts);

    [VmFact]
    public void Guest_udp_expiry_remaining_seconds_and_unreplied_agree_with_the_model_at_the_guest_version()
    {
        var seen = fixture.UdpTimeouts;
        foreach (var s in seen.Snapshots) output.WriteLine($"{s.Start.TotalSeconds:F3}-{s.End.TotalSeconds:F3} s: {string.Join(" | ", s.Entries)}");
        var disagreements = UdpTimeoutScenario.CompareWithModel(seen, compareAssured: false);
        Assert.True(disagreements.Length == 0, disagreements);
    }

    [VmFact]
    public void Guest_sets_assured_only_when_it_grants_the_stream_timeout() =>
        UdpTimeoutScenario.AssertAssuredOnlyWithStream(fixture.UdpTimeouts);
}
