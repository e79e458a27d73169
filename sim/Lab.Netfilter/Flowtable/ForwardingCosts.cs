using Lab.Core;
using Lab.Models;

namespace Lab.Netfilter.Flowtable;

/// <summary>
/// Per-stage CPU cost of forwarding one packet on one core, in picoseconds. No published per-stage
/// (or per-path pps) figures for the Linux forwarding path were found (REFERENCES.md), so EVERY
/// default below is an ASSUMPTION chosen to be plausible for a ~3 GHz x86 core with a modern NIC
/// driver (slow path established ~2 Mpps, flowtable fast path ~4 Mpps); override them per scenario
/// from measurements. Stages follow the hooks a forwarded IPv4 packet crosses (nf_hook_slow order).
/// </summary>
public sealed record ForwardingCosts
{
    /// <summary>Driver RX, GRO, netif_receive_skb up to and including the ingress hook entry (both paths).</summary>
    public long RxIngress { get; init; } = 80 * SimTime.Nanosecond;

    /// <summary>nf_flow_offload_ip_hook: flowtable rhashtable lookup (paid by every packet when a flowtable is attached).</summary>
    public long FlowtableLookup { get; init; } = 40 * SimTime.Nanosecond;

    /// <summary>Fast-path rest: TTL, NAT mangling, neigh_xmit / direct xmit and driver TX.</summary>
    public long FastPathXmit { get; init; } = 120 * SimTime.Nanosecond;

    /// <summary>PREROUTING: conntrack lookup of an existing entry and protocol tracker (nf_conntrack_in).</summary>
    public long ConntrackLookup { get; init; } = 90 * SimTime.Nanosecond;

    /// <summary>PREROUTING for a new connection: init_conntrack (allocation, extensions, tuple inversion).</summary>
    public long ConntrackCreate { get; init; } = 600 * SimTime.Nanosecond;

    /// <summary>PREROUTING nat hook (DNAT lookup / nf_nat_packet on an established entry).</summary>
    public long Dnat { get; init; } = 30 * SimTime.Nanosecond;

    /// <summary>ip_route_input: FIB lookup.</summary>
    public long Routing { get; init; } = 60 * SimTime.Nanosecond;

    /// <summary>FORWARD chain entry (nft_do_chain setup) regardless of rules.</summary>
    public long ForwardChainBase { get; init; } = 40 * SimTime.Nanosecond;

    /// <summary>One linear rule evaluated (a few expressions: meta, payload, cmp).</summary>
    public long PerLinearRule { get; init; } = 8 * SimTime.Nanosecond;

    /// <summary>One set or map lookup (hash or rbtree set) in a rule.</summary>
    public long PerSetLookup { get; init; } = 35 * SimTime.Nanosecond;

    /// <summary>POSTROUTING nat hook on an established entry (manip of a SNATed packet).</summary>
    public long Snat { get; init; } = 30 * SimTime.Nanosecond;

    /// <summary>POSTROUTING for a new connection: nf_nat_setup_info before the port search.</summary>
    public long NatSetup { get; init; } = 250 * SimTime.Nanosecond;

    /// <summary>One nf_nat_used_tuple check during the port search.</summary>
    public long PerNatAttempt { get; init; } = 25 * SimTime.Nanosecond;

    /// <summary>__nf_conntrack_confirm of a new connection (hash insert under locks).</summary>
    public long Confirm { get; init; } = 150 * SimTime.Nanosecond;

    /// <summary>ip_output, neighbour output and driver TX on the slow path.</summary>
    public long Xmit { get; init; } = 150 * SimTime.Nanosecond;

    /// <summary>nft_flow_offload_eval when it offloads: route lookups, flow_offload_alloc, flow_offload_add.</summary>
    public long FlowOffloadAdd { get; init; } = 400 * SimTime.Nanosecond;

    /// <summary>
    /// Per byte of frame beyond the 64 B minimum (the frame the per-packet costs above are calibrated at), both paths:
    /// what grows with the packet (skb data touched on receive and transmit, the veth or driver's copy). ASSUMPTION: 0,
    /// no size-dependent cost, unless measured (lab calibrate's forward_per_byte stage sets it from a profile).
    /// </summary>
    public long PerByte { get; init; }

    /// <summary>The whole per-byte charge for a frame of <paramref name="frameBytes"/> (with FCS, as traffic sizes count).</summary>
    public long SizeCost(int frameBytes) => PerByte * Math.Max(0, frameBytes - MinimumFrame);

    /// <summary>The frame (with FCS) the per-packet costs are for; <see cref="PerByte"/> is charged beyond it.</summary>
    public const int MinimumFrame = 64;

    public static IReadOnlyList<ParameterSpec> Parameters()
    {
        var d = new ForwardingCosts();
        const string src = "ASSUMPTION: no published per-stage figures (REFERENCES.md); measure and override";
        return
        [
            P("cost.rx_ingress", d.RxIngress, "driver RX, GRO, ingress hook entry (both paths)"),
            P("cost.flowtable_lookup", d.FlowtableLookup, "flowtable lookup at ingress, every packet when a flowtable is attached"),
            P("cost.fast_path_xmit", d.FastPathXmit, "fast path: TTL, NAT mangle, neigh_xmit, driver TX"),
            P("cost.conntrack_lookup", d.ConntrackLookup, "prerouting: conntrack lookup + protocol tracker"),
            P("cost.conntrack_create", d.ConntrackCreate, "prerouting: init_conntrack for a new connection"),
            P("cost.dnat", d.Dnat, "prerouting nat hook"),
            P("cost.routing", d.Routing, "FIB lookup"),
            P("cost.forward_chain", d.ForwardChainBase, "forward chain entry"),
            P("cost.per_linear_rule", d.PerLinearRule, "one linear rule in the forward chain"),
            P("cost.per_set_lookup", d.PerSetLookup, "one set/map lookup in the forward chain"),
            P("cost.snat", d.Snat, "postrouting nat on an established entry"),
            P("cost.nat_setup", d.NatSetup, "postrouting nf_nat_setup_info for a new connection"),
            P("cost.per_nat_attempt", d.PerNatAttempt, "one tuple check during the NAT port search"),
            P("cost.confirm", d.Confirm, "conntrack confirm of a new connection"),
            P("cost.xmit", d.Xmit, "slow path output and driver TX"),
            P("cost.flow_offload_add", d.FlowOffloadAdd, "flow add @ft when it offloads a connection"),
            new("cost.per_byte", "time", SimTime.Format(d.PerByte), "0..100us",
                "ASSUMPTION: 0 (no size-dependent cost) unless measured: lab calibrate's forward_per_byte stage", "per byte of frame beyond 64 B, both paths"),
        ];

        static ParameterSpec P(string key, long ps, string what) =>
            new(key, "time", SimTime.Format(ps), "0..100us", src, what);
    }
}
