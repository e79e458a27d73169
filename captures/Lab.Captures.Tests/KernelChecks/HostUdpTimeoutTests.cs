using System.Globalization;
using System.Text;
using Lab.Captures.KernelChecks;
using Lab.Captures.Tests.Support;
using Lab.Engine;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// UDP conntrack expiry, host kernel against the lab's <see cref="ConntrackTable"/> (issue 7, "UDP
/// entries expire when the model says"), with the router's timeouts shortened to 3 s unreplied and
/// 6 s stream. The same datagrams, at the times they really left, go through the model; every
/// <c>conntrack -L</c> the kernel answered is compared with the model at the start and the end of
/// that call: listed or not, the remaining seconds, [UNREPLIED].
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class HostUdpTimeoutTests(HostUdpTimeoutFixture fixture) : IClassFixture<HostUdpTimeoutFixture>
{
    static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    const ushort ServerPort = 7100;

    // U: one datagram, never answered: unreplied timeout, expires at 3 s.
    // R1: answered at once, sent again at 1.5 s, 1.5 s after creation: nf_conntrack_udp_packet grants
    //     the stream timeout only when jiffies are after stream_ts = creation + 2 s, so the
    //     refresh is the unreplied 3 s again: expires at 4.5 s (a kernel without the 2-second rule
    //     would give 6 s: 7.5 s).
    // R2: answered at once, sent again at 1.5 s (expires 4.5 s) and at 3 s, 3 s after creation:
    //     stream timeout, expires at 3 + 6 = 9 s (with only 3 s it would be 6 s).
    // Snapshots sit at least 0.75 s from every one of these instants, so scheduling jitter cannot
    // move an entry across a snapshot.
    internal static readonly UdpTimeoutPlan Plan = new(
        UnrepliedTimeoutSeconds: 3,
        StreamTimeoutSeconds: 6,
        Flows:
        [
            new UdpFlowSpec("U", 0, 45001, ServerPort),
            new UdpFlowSpec("R1", 0, 45002, ServerPort),
            new UdpFlowSpec("R2", 0, 45003, ServerPort),
        ],
        Sends:
        [
            new UdpTimedSend(S(0), "U", UdpDirection.Original),
            new UdpTimedSend(S(0), "R1", UdpDirection.Original),
            new UdpTimedSend(S(0), "R2", UdpDirection.Original),
            new UdpTimedSend(S(0.05), "R1", UdpDirection.Reply),
            new UdpTimedSend(S(0.05), "R2", UdpDirection.Reply),
            new UdpTimedSend(S(1.5), "R1", UdpDirection.Original),
            new UdpTimedSend(S(1.5), "R2", UdpDirection.Original),
            new UdpTimedSend(S(3.0), "R2", UdpDirection.Original),
        ],
        Snapshots: [S(2.25), S(3.75), S(6.75), S(9.75)]);

    // Listed per snapshot, worked out above: U until 3 s, R1 until 4.5 s, R2 until 9 s.
    static readonly string[] ExpectedListed = ["U R1 R2", "R1 R2", "R2", ""];

    [HostNatFact]
    public void Kernel_lists_each_flow_until_the_expiry_worked_out_from_the_kernel_source()
    {
        var seen = fixture.Seen;
        Assert.All(seen.Sends, s => Assert.True(s.Delivered, $"{s.Planned.Flow} {s.Planned.Direction} at {s.After.TotalSeconds:F3} s never arrived"));
        Assert.Equal(Plan.Snapshots.Count, seen.Snapshots.Count);
        for (int i = 0; i < seen.Snapshots.Count; i++)
        {
            var listed = Plan.Flows.Where(f => seen.Snapshots[i].Find(seen.ClientAddresses[f.Client], f) is not null).Select(f => f.Name);
            Assert.Equal(ExpectedListed[i], string.Join(' ', listed));
        }
    }

    [HostNatFact]
    public void Model_agrees_with_every_snapshot_on_expiry_remaining_seconds_and_unreplied()
    {
        var seen = fixture.Seen;
        var disagreements = CompareWithModel(seen, ModelInputs.VersionOf(HostNatRouter.KernelRelease), compareAssured: false);
        Assert.True(disagreements.Length == 0, disagreements);
    }

    [HostNatFact]
    public void Kernel_sets_assured_only_when_it_grants_the_stream_timeout()
    {
        // nf_conntrack_udp_packet: "if (stream && !test_and_set_bit(IPS_ASSURED_BIT, ...))" (Pablo Neira
        // Ayuso, "netfilter: conntrack: set on IPS_ASSURED if flows enters internal stream state",
        // nf-next October 2021). R1 saw a reply but was never refreshed more than 2 s after creation:
        // never ASSURED. R2 is ASSURED from its datagram at 3 s.
        var seen = fixture.Seen;
        var flows = Plan.Flows.ToDictionary(f => f.Name, StringComparer.Ordinal);
        bool? Assured(int snapshot, string flow) => seen.Snapshots[snapshot].Find(seen.ClientAddresses[0], flows[flow])?.Assured;
        Assert.Equal((false, false), (Assured(0, "R1"), Assured(0, "R2")));
        Assert.Equal((false, true), (Assured(1, "R1"), Assured(1, "R2")));
        Assert.True(Assured(2, "R2"));
    }

    [HostNatFact]
    public void Model_agrees_with_every_snapshot_on_assured()
    {
        var seen = fixture.Seen;
        var disagreements = CompareWithModel(seen, ModelInputs.VersionOf(HostNatRouter.KernelRelease), compareAssured: true);
        Assert.True(disagreements.Length == 0, disagreements);
    }

    /// <summary>
    /// Replays the datagrams through the model at their real times (the middle of the sendto call) and
    /// compares each snapshot with the model at the snapshot's start and end. Returns the disagreements,
    /// one per line; empty when the kernel and the model agree.
    /// </summary>
    static string CompareWithModel(UdpTimeoutObservation seen, KernelVersion version, bool compareAssured)
    {
        var timeouts = new ConntrackTimeouts
        {
            UdpUnreplied = seen.Plan.UnrepliedTimeoutSeconds * SimTime.Second,
            UdpReplied = seen.Plan.StreamTimeoutSeconds * SimTime.Second,
        };
        uint server = ModelInputs.Ip(HostNatRouter.ServerAddress);
        var model = new MasqueradeModel(version, ModelInputs.Ip(HostNatRouter.RouterPublicAddress), timeouts);
        var flows = seen.Plan.Flows.ToDictionary(f => f.Name, StringComparer.Ordinal);
        FlowTuple Orig(UdpFlowSpec f) => new(ModelInputs.Ip(seen.ClientAddresses[f.Client]), server, f.SourcePort, f.ServerPort, IpProto.Udp);
        var translated = new Dictionary<string, ushort>(StringComparer.Ordinal);
        long slack = 10 * SimTime.Millisecond; // a jiffy or two, and the width of a sendto call
        foreach (var s in seen.Sends) slack = Math.Max(slack, ModelInputs.Ps(s.After - s.Before) + 10 * SimTime.Millisecond);

        var events = seen.Sends.Select(s => (At: ModelInputs.Ps((s.Before + s.After) / 2), Send: (UdpSendObservation?)s, Snap: (ConntrackSnapshot?)null))
            .Concat(seen.Snapshots.Select(n => (At: ModelInputs.Ps(n.Start), Send: (UdpSendObservation?)null, Snap: (ConntrackSnapshot?)n)))
            .OrderBy(e => e.At).ToList();
        var report = new StringBuilder();
        foreach (var (at, send, snap) in events)
        {
            if (send is not null)
            {
                var f = flows[send.Planned.Flow];
                if (send.Planned.Direction == UdpDirection.Original)
                    translated[f.Name] = model.Original(Orig(f), at);
                else if (!model.Reply(new FlowTuple(server, ModelInputs.Ip(HostNatRouter.RouterPublicAddress), f.ServerPort, translated[f.Name], IpProto.Udp), at))
                    report.AppendLine(CultureInfo.InvariantCulture, $"model: reply of {f.Name} at {SimTime.Format(at)} found no entry");
                continue;
            }
            long start = ModelInputs.Ps(snap!.Start), end = ModelInputs.Ps(snap.End);
            // All lookups at the start before any at the end: the model frees what it finds expired.
            var atStarts = seen.Plan.Flows.Select(f => model.Lookup(Orig(f), start - slack)).ToList();
            var atEnds = seen.Plan.Flows.Select(f => model.Lookup(Orig(f), end + slack)).ToList();
            for (int i = 0; i < seen.Plan.Flows.Count; i++)
            {
                var f = seen.Plan.Flows[i];
                var kernel = snap.Find(seen.ClientAddresses[f.Client], f);
                var atStart = atStarts[i];
                var atEnd = atEnds[i];
                string where = $"snapshot {snap.Start.TotalSeconds:F3}-{snap.End.TotalSeconds:F3} s, flow {f.Name}";
                if (atStart.HasValue != atEnd.HasValue)
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"{where}: the model's expiry falls inside the snapshot; widen the plan's margins");
                    continue;
                }
                if (kernel is null != atStart is null)
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"{where}: kernel {(kernel is null ? "does not list it" : "lists it")}, model says {(atStart is null ? "expired" : "alive")}");
                    continue;
                }
                if (kernel is null || atStart is not { } e || atEnd is not { } e2) continue;
                // ctnetlink sends the remaining jiffies / HZ, rounded down.
                long hi = (e.Timeout - (start - slack)) / SimTime.Second, lo = (e2.Timeout - (end + slack)) / SimTime.Second;
                if (kernel.TimeoutSeconds is not int secs || secs < lo || secs > hi)
                    report.AppendLine(CultureInfo.InvariantCulture, $"{where}: kernel has {kernel.TimeoutSeconds} s left, model {lo}-{hi} s");
                bool modelUnreplied = !e.Is(ConntrackStatus.SeenReply);
                if (kernel.Unreplied != modelUnreplied)
                    report.AppendLine(CultureInfo.InvariantCulture, $"{where}: kernel [UNREPLIED]={kernel.Unreplied}, model {modelUnreplied}");
                if (compareAssured && kernel.Assured != e.Is(ConntrackStatus.Assured))
                    report.AppendLine(CultureInfo.InvariantCulture, $"{where}: kernel [ASSURED]={kernel.Assured}, model {e.Is(ConntrackStatus.Assured)}");
            }
        }
        return report.ToString();
    }
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
            _router ?? throw new InvalidOperationException(HostNatRouter.UnavailableReason()), HostUdpTimeoutTests.Plan));
    }

    public UdpTimeoutObservation Seen => _seen.Value;

    public void Dispose() => _router?.Dispose();
}
