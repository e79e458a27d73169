using System.Globalization;
using System.Net.Sockets;
using System.Net;
using Lab.Captures.Netns;
using Lab.KernelLab.Netfilter;

namespace Lab.KernelLab.TestSupport;

/// <summary>
/// <see cref="IUdpConntrackRig"/> on the host's kernel: a <see cref="HostNatRouter"/> with real UDP sockets
/// in its client and server namespaces. The router's conntrack update runs inside sendto(): veth hands
/// the packet to the softirq that runs before the call returns.
/// </summary>
public sealed class HostUdpRig(HostNatRouter router) : IUdpConntrackRig
{
    const string UnrepliedKey = "net/netfilter/nf_conntrack_udp_timeout";
    const string StreamKey = "net/netfilter/nf_conntrack_udp_timeout_stream";

    readonly Dictionary<string, Socket> _clients = new(StringComparer.Ordinal);
    readonly Dictionary<ushort, Socket> _servers = [];

    public string KernelRelease => HostNatRouter.KernelRelease;
    public IPAddress RouterPublicAddress { get; } = IPAddress.Parse(HostNatRouter.RouterPublicAddress);
    public IPAddress ServerAddress { get; } = IPAddress.Parse(HostNatRouter.ServerAddress);
    public IReadOnlyList<IPAddress> ClientAddresses => router.ClientAddresses;

    public (int Unreplied, int Stream) SetUdpTimeouts(int unreplied, int stream)
    {
        // /proc/sys/net belongs to the network namespace of the thread that opens it.
        var old = NetworkNamespace.Run(router.RouterNamespace, () => (Read(UnrepliedKey), Read(StreamKey)));
        router.SetRouterSysctl(UnrepliedKey.Replace('/', '.'), unreplied.ToString(CultureInfo.InvariantCulture));
        router.SetRouterSysctl(StreamKey.Replace('/', '.'), stream.ToString(CultureInfo.InvariantCulture));
        return old;
    }

    static int Read(string key) => int.Parse(File.ReadAllText("/proc/sys/" + key).Trim(), CultureInfo.InvariantCulture);

    public void Open(UdpFlowSpec flow)
    {
        var c = router.ClientSocket(router.ClientAddresses[flow.Client], flow.SourcePort);
        c.ReceiveTimeout = 1000;
        _clients[flow.Name] = c;
        if (!_servers.ContainsKey(flow.ServerPort))
        {
            var s = router.ServerSocket(flow.ServerPort);
            s.ReceiveTimeout = 1000;
            _servers[flow.ServerPort] = s;
        }
    }

    public void SendOriginal(UdpFlowSpec flow, byte[] payload) =>
        _clients[flow.Name].SendTo(payload, new IPEndPoint(ServerAddress, flow.ServerPort));

    public ushort? ReceiveAtServer(UdpFlowSpec flow, byte[] payload) =>
        ReceiveExactly(_servers[flow.ServerPort], payload) is IPEndPoint from ? (ushort)from.Port : null;

    public void SendReply(UdpFlowSpec flow, ushort translatedPort, byte[] payload) =>
        _servers[flow.ServerPort].SendTo(payload, new IPEndPoint(RouterPublicAddress, translatedPort));

    public bool ReceiveAtClient(UdpFlowSpec flow, byte[] payload) => ReceiveExactly(_clients[flow.Name], payload) is not null;

    public IReadOnlyList<ConntrackEntry> ListUdpConntrack() => router.ListConntrack("udp").Entries;

    public void CloseFlows()
    {
        foreach (var s in _clients.Values) s.Dispose();
        foreach (var s in _servers.Values) s.Dispose();
        _clients.Clear();
        _servers.Clear();
    }

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
