using System.Globalization;
using System.Text;

namespace Lab.KernelLab.Validation;

/// <summary>
/// The shell scripts that configure the device under test. They run in the guest (busybox sh
/// with the real iproute2 and nft) or in the DUT namespace on the host (sh), so they use
/// only POSIX sh, iproute2, nft and /proc/sys.
/// </summary>
public static class DutScripts
{
    /// <summary>Marks the sections of <see cref="ReadCounters"/>' output.</summary>
    public const string StatMarker = "--- xfrm_stat", IngressMarker = "--- ingress", StatesMarker = "--- states";

    /// <summary>
    /// Addresses, neighbours, routes and forwarding: the part that needs no ESP. The DUT
    /// answers ICMP echo on its ingress address (the injector's barrier) and forwards what it
    /// decrypts in tunnel mode to the receiver. Neighbours are permanent, so the DUT never
    /// sends ARP or neighbour solicitations the harness would have to answer; rp_filter is off
    /// because decrypted inner packets arrive from sources that are not routed back that way.
    /// </summary>
    public static string Network(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        string i = dut.IngressInterface, o = dut.EgressInterface, host = dut.HostIngressMac.ToString(), rcv = dut.ReceiverMac.ToString();
        return $"""
            set -e
            echo 1 > /proc/sys/net/ipv4/ip_forward
            echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
            for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$f"; done
            ip link set {i} up
            ip link set {o} up
            ip addr add {DutAddresses.DutIngress4}/24 dev {i}
            ip addr add {DutAddresses.DutIngress6}/64 dev {i} nodad
            ip addr add {DutAddresses.DutEgress4}/24 dev {o}
            ip addr add {DutAddresses.DutEgress6}/64 dev {o} nodad
            ip neigh replace {DutAddresses.HostIngress4} lladdr {host} dev {i} nud permanent
            ip neigh replace {DutAddresses.HostIngress6} lladdr {host} dev {i} nud permanent
            ip neigh replace {DutAddresses.Receiver4} lladdr {rcv} dev {o} nud permanent
            ip neigh replace {DutAddresses.Receiver6} lladdr {rcv} dev {o} nud permanent
            ip route add {DutAddresses.InnerDestinationNet4} via {DutAddresses.Receiver4} dev {o}
            ip -6 route add {DutAddresses.InnerDestinationNet6} via {DutAddresses.Receiver6} dev {o}
            """;
    }

    /// <summary>
    /// The ESP side: modules (in the guest; the host's are built in or absent), a probe SA that
    /// shows whether this kernel has rfc4106(gcm(aes)) ESP at all, the forward policies for
    /// tunnel mode, and the nft rule that brings transport-mode packets out.
    /// <para>Tunnel mode: a decrypted packet is forwarded, and __xfrm_policy_check drops a
    /// forwarded packet that came through a tunnel-mode SA unless a forward policy with a
    /// matching template exists (XfrmInNoPols); one policy per (inner, outer) family pair,
    /// template without reqid or SPI so that it matches every SA of that pair.</para>
    /// <para>Transport mode: the decrypted packet is addressed to the DUT itself. It passes
    /// PREROUTING again after decapsulation (xfrm4_transport_finish / xfrm6_transport_finish),
    /// where <c>meta ipsec exists</c> recognises it; nft dup sends a copy to the receiver and
    /// the original is dropped there (it would only earn a port unreachable).</para>
    /// </summary>
    public static string Esp(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        var sb = new StringBuilder();
        sb.Append("set -e\n");
        sb.Append("if [ -d /lib/modules/$(uname -r) ]; then modprobe -a esp4 esp6 xfrm_user nf_tables nft_dup_ipv4 nft_dup_ipv6 nft_xfrm; fi\n");
        foreach (bool inner6 in new[] { false, true })
        {
            foreach (bool outer6 in new[] { false, true })
            {
                string src = DutAddresses.InnerSource(inner6, outer6) + (inner6 ? "/128" : "/32");
                string dst = inner6 ? DutAddresses.InnerDestinationNet6 : DutAddresses.InnerDestinationNet4;
                var (ts, td) = outer6 ? (DutAddresses.HostIngress6, DutAddresses.DutIngress6) : (DutAddresses.HostIngress4, DutAddresses.DutIngress4);
                sb.Append(CultureInfo.InvariantCulture, $"ip xfrm policy add src {src} dst {dst} dir fwd tmpl src {ts} dst {td} proto esp mode tunnel\n");
            }
        }
        string o = dut.EgressInterface;
        // The ruleset reaches nft on its standard input: no file in a shared /tmp.
        sb.Append("nft -f - <<'NFT'\n");
        sb.Append(CultureInfo.InvariantCulture, $$"""
            table ip lab_validate {
                chain pre {
                    type filter hook prerouting priority 0; policy accept;
                    meta ipsec exists ip daddr {{DutAddresses.DutIngress4}} udp dport {{DutAddresses.InnerDestinationPort}} dup to {{DutAddresses.Receiver4}} device "{{o}}" drop
                }
            }
            table ip6 lab_validate {
                chain pre {
                    type filter hook prerouting priority 0; policy accept;
                    meta ipsec exists ip6 daddr {{DutAddresses.DutIngress6}} udp dport {{DutAddresses.InnerDestinationPort}} dup to {{DutAddresses.Receiver6}} device "{{o}}" drop
                }
            }
            """);
        sb.Append("\nNFT\n");
        return sb.ToString();
    }

    /// <summary>Adds an SA the size of the real ones and deletes it: fails where the kernel has no rfc4106(gcm(aes)) ESP.</summary>
    public static string ProbeSa() =>
        $"ip xfrm state add src {DutAddresses.HostIngress4} dst {DutAddresses.DutIngress4} proto esp spi 0xfffffff0 mode tunnel " +
        "aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128 && " +
        $"ip xfrm state delete src {DutAddresses.HostIngress4} dst {DutAddresses.DutIngress4} proto esp spi 0xfffffff0";

    /// <summary>Replaces all SAs with the plan's.</summary>
    public static string AddStates(EspValidationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var sb = new StringBuilder("set -e\nip xfrm state flush\n");
        for (int k = 0; k < plan.Traces.Count; k++) sb.Append(plan.Traces[k].Sa.StateAddCommand(k + 1)).Append('\n');
        return sb.ToString();
    }

    /// <summary>/proc/net/xfrm_stat, the ingress interface's receive counters and (optionally) every SA's statistics.</summary>
    public static string ReadCounters(IDeviceUnderTest dut, bool states)
    {
        ArgumentNullException.ThrowIfNull(dut);
        string s = $"/sys/class/net/{dut.IngressInterface}/statistics";
        return $"echo '{StatMarker}'; cat /proc/net/xfrm_stat; echo '{IngressMarker}'; cat {s}/rx_packets {s}/rx_dropped" +
            (states ? $"; echo '{StatesMarker}'; ip -s xfrm state" : "");
    }
}
