using System.Globalization;
using System.Text;
using Lab.KernelLab.Validation;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>
/// The shell scripts that make the device under test a forwarding box (POSIX sh, iproute2, nft,
/// conntrack, /proc/sys: they run in the guest and in the host's DUT namespace alike).
/// <code>
///   clients 10.0.0.0/8 -- 192.0.2.1 (inject side) --ingress-- 192.0.2.2 DUT
///   DUT 198.51.100.2 --egress-- 198.51.100.1 (capture side) -- servers 198.18.0.0/15
///   clients 2001:db8:1::/48 -- 2001:db8:a::1 --ingress-- 2001:db8:a::2 DUT
///   DUT 2001:db8:b::2 --egress-- 2001:db8:b::1 -- servers 2001:db8:2::/48
/// </code>
/// IPv6 is on in the DUT only (forwarding 1, accept_ra 0, addresses without duplicate address
/// detection); its neighbours are permanent as the IPv4 ones, so it sends no neighbour solicitation.
/// The IPv6 masquerade address (the model's masquerade.address6) is, like the IPv4 one, a snat to an
/// address the DUT neither owns nor routes, so a late reply to it is dropped for no route in both.
/// The clients and servers are the model's (Lab.Netfilter FlowAddressPlan); their frames are
/// played by the harness on the two links. Neighbours are permanent, so the DUT never asks.
/// </summary>
public static class ForwardDutScripts
{
    public const string ClientNextHop = DutAddresses.HostIngress4;       // 192.0.2.1
    public const string DutIngress = DutAddresses.DutIngress4;           // 192.0.2.2
    public const string ServerNextHop = "198.51.100.1";
    public const string DutEgress = "198.51.100.2";
    public const string ClientNet = "10.0.0.0/8";
    public const string ServerNet = "198.18.0.0/15";
    public const string ClientNextHop6 = "2001:db8:a::1";
    public const string DutIngress6 = "2001:db8:a::2";
    public const string ServerNextHop6 = "2001:db8:b::1";
    public const string DutEgress6 = "2001:db8:b::2";
    public const string ClientNet6 = "2001:db8:1::/48";
    public const string ServerNet6 = "2001:db8:2::/48";

    public const string Table = "lab_fwd";
    public const string NatTable = "lab_fwd_nat";
    public const string ChainCounter = "forward_chain";

    /// <summary>The forward chain marks what it sees: DSCP CS1 (TOS byte 0x20) on the wire means "passed the forward chain".</summary>
    public const byte ClassicPathTos = 0x20;

    /// <summary>Counting rules written at most (the scenario's <c>rules</c> only costs time in the model; it changes no verdict).</summary>
    public const int MaxRules = 1000;

    /// <summary>The links, addresses, neighbours, routes and forwarding; modules in the guest (those not loaded yet: a modprobe costs a tenth of a second under TCG, and lab fuzz sets up a namespace per case).</summary>
    public static string Network(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        string i = dut.IngressInterface, o = dut.EgressInterface;
        return $"""
            if [ -d /lib/modules/$(uname -r) ]; then
              for m in nf_conntrack nf_nat nf_tables nft_ct nft_nat nft_chain_nat nft_counter nf_flow_table nf_flow_table_inet nft_flow_offload; do
                [ -d /sys/module/$m ] || modprobe $m 2>/dev/null || true
              done
            fi
            set -e
            echo 1 > /proc/sys/net/ipv4/ip_forward
            for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$f"; done
            ip addr flush dev {i}
            ip addr flush dev {o}
            ip link set {i} up
            ip link set {o} up
            ip addr add {DutIngress}/24 dev {i}
            ip addr add {DutEgress}/24 dev {o}
            ip neigh replace {ClientNextHop} lladdr {dut.HostIngressMac} dev {i} nud permanent
            ip neigh replace {ServerNextHop} lladdr {dut.ReceiverMac} dev {o} nud permanent
            ip route replace {ClientNet} via {ClientNextHop} dev {i}
            ip route replace {ServerNet} via {ServerNextHop} dev {o}
            if [ -d /proc/sys/net/ipv6 ]; then
              for c in all default {i} {o}; do
                echo 0 > /proc/sys/net/ipv6/conf/$c/disable_ipv6
                echo 0 > /proc/sys/net/ipv6/conf/$c/accept_ra
                echo 0 > /proc/sys/net/ipv6/conf/$c/accept_dad
              done
              echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
              ip -6 addr add {DutIngress6}/64 dev {i} nodad
              ip -6 addr add {DutEgress6}/64 dev {o} nodad
              ip -6 neigh replace {ClientNextHop6} lladdr {dut.HostIngressMac} dev {i} nud permanent
              ip -6 neigh replace {ServerNextHop6} lladdr {dut.ReceiverMac} dev {o} nud permanent
              ip -6 route replace {ClientNet6} via {ClientNextHop6} dev {i}
              ip -6 route replace {ServerNet6} via {ServerNextHop6} dev {o}
            fi
            """;
    }

