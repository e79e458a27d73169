using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Lab.Captures.Frames;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.TestSupport;

/// <summary>
/// The qemu guest as a masquerading router, for <see cref="UdpTimeoutCheck"/> on the guest's kernel.
/// The guest needs two links (<see cref="KernelVmOptions.Nics"/> = 2): eth0 (10.0.1.1/24) faces the
/// clients, which the harness plays on tap0 with addresses 10.0.1.2 upwards; eth1 (198.51.100.1/24)
/// faces the server 198.51.100.2, played on tap1. The guest forwards with <c>oifname "eth1" masquerade</c>
/// (the same ruleset as <see cref="HostNatRouter"/>) and permanent neighbour entries, so no ARP is
/// ever needed. Frames are built with <see cref="FrameBuilder"/> and sent over AF_PACKET on the taps.
/// </summary>
public sealed class GuestNatRouter : IUdpConntrackRig, IDisposable
{
    const string UnrepliedPath = "/proc/sys/net/netfilter/nf_conntrack_udp_timeout";
    const string StreamPath = "/proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream";

    readonly KernelVm _vm;
    readonly TapPort _clientSide;
    readonly TapPort _serverSide;
    readonly MacAddress _tap0, _tap1, _eth0, _eth1;
    readonly byte[] _frame = new byte[2048];
    readonly byte[] _rx = new byte[2048];

    public string KernelRelease => _vm.KernelRelease;
    public IPAddress RouterPublicAddress { get; } = IPAddress.Parse(HostNatRouter.RouterPublicAddress);
    public IPAddress ServerAddress { get; } = IPAddress.Parse(HostNatRouter.ServerAddress);
    public IReadOnlyList<IPAddress> ClientAddresses { get; }

    /// <summary>How long a datagram may take through the emulated guest before it counts as lost.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public GuestNatRouter(KernelVm vm, int clients = 1)
    {
        if (vm.Nics.Count < 2) throw new ArgumentException("the guest needs two links (KernelVmOptions.Nics = 2)", nameof(vm));
        _vm = vm;
        VmNic n0 = vm.Nics[0], n1 = vm.Nics[1];
        (_tap0, _tap1, _eth0, _eth1) = (MacAddress.Parse(n0.TapMac), MacAddress.Parse(n1.TapMac), MacAddress.Parse(n0.GuestMac), MacAddress.Parse(n1.GuestMac));
        var addresses = new List<IPAddress>();
        var neigh = new System.Text.StringBuilder();
        for (int i = 0; i < clients; i++)
        {
            var a = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.0.1.{2 + i}"));
            addresses.Add(a);
            neigh.Append(CultureInfo.InvariantCulture, $"ip neigh replace {a} lladdr {n0.TapMac} dev {n0.GuestInterface} nud permanent\n");
        }
        ClientAddresses = addresses;
        vm.WriteFile("/tmp/labnat.nft", HostNatRouter.MasqueradeRuleset.Replace("\"r1\"", $"\"{n1.GuestInterface}\"", StringComparison.Ordinal));
        vm.RunChecked($"""
            set -e
            sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
            ip link set {n0.GuestInterface} up
            ip link set {n1.GuestInterface} up
            ip addr replace {HostNatRouter.RouterPrivateAddress}/24 dev {n0.GuestInterface}
            ip addr replace {HostNatRouter.RouterPublicAddress}/24 dev {n1.GuestInterface}
            {neigh}ip neigh replace {HostNatRouter.ServerAddress} lladdr {n1.TapMac} dev {n1.GuestInterface} nud permanent
            sysctl -qw net.ipv4.ip_forward=1
            nft delete table ip {HostNatRouter.NatTable} 2>/dev/null || true
            nft -f /tmp/labnat.nft
            conntrack -F 2>/dev/null || true
            """);
        _clientSide = vm.OpenTap(0);
        try
        {
            _serverSide = vm.OpenTap(1);
        }
        catch
        {
            _clientSide.Dispose();
            throw;
        }
    }

