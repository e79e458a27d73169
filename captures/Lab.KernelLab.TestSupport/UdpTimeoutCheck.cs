using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Lab.KernelLab.Netfilter;

namespace Lab.KernelLab.TestSupport;

/// <summary>A UDP flow of a timeout check: client address number <paramref name="Client"/>, its source port, the server's port.</summary>
public sealed record UdpFlowSpec(string Name, int Client, ushort SourcePort, ushort ServerPort);

public enum UdpDirection
{
    /// <summary>Client to server: the conntrack entry's original direction.</summary>
    Original,
    /// <summary>Server back to the address and port it saw: the reply direction.</summary>
    Reply,
}

/// <summary>One datagram of a flow, <paramref name="At"/> after the check starts.</summary>
public sealed record UdpTimedSend(TimeSpan At, string Flow, UdpDirection Direction);

/// <summary>
/// What to run: the router's UDP timeouts (net.netfilter.nf_conntrack_udp_timeout and
/// nf_conntrack_udp_timeout_stream, whole seconds), the flows, the datagrams and when to list the
/// router's conntrack table.
/// </summary>
public sealed record UdpTimeoutPlan(
    int UnrepliedTimeoutSeconds,
    int StreamTimeoutSeconds,
    IReadOnlyList<UdpFlowSpec> Flows,
    IReadOnlyList<UdpTimedSend> Sends,
    IReadOnlyList<TimeSpan> Snapshots);

/// <summary>
/// One datagram as it happened: the clock just before it was sent and just after it arrived at the other
/// end (or the wait for it gave up), so the router's conntrack update happened in between; and whether
/// it arrived.
/// </summary>
public sealed record UdpSendObservation(UdpTimedSend Planned, TimeSpan Before, TimeSpan After, bool Delivered);

/// <summary>One <c>conntrack -L</c> of the router, started at <paramref name="Start"/> and finished at <paramref name="End"/>.</summary>
public sealed record ConntrackSnapshot(TimeSpan Start, TimeSpan End, IReadOnlyList<ConntrackEntry> Entries)
{
    /// <summary>The entry whose original tuple is this flow's, or null when the kernel no longer lists it.</summary>
    public ConntrackEntry? Find(IPAddress client, UdpFlowSpec flow)
    {
        foreach (var e in Entries)
            if (e.Original.Source.Equals(client) && e.Original.SourcePort == flow.SourcePort && e.Original.DestinationPort == flow.ServerPort)
                return e;
        return null;
    }
}

/// <summary>Everything a <see cref="UdpTimeoutCheck"/> run saw, on one clock starting at the check's start.</summary>
public sealed record UdpTimeoutObservation(
    UdpTimeoutPlan Plan,
    string KernelRelease,
    IPAddress RouterPublicAddress,
    IPAddress ServerAddress,
    IReadOnlyList<IPAddress> ClientAddresses,
    IReadOnlyList<UdpSendObservation> Sends,
    IReadOnlyList<ConntrackSnapshot> Snapshots);

/// <summary>
/// A masquerading router whose UDP conntrack entries a <see cref="UdpTimeoutCheck"/> can drive and read:
/// clients behind it, a server beyond it, the router's public address towards the server.
/// </summary>
public interface IUdpConntrackRig
{
    string KernelRelease { get; }
    IPAddress RouterPublicAddress { get; }
    IPAddress ServerAddress { get; }
    IReadOnlyList<IPAddress> ClientAddresses { get; }

    /// <summary>Sets net.netfilter.nf_conntrack_udp_timeout and nf_conntrack_udp_timeout_stream (seconds); returns the previous values.</summary>
    (int Unreplied, int Stream) SetUdpTimeouts(int unreplied, int stream);

    /// <summary>Prepares the flow's client and server ends.</summary>
    void Open(UdpFlowSpec flow);

    /// <summary>Client to server; returns once the datagram has been handed to the kernel.</summary>
    void SendOriginal(UdpFlowSpec flow, byte[] payload);

    /// <summary>Waits for <paramref name="payload"/> at the server; the source port it arrived from (after NAT), or null if it never came.</summary>
    ushort? ReceiveAtServer(UdpFlowSpec flow, byte[] payload);