    /// <summary>A flowtable on the ingress interface, added and removed: fails where the kernel has none.</summary>
    public static string ProbeFlowtable(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        return $"nft add table inet lab_probe && nft add flowtable inet lab_probe ft '{{ hook ingress priority 0; devices = {{ {dut.IngressInterface} }}; }}'; " +
            "r=$?; nft delete table inet lab_probe 2>/dev/null; exit $r";
    }

    /// <summary>
    /// The ruleset: a named counter on the forward chain's first rule (the model's forward-chain
    /// packets), the scenario's further counting rules, the DSCP mark, <c>flow add @ft</c> with a
    /// flowtable on both links, and the source NAT on the egress link. A <c>ct state</c> rule makes
    /// the namespace track connections even without NAT or a flowtable (nf_ct_netns_get), as the
    /// model always does.
    /// </summary>
    public static string Ruleset(IDeviceUnderTest dut, ForwardDutConfig config, bool flowtable)
    {
        ArgumentNullException.ThrowIfNull(dut);
        ArgumentNullException.ThrowIfNull(config);
        string i = dut.IngressInterface, o = dut.EgressInterface;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"table inet {Table} {{\n  counter {ChainCounter} {{ }}\n  counter invalid {{ }}\n");
        if (flowtable) sb.Append(CultureInfo.InvariantCulture, $"  flowtable ft {{\n    hook ingress priority 0; devices = {{ {i}, {o} }};\n  }}\n");
        sb.Append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        sb.Append(CultureInfo.InvariantCulture, $"    meta l4proto {{ tcp, udp }} counter name \"{ChainCounter}\"\n");
        int more = Math.Min(Math.Max(config.Rules, 1), MaxRules) - 1;
        for (int k = 0; k < more; k++) sb.Append("    meta l4proto { tcp, udp } counter\n");
        sb.Append("    ct state invalid counter name \"invalid\"\n");
        sb.Append("    meta l4proto { tcp, udp } ip dscp set cs1\n");
        sb.Append("    meta l4proto { tcp, udp } ip6 dscp set cs1\n");
        if (flowtable && config.FlowAdd) sb.Append("    meta l4proto { tcp, udp } flow add @ft\n");
        sb.Append("  }\n}\n");
        if (config.Snat is not null || config.Snat6 is not null)
        {
            // One inet table serves both families; each statement names its own (nft: snat ip to, snat ip6 to).
            sb.Append(CultureInfo.InvariantCulture, $"table inet {NatTable} {{\n  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n");
            if (config.Snat is { } snat)
                sb.Append(CultureInfo.InvariantCulture, $"    meta nfproto ipv4 oifname \"{o}\" meta l4proto {{ tcp, udp }} {snat.Statement()}\n");
            if (config.Snat6 is { } snat6)
                sb.Append(CultureInfo.InvariantCulture, $"    meta nfproto ipv6 oifname \"{o}\" meta l4proto {{ tcp, udp }} {snat6.Statement()}\n");
            sb.Append("  }\n}\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Removes an earlier run's tables and entries, sets the sysctls (printing <c>unsettable KEY</c> or
    /// <c>missing KEY</c> for those the kernel refuses or lacks: nf_conntrack_max is read-only outside the
    /// initial namespace), loads <paramref name="ruleset"/> and empties the conntrack table. The ruleset
    /// reaches nft on its standard input (a here-document): no file, so nothing in a shared /tmp that a
    /// planted symbolic link could redirect.
    /// </summary>
    public static string Configure(ForwardDutConfig config, string ruleset)
    {
        ArgumentNullException.ThrowIfNull(ruleset);
        if (ruleset.Split('\n').Any(l => l.Trim() == RulesetEnd)) throw new ArgumentException($"the ruleset holds the here-document's end line {RulesetEnd}", nameof(ruleset));
        ArgumentNullException.ThrowIfNull(config);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"nft delete table inet {Table} 2>/dev/null; nft delete table ip {NatTable} 2>/dev/null; nft delete table inet {NatTable} 2>/dev/null\n");
        foreach (var (key, value) in Sysctls(config))
            sb.Append(CultureInfo.InvariantCulture,
                $"f=/proc/sys/net/netfilter/{key}; if [ -e $f ]; then echo {value} > $f 2>/dev/null || echo 'unsettable {key}'; else echo 'missing {key}'; fi\n");
        sb.Append(CultureInfo.InvariantCulture, $"nft -f - <<'{RulesetEnd}' || exit 1\n{ruleset.TrimEnd('\n')}\n{RulesetEnd}\n");
        sb.Append("conntrack -F >/dev/null 2>&1 || true\n");
        return sb.ToString();
    }

    /// <summary>net.netfilter sysctls in the order they are written.</summary>
    public static IReadOnlyList<(string Key, string Value)> Sysctls(ForwardDutConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var list = new List<(string, string)> { ("nf_conntrack_tcp_loose", config.TcpLoose ? "1" : "0") };
        if (config.ConntrackMax is { } max) list.Add(("nf_conntrack_max", max.ToString(CultureInfo.InvariantCulture)));
        foreach (var (k, v) in config.Timeouts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            list.Add((k, v.ToString(CultureInfo.InvariantCulture)));
        return list;
    }

    const string RulesetEnd = "LAB_FORWARD_RULESET";

    public const string ChainMarker = "--- chain", TcpMarker = "--- tcp", UdpMarker = "--- udp", StatsMarker = "--- stats", RxMarker = "--- rx", MaxMarker = "--- max";

    /// <summary>Everything compared after a trace, in marked sections.</summary>
    public static string ReadState(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        return $"echo '{ChainMarker}'; nft list counter inet {Table} {ChainCounter}; " +
            $"echo '{TcpMarker}'; conntrack -L -f ipv4 -p tcp 2>/dev/null; conntrack -L -f ipv6 -p tcp 2>/dev/null; echo '{UdpMarker}'; conntrack -L -f ipv4 -p udp 2>/dev/null; conntrack -L -f ipv6 -p udp 2>/dev/null; " +
            $"echo '{StatsMarker}'; conntrack -S 2>/dev/null; echo '{MaxMarker}'; cat /proc/sys/net/netfilter/nf_conntrack_max; " +
            $"echo '{RxMarker}'; " + ReadRx(dut);
    }

    /// <summary>rx_packets and rx_dropped of the ingress and the egress interface, one number a line.</summary>
    public static string ReadRx(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        string a = $"/sys/class/net/{dut.IngressInterface}/statistics", b = $"/sys/class/net/{dut.EgressInterface}/statistics";
        return $"cat {a}/rx_packets {a}/rx_dropped {b}/rx_packets {b}/rx_dropped";
    }

    /// <summary>The section of <paramref name="text"/> after <paramref name="marker"/> up to the next marker line.</summary>
    public static string Section(string text, string marker)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.IndexOf(marker + "\n", StringComparison.Ordinal);
        if (at < 0) throw new FormatException($"DUT state: no '{marker}' section in: {text}");
        int start = at + marker.Length + 1;
        int end = text.IndexOf("\n--- ", start - 1, StringComparison.Ordinal);
        return end < 0 ? text[start..] : text[start..(end + 1)];
    }
}
