using System.Globalization;
using System.Net.Sockets;
using System.Net;
using Lab.Captures.Frames;
using Lab.Captures.Netns;
using Lab.Core;
using Lab.KernelLab.Netns;

namespace Lab.KernelLab.Netfilter;

/// <summary>
/// A masquerading router on the host's kernel, in three namespaces this object creates and removes:
/// <c>client</c> (private addresses 10.0.1.2, 10.0.1.3, ... on c0) -- <c>router</c> (10.0.1.1 on r0,
/// 198.51.100.1 on r1, forwarding on, <c>oifname "r1" masquerade</c> in a postrouting nat chain)
/// -- <c>server</c> (198.51.100.2 on s0; TEST-NET-2, RFC 5737, so nothing real is ever addressed).
/// Every neighbour entry is permanent, so the first datagram of a flow crosses the router without
/// waiting for ARP and the conntrack entry is created while the sender's sendto() runs.
/// IPv6 is off in all three namespaces: nothing but the test's own packets is ever forwarded.
/// Sockets for the client and server side are created inside their namespaces and can then be used
/// from any thread.
/// </summary>
public sealed class HostNatRouter : IDisposable
{
    public const string RouterPrivateAddress = "10.0.1.1";
    public const string RouterPublicAddress = "198.51.100.1";
    public const string ServerAddress = "198.51.100.2";
    public const string NatTable = "labnat";

    static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:10:02");
    static readonly MacAddress RouterInsideMac = MacAddress.Parse("02:00:00:00:10:01");
    static readonly MacAddress RouterOutsideMac = MacAddress.Parse("02:00:00:00:20:01");
    static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:20:02");

    readonly NetnsTopology _topology = new();

    public string ClientNamespace { get; }
    public string RouterNamespace { get; }
    public string ServerNamespace { get; }

    /// <summary>The client's addresses, 10.0.1.2 upwards: each stands for one subscriber behind the NAT.</summary>
    public IReadOnlyList<IPAddress> ClientAddresses { get; }

    /// <summary>The host's kernel release (uname -r), for choosing the model's version.</summary>
    public static string KernelRelease => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>Builds the three namespaces; <paramref name="clients"/> addresses on the client side (1-200).</summary>
    public HostNatRouter(int clients = 4)
    {
        if (clients is < 1 or > 200) throw new ArgumentOutOfRangeException(nameof(clients), clients, "1 to 200 client addresses");
        try
        {
            ClientNamespace = _topology.AddNamespace("client");
            RouterNamespace = _topology.AddNamespace("router");
            ServerNamespace = _topology.AddNamespace("server");
            foreach (string ns in _topology.Namespaces) _topology.DisableIpv6(ns);
            _topology.AddVethPair(ClientNamespace, "c0", RouterNamespace, "r0", ClientMac, RouterInsideMac);
            _topology.AddVethPair(RouterNamespace, "r1", ServerNamespace, "s0", RouterOutsideMac, ServerMac);

            var addresses = new List<IPAddress>(clients);
            for (int i = 0; i < clients; i++)
            {
                var a = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.0.1.{2 + i}"));
                addresses.Add(a);
                _topology.Ip(ClientNamespace, "addr", "add", $"{a}/24", "dev", "c0");
                _topology.Ip(RouterNamespace, "neigh", "replace", a.ToString(), "lladdr", ClientMac.ToString(), "dev", "r0", "nud", "permanent");
            }
            ClientAddresses = addresses;
            _topology.Ip(ClientNamespace, "route", "add", "default", "via", RouterPrivateAddress);
            _topology.Ip(ClientNamespace, "neigh", "replace", RouterPrivateAddress, "lladdr", RouterInsideMac.ToString(), "dev", "c0", "nud", "permanent");

            _topology.Ip(RouterNamespace, "addr", "add", $"{RouterPrivateAddress}/24", "dev", "r0");
            _topology.Ip(RouterNamespace, "addr", "add", $"{RouterPublicAddress}/24", "dev", "r1");
            _topology.Ip(RouterNamespace, "neigh", "replace", ServerAddress, "lladdr", ServerMac.ToString(), "dev", "r1", "nud", "permanent");
            _topology.Ip(ServerNamespace, "addr", "add", $"{ServerAddress}/24", "dev", "s0");
            _topology.Ip(ServerNamespace, "neigh", "replace", RouterPublicAddress, "lladdr", RouterOutsideMac.ToString(), "dev", "s0", "nud", "permanent");

            _topology.Exec(RouterNamespace, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            LoadRuleset(RouterNamespace, MasqueradeRuleset);
        }
        catch
        {
            _topology.Dispose();
            throw;
        }
    }

    /// <summary>The router's ruleset: masquerade what leaves towards the server (nf_nat_masquerade_ipv4: one address, no port range).</summary>
    public const string MasqueradeRuleset = $$"""
        table ip {{NatTable}} {
          chain postrouting {
            type nat hook postrouting priority srcnat; policy accept;
            oifname "r1" masquerade
          }
        }
        """;

    void LoadRuleset(string ns, string ruleset)
    {
        using var tmp = new PrivateTempDirectory("lab-nft-");
        _topology.Exec(ns, "nft", "-f", tmp.WriteFile("ruleset.nft", ruleset));
    }

    /// <summary>Sets net.netfilter sysctls in the router's namespace (per-namespace conntrack settings).</summary>
    public void SetRouterSysctl(string key, string value) =>
        _topology.Exec(RouterNamespace, "sysctl", "-q", "-w", $"{key}={value}");

    /// <summary>A UDP socket bound to <paramref name="address"/>:<paramref name="port"/> on the client side.</summary>
    public Socket ClientSocket(IPAddress address, ushort port) => BoundUdp(ClientNamespace, address, port);

    /// <summary>A UDP socket bound to the server's address and <paramref name="port"/>.</summary>
    public Socket ServerSocket(ushort port) => BoundUdp(ServerNamespace, IPAddress.Parse(ServerAddress), port);

    static Socket BoundUdp(string ns, IPAddress address, ushort port) => NetworkNamespace.Run(ns, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            s.Bind(new IPEndPoint(address, port));
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return s;
    });

