using System.Globalization;
using System.Text;
using Lab.Core;
using Lab.KernelLab.TestSupport;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// The UDP expiry plan the host and the guest kernel both run, what the kernel source says it must
/// show, and the comparison of a run with the lab's <see cref="ConntrackTable"/> replayed on the same clock.
/// </summary>
internal static class UdpTimeoutScenario
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
    // move an entry across a snapshot, and a quarter second off whole seconds of remaining time, so
    // the kernel's rounded-down "seconds left" cannot flip either.
    public static readonly UdpTimeoutPlan Plan = new(
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
    public static readonly string[] ExpectedListed = ["U R1 R2", "R1 R2", "R2", ""];

    /// <summary>
    /// Replays the datagrams through the model at their real times (the middle of the interval from sending to arrival) and
    /// compares each snapshot with the model at the snapshot's start and end. Returns the disagreements,
    /// one per line; empty when the kernel and the model agree.
    /// </summary>
    public static string CompareWithModel(UdpTimeoutObservation seen, bool compareAssured)
    {
        var timeouts = new ConntrackTimeouts
        {
            UdpUnreplied = seen.Plan.UnrepliedTimeoutSeconds * SimTime.Second,
            UdpReplied = seen.Plan.StreamTimeoutSeconds * SimTime.Second,
        };
        var version = ModelInputs.VersionOf(seen.KernelRelease);
        uint server = ModelInputs.Ip(seen.ServerAddress), routerPublic = ModelInputs.Ip(seen.RouterPublicAddress);
        var model = new MasqueradeModel(version, routerPublic, timeouts);
        var flows = seen.Plan.Flows.ToDictionary(f => f.Name, StringComparer.Ordinal);
        FlowTuple Orig(UdpFlowSpec f) => new(ModelInputs.Ip(seen.ClientAddresses[f.Client]), server, f.SourcePort, f.ServerPort, IpProto.Udp);
        var translated = new Dictionary<string, ushort>(StringComparer.Ordinal);
        long slack = 10 * SimTime.Millisecond; // a jiffy or two, and the widest send-to-arrival interval
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
                else if (!model.Reply(new FlowTuple(server, routerPublic, f.ServerPort, translated[f.Name], IpProto.Udp), at))
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

    /// <summary>Which flows each snapshot lists, against <see cref="ExpectedListed"/>.</summary>
    public static void AssertListedAsWorkedOut(UdpTimeoutObservation seen)
    {
        Assert.All(seen.Sends, s => Assert.True(s.Delivered, $"{s.Planned.Flow} {s.Planned.Direction} at {s.Before.TotalSeconds:F3} s never arrived"));
        Assert.Equal(Plan.Snapshots.Count, seen.Snapshots.Count);
        for (int i = 0; i < seen.Snapshots.Count; i++)
        {
            var listed = Plan.Flows.Where(f => seen.Snapshots[i].Find(seen.ClientAddresses[f.Client], f) is not null).Select(f => f.Name);
            Assert.Equal(ExpectedListed[i], string.Join(' ', listed));
        }
    }

    /// <summary>
    /// nf_conntrack_udp_packet: "if (stream && !test_and_set_bit(IPS_ASSURED_BIT, ...))" (Pablo Neira
    /// Ayuso, "netfilter: conntrack: set on IPS_ASSURED if flows enters internal stream state",
    /// nf-next October 2021). R1 saw a reply but was never refreshed more than 2 s after creation:
    /// never ASSURED. R2 is ASSURED from its datagram at 3 s.
    /// </summary>
    public static void AssertAssuredOnlyWithStream(UdpTimeoutObservation seen)
    {
        var flows = Plan.Flows.ToDictionary(f => f.Name, StringComparer.Ordinal);
        bool? Assured(int snapshot, string flow) => seen.Snapshots[snapshot].Find(seen.ClientAddresses[0], flows[flow])?.Assured;
        Assert.Equal((false, false), (Assured(0, "R1"), Assured(0, "R2")));
        Assert.Equal((false, true), (Assured(1, "R1"), Assured(1, "R2")));
        Assert.True(Assured(2, "R2"));
    }

    public static void AssertModelAgreesOnAssured(UdpTimeoutObservation seen)
    {
        var disagreements = CompareWithModel(seen, compareAssured: true);
        Assert.True(disagreements.Length == 0,
            "the kernel sets IPS_ASSURED on a UDP entry only together with the stream timeout " +
            "(nf_conntrack_udp_packet: 'if (stream && !test_and_set_bit(IPS_ASSURED_BIT, ...))'):\n" + disagreements);
    }
}