    /// <summary>Server back to the router's public address and <paramref name="translatedPort"/>.</summary>
    void SendReply(UdpFlowSpec flow, ushort translatedPort, byte[] payload);

    /// <summary>Waits for <paramref name="payload"/> at the flow's client; false if it never came.</summary>
    bool ReceiveAtClient(UdpFlowSpec flow, byte[] payload);

    /// <summary>The router's <c>conntrack -L -p udp</c>.</summary>
    IReadOnlyList<ConntrackEntry> ListUdpConntrack();

    /// <summary>Releases what <see cref="Open"/> prepared.</summary>
    void CloseFlows();
}

/// <summary>
/// UDP conntrack timeouts on a real kernel (nf_conntrack_udp_packet in
/// net/netfilter/nf_conntrack_proto_udp.c): sets the router's UDP timeouts, plays the plan's datagrams
/// through the <see cref="IUdpConntrackRig"/> at their times and lists the router's conntrack table at
/// the snapshot times, recording when everything really happened. The previous timeouts are restored
/// at the end. ctnetlink's dump leaves out entries whose timeout has passed (nf_ct_is_expired), so an
/// entry is listed exactly while the kernel considers it alive, independent of when the gc worker runs.
/// </summary>
public static class UdpTimeoutCheck
{
    public static UdpTimeoutObservation Run(IUdpConntrackRig rig, UdpTimeoutPlan plan)
    {
        var flows = plan.Flows.ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var s in plan.Sends)
            if (!flows.ContainsKey(s.Flow)) throw new ArgumentException($"send at {s.At} names unknown flow '{s.Flow}'", nameof(plan));

        var (oldUnreplied, oldStream) = rig.SetUdpTimeouts(plan.UnrepliedTimeoutSeconds, plan.StreamTimeoutSeconds);
        var translated = new Dictionary<string, ushort>(StringComparer.Ordinal);
        var sends = new List<UdpSendObservation>();
        var snapshots = new List<ConntrackSnapshot>();
        try
        {
            foreach (var f in plan.Flows) rig.Open(f);

            // One timeline: sends and snapshots in time order (a send first when both share a time).
            var timeline = plan.Sends.Select(s => (s.At, Send: (UdpTimedSend?)s, Snapshot: false))
                .Concat(plan.Snapshots.Select(t => (At: t, Send: (UdpTimedSend?)null, Snapshot: true)))
                .OrderBy(e => e.At).ThenBy(e => e.Snapshot)
                .ToList();
            var clock = Stopwatch.StartNew();
            foreach (var (at, send, _) in timeline)
            {
                var wait = at - clock.Elapsed;
                if (wait > TimeSpan.Zero) Thread.Sleep(wait);
                if (send is null)
                {
                    var start = clock.Elapsed;
                    var entries = rig.ListUdpConntrack();
                    snapshots.Add(new ConntrackSnapshot(start, clock.Elapsed, entries));
                    continue;
                }
                var flow = flows[send.Flow];
                byte[] payload = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{send.Flow} {sends.Count}"));
                TimeSpan before, after;
                bool delivered;
                if (send.Direction == UdpDirection.Original)
                {
                    before = clock.Elapsed;
                    rig.SendOriginal(flow, payload);
                    var port = rig.ReceiveAtServer(flow, payload);
                    after = clock.Elapsed;
                    delivered = port is not null;
                    if (port is ushort p) translated[flow.Name] = p;
                }
                else
                {
                    if (!translated.TryGetValue(flow.Name, out ushort port))
                        throw new InvalidOperationException($"flow '{flow.Name}': a reply at {send.At} before the server saw any datagram of it");
                    before = clock.Elapsed;
                    rig.SendReply(flow, port, payload);
                    delivered = rig.ReceiveAtClient(flow, payload);
                    after = clock.Elapsed;
                }
                sends.Add(new UdpSendObservation(send, before, after, delivered));
            }
        }
        finally
        {
            rig.CloseFlows();
            rig.SetUdpTimeouts(oldUnreplied, oldStream);
        }
        return new UdpTimeoutObservation(plan, rig.KernelRelease, rig.RouterPublicAddress, rig.ServerAddress, rig.ClientAddresses, sends, snapshots);
    }
}
