using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lab.Captures.KernelChecks;

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
/// One datagram as it happened: the clock just before and just after sendto() (the router's conntrack
/// update runs inside that call: veth hands the packet to the softirq that runs before sendto returns),
/// and whether it arrived at the other end.
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
    IReadOnlyList<IPAddress> ClientAddresses,
    IReadOnlyList<UdpSendObservation> Sends,
    IReadOnlyList<ConntrackSnapshot> Snapshots);

/// <summary>
/// UDP conntrack timeouts on the host's kernel (nf_conntrack_udp_packet in
/// net/netfilter/nf_conntrack_proto_udp.c): sets the router's UDP timeouts, plays the plan's datagrams
/// through the <see cref="HostNatRouter"/> at their times and lists the router's conntrack table at the
/// snapshot times, recording when everything really happened. The previous timeouts are restored at the end.
/// ctnetlink's dump leaves out entries whose timeout has passed (nf_ct_is_expired), so an entry is
/// listed exactly while the kernel considers it alive, independent of when the gc worker runs.
/// </summary>
public static class UdpTimeoutCheck
{
    const string UnrepliedKey = "net.netfilter.nf_conntrack_udp_timeout";
    const string StreamKey = "net.netfilter.nf_conntrack_udp_timeout_stream";

    public static UdpTimeoutObservation Run(HostNatRouter router, UdpTimeoutPlan plan)
    {
        var flows = plan.Flows.ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var s in plan.Sends)
            if (!flows.ContainsKey(s.Flow)) throw new ArgumentException($"send at {s.At} names unknown flow '{s.Flow}'", nameof(plan));

        // The sysctls exist once nf_conntrack is loaded; the router's masquerade rule needed it.
        string oldUnreplied = ReadSysctl(router, UnrepliedKey);
        string oldStream = ReadSysctl(router, StreamKey);
        router.SetRouterSysctl(UnrepliedKey, plan.UnrepliedTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
        router.SetRouterSysctl(StreamKey, plan.StreamTimeoutSeconds.ToString(CultureInfo.InvariantCulture));

        var clientSockets = new Dictionary<string, Socket>(StringComparer.Ordinal);
        var serverSockets = new Dictionary<ushort, Socket>();
        var seenByServer = new Dictionary<string, EndPoint>(StringComparer.Ordinal);
        var sends = new List<UdpSendObservation>();
        var snapshots = new List<ConntrackSnapshot>();
        try
        {
            foreach (var f in plan.Flows)
            {
                var c = router.ClientSocket(router.ClientAddresses[f.Client], f.SourcePort);
                c.ReceiveTimeout = 1000;
                clientSockets[f.Name] = c;
                if (!serverSockets.ContainsKey(f.ServerPort))
                {
                    var s = router.ServerSocket(f.ServerPort);
                    s.ReceiveTimeout = 1000;
                    serverSockets[f.ServerPort] = s;
                }
            }

            // One timeline: sends and snapshots in time order (a send first when both share a time).
            var timeline = plan.Sends.Select(s => (s.At, Send: (UdpTimedSend?)s, Snapshot: false))
                .Concat(plan.Snapshots.Select(t => (At: t, Send: (UdpTimedSend?)null, Snapshot: true)))
                .OrderBy(e => e.At).ThenBy(e => e.Snapshot)
                .ToList();
            var server = IPAddress.Parse(HostNatRouter.ServerAddress);
            var clock = Stopwatch.StartNew();
            foreach (var (at, send, _) in timeline)
            {
                var wait = at - clock.Elapsed;
                if (wait > TimeSpan.Zero) Thread.Sleep(wait);
                if (send is null)
                {
                    var start = clock.Elapsed;
                    var (entries, _) = router.ListConntrack("udp");
                    snapshots.Add(new ConntrackSnapshot(start, clock.Elapsed, entries));
                    continue;
                }
                var flow = flows[send.Flow];
                byte[] payload = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{send.Flow} {sends.Count}"));
                TimeSpan before, after;
                bool delivered;
                if (send.Direction == UdpDirection.Original)
                {
                    var sock = serverSockets[flow.ServerPort];
                    before = clock.Elapsed;
                    clientSockets[flow.Name].SendTo(payload, new IPEndPoint(server, flow.ServerPort));
                    after = clock.Elapsed;
                    var from = ReceiveExactly(sock, payload);
                    delivered = from is not null;
                    if (from is not null) seenByServer[flow.Name] = from;
                }
                else
                {
                    if (!seenByServer.TryGetValue(flow.Name, out var to))
                        throw new InvalidOperationException($"flow '{flow.Name}': a reply at {send.At} before the server saw any datagram of it");
                    before = clock.Elapsed;
                    serverSockets[flow.ServerPort].SendTo(payload, to);
                    after = clock.Elapsed;
                    delivered = ReceiveExactly(clientSockets[flow.Name], payload) is not null;
                }
                sends.Add(new UdpSendObservation(send, before, after, delivered));
            }
        }
        finally
        {
            foreach (var s in clientSockets.Values) s.Dispose();
            foreach (var s in serverSockets.Values) s.Dispose();
            router.SetRouterSysctl(UnrepliedKey, oldUnreplied);
            router.SetRouterSysctl(StreamKey, oldStream);
        }
        return new UdpTimeoutObservation(plan, router.ClientAddresses, sends, snapshots);
    }

    static string ReadSysctl(HostNatRouter router, string key) =>
        NetworkNamespaceFile(router, "/proc/sys/" + key.Replace('.', '/'));

    static string NetworkNamespaceFile(HostNatRouter router, string path) =>
        Netns.NetworkNamespace.Run(router.RouterNamespace, () => File.ReadAllText(path).Trim());

    /// <summary>Receives until <paramref name="payload"/> arrives (other datagrams are dropped); null after the socket's timeout.</summary>
    static EndPoint? ReceiveExactly(Socket socket, byte[] payload)
    {
        var buffer = new byte[512];
        while (true)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                int n = socket.ReceiveFrom(buffer, ref from);
                if (buffer.AsSpan(0, n).SequenceEqual(payload)) return from;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                return null;
            }
        }
    }
}
