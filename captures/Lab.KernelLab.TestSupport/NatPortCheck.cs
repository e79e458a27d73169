using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text;
using Lab.KernelLab.Netfilter;

namespace Lab.KernelLab.TestSupport;

/// <summary>One step of a NAT port-allocation check, run in order.</summary>
public abstract record NatStep;

/// <summary>A UDP datagram from client address number <paramref name="Client"/> (0-based), source port <paramref name="SourcePort"/>, to the server's <paramref name="ServerPort"/>.</summary>
public sealed record NatSend(int Client, ushort SourcePort, ushort ServerPort) : NatStep;

/// <summary>
/// <c>conntrack -I</c> in the router: an entry from the router's public address and <paramref name="PublicPort"/>
/// to the server's <paramref name="ServerPort"/> (reply tuple its inverse), which holds that public port
/// towards that destination without any socket or packet.
/// </summary>
public sealed record NatOccupy(ushort PublicPort, ushort ServerPort) : NatStep;

/// <summary>What the kernel did with one <see cref="NatSend"/>: the source the server saw, and the router's conntrack entry for it.</summary>
public sealed record NatSendObservation(NatSend Step, IPAddress ClientAddress, IPEndPoint SeenByServer, ConntrackEntry? RouterEntry);

/// <summary>
/// Masquerade port allocation on the host's kernel (nf_nat_masquerade_ipv4 -> nf_nat_setup_info ->
/// get_unique_tuple in net/netfilter/nf_nat_core.c): sends the steps' datagrams through a
/// <see cref="HostNatRouter"/> and reports, per datagram, the source address and port the server saw,
/// plus the router's conntrack entry (whose reply tuple names the same port). Every datagram goes out
/// on a socket of its own bound to the given address and port; sockets stay open until the end, so a
/// later step from the same address and port reuses its socket.
/// </summary>
public static class NatPortCheck
{
    public static IReadOnlyList<NatSendObservation> Run(HostNatRouter router, IEnumerable<NatStep> steps)
    {
        var clients = new Dictionary<(int, ushort), Socket>();
        var servers = new Dictionary<ushort, Socket>();
        var sent = new List<(NatSend Step, IPAddress Client, IPEndPoint Seen)>();
        try
        {
            int n = 0;
            foreach (var step in steps)
            {
                switch (step)
                {
                    case NatOccupy o:
                        router.Conntrack("-I", "-p", "udp", "-s", HostNatRouter.RouterPublicAddress, "-d", HostNatRouter.ServerAddress,
                            "--sport", o.PublicPort.ToString(CultureInfo.InvariantCulture), "--dport", o.ServerPort.ToString(CultureInfo.InvariantCulture),
                            "--timeout", "120");
                        break;
                    case NatSend s:
                        var address = router.ClientAddresses[s.Client];
                        if (!clients.TryGetValue((s.Client, s.SourcePort), out var client))
                            clients[(s.Client, s.SourcePort)] = client = router.ClientSocket(address, s.SourcePort);
                        if (!servers.TryGetValue(s.ServerPort, out var server))
                        {
                            servers[s.ServerPort] = server = router.ServerSocket(s.ServerPort);
                            server.ReceiveTimeout = 3000;
                        }
                        string tag = string.Create(CultureInfo.InvariantCulture, $"nat-step-{n++}");
                        client.SendTo(Encoding.ASCII.GetBytes(tag), new IPEndPoint(IPAddress.Parse(HostNatRouter.ServerAddress), s.ServerPort));
                        sent.Add((s, address, ReceiveTagged(server, tag)));
                        break;
                    default:
                        throw new ArgumentException($"unknown NAT step {step}", nameof(steps));
                }
            }
        }
        finally
        {
            foreach (var s in clients.Values) s.Dispose();
            foreach (var s in servers.Values) s.Dispose();
        }

        var (entries, _) = router.ListConntrack("udp");
        var result = new List<NatSendObservation>(sent.Count);
        foreach (var (step, client, seen) in sent)
        {
            ConntrackEntry? entry = null;
            foreach (var e in entries)
                if (e.Original.Source.Equals(client) && e.Original.SourcePort == step.SourcePort && e.Original.DestinationPort == step.ServerPort)
                    entry = e;
            result.Add(new NatSendObservation(step, client, seen, entry));
        }
        return result;
    }

    /// <summary>Receives until the datagram carrying <paramref name="tag"/> arrives; returns its source.</summary>
    static IPEndPoint ReceiveTagged(Socket server, string tag)
    {
        var buffer = new byte[256];
        while (true)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n;
            try
            {
                n = server.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                throw new InvalidOperationException($"the server never received datagram '{tag}' through the NAT router (3 s)", e);
            }
            if (Encoding.ASCII.GetString(buffer, 0, n) == tag) return (IPEndPoint)from;
        }
    }
}