    /// <summary>
    /// <c>conntrack -L -p udp</c> in the router's namespace, run from a thread inside it (no <c>ip netns exec</c>
    /// in between, so the dump follows the call closely). Returns the entries and when the command ran.
    /// </summary>
    public (IReadOnlyList<ConntrackEntry> Entries, string Raw) ListConntrack(string protocol = "udp")
    {
        var r = NetworkNamespace.Run(RouterNamespace, () => CommandRunner.Run("conntrack", ["-L", "-p", protocol]));
        if (!r.Succeeded) throw new InvalidOperationException($"conntrack -L in {RouterNamespace} failed ({r.ExitCode}): {r.StandardError.Trim()}");
        return (ConntrackListing.Parse(r.StandardOutput), r.StandardOutput);
    }

    /// <summary>Runs <c>conntrack ARGS</c> in the router's namespace (e.g. -I to occupy a tuple); throws on failure.</summary>
    public string Conntrack(params string[] arguments)
    {
        var r = NetworkNamespace.Run(RouterNamespace, () => CommandRunner.Run("conntrack", arguments));
        if (!r.Succeeded) throw new InvalidOperationException($"conntrack {string.Join(' ', arguments)} in {RouterNamespace} failed ({r.ExitCode}): {r.StandardError.Trim()}");
        return r.StandardOutput;
    }

    /// <summary>
    /// Why the host cannot run these checks, or null: namespaces (root, iproute2), the nft and conntrack
    /// tools, and a kernel that accepts a masquerade rule (nf_tables, nft_masq, nf_nat, nf_conntrack).
    /// The last is tried once in a namespace of its own.
    /// </summary>
    public static string? UnavailableReason() => s_reason.Value;

    static readonly Lazy<string?> s_reason = new(Probe);

    static string? Probe()
    {
        if (NetnsTopology.UnavailableReason() is string r) return r;
        if (CommandRunner.FindOnPath("nft") is null) return "nft is not installed (apt-get install nftables)";
        if (CommandRunner.FindOnPath("conntrack") is null) return "conntrack is not installed (apt-get install conntrack)";
        try
        {
            using var t = new NetnsTopology();
            string ns = t.AddNamespace("probe");
            using (var tmp = new PrivateTempDirectory("lab-nft-probe-"))
            {
                var res = t.TryExec(ns, "nft", ["-f", tmp.WriteFile("probe.nft", MasqueradeRuleset)]);
                if (!res.Succeeded) return $"this kernel refuses an nft masquerade rule (nf_tables, nft_masq, nf_nat missing?): {res.StandardError.Trim()}";
            }
            var ct = t.TryExec(ns, "conntrack", ["-L"]);
            if (!ct.Succeeded) return $"conntrack -L fails in a namespace (no nf_conntrack_netlink?): {ct.StandardError.Trim()}";
            return null;
        }
        catch (InvalidOperationException e)
        {
            return "cannot build a namespace to probe nftables NAT: " + e.Message;
        }
    }

    public void Dispose() => _topology.Dispose();
}