    public (int Unreplied, int Stream) SetUdpTimeouts(int unreplied, int stream)
    {
        var old = _vm.RunChecked($"cat {UnrepliedPath} {StreamPath}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        _vm.RunChecked(string.Create(CultureInfo.InvariantCulture, $"echo {unreplied} > {UnrepliedPath} && echo {stream} > {StreamPath}"));
        return (int.Parse(old[0], CultureInfo.InvariantCulture), int.Parse(old[1], CultureInfo.InvariantCulture));
    }

    public void Open(UdpFlowSpec flow)
    {
        // Nothing to open: the taps carry every flow.
    }

    public void SendOriginal(UdpFlowSpec flow, byte[] payload)
    {
        var f = new FlowAddresses(_tap0, _eth0, ClientAddresses[flow.Client], ServerAddress, flow.SourcePort, flow.ServerPort);
        int n = FrameBuilder.WriteUdpFrame(_frame, f, payload);
        _clientSide.Send(_frame.AsSpan(0, n));
    }

    public ushort? ReceiveAtServer(UdpFlowSpec flow, byte[] payload) => Await(_serverSide, payload, out ushort sport) ? sport : null;

    public void SendReply(UdpFlowSpec flow, ushort translatedPort, byte[] payload)
    {
        var f = new FlowAddresses(_tap1, _eth1, ServerAddress, RouterPublicAddress, flow.ServerPort, translatedPort);
        int n = FrameBuilder.WriteUdpFrame(_frame, f, payload);
        _serverSide.Send(_frame.AsSpan(0, n));
    }

    public bool ReceiveAtClient(UdpFlowSpec flow, byte[] payload) => Await(_clientSide, payload, out _);

    public IReadOnlyList<ConntrackEntry> ListUdpConntrack() => ConntrackListing.Parse(_vm.RunChecked("conntrack -L -p udp 2>/dev/null"));

    public void CloseFlows()
    {
    }

    /// <summary>Reads frames from <paramref name="tap"/> until an IPv4 UDP datagram carrying <paramref name="payload"/>; its source port.</summary>
    bool Await(TapPort tap, byte[] payload, out ushort sourcePort)
    {
        long deadline = Environment.TickCount64 + (long)DeliveryTimeout.TotalMilliseconds;
        sourcePort = 0;
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0) return false;
            int n = tap.Receive(_rx, TimeSpan.FromMilliseconds(left));
            if (n < 0) return false;
            var frame = _rx.AsSpan(0, n);
            if (n < 14 + 20 + 8 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800) continue;
            var ip = frame[14..];
            int ihl = (ip[0] & 0x0F) * 4;
            if (ip[9] != 17 || ip.Length < ihl + 8) continue;
            var udp = ip[ihl..];
            int len = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]) - 8;
            if (len != payload.Length || udp.Length < 8 + len || !udp.Slice(8, len).SequenceEqual(payload)) continue;
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
            return true;
        }
    }

    /// <summary>Closes the taps and undoes the guest's configuration: NAT table, addresses, neighbours, links, forwarding, conntrack entries.</summary>
    public void Dispose()
    {
        _clientSide.Dispose();
        _serverSide.Dispose();
        try
        {
            string eth0 = _vm.Nics[0].GuestInterface, eth1 = _vm.Nics[1].GuestInterface;
            _vm.Run($"nft delete table ip {HostNatRouter.NatTable}; sysctl -qw net.ipv4.ip_forward=0; " +
                $"for d in {eth0} {eth1}; do ip neigh flush dev $d nud permanent; ip addr flush dev $d; ip link set $d down; done; conntrack -F",
                TimeSpan.FromSeconds(30));
        }
        catch (VmException)
        {
            // the guest is gone or unusable; nothing left to clean in it
        }
    }
}
