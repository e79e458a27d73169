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
    public long RxIngress { get; init; } = Cost.RxIngress.Default;

    /// <summary>nf_flow_offload_ip_hook: flowtable rhashtable lookup (paid by every packet when a flowtable is attached).</summary>
    public long FlowtableLookup { get; init; } = Cost.FlowtableLookup.Default;

    /// <summary>Fast-path rest: TTL, NAT mangling, neigh_xmit / direct xmit and driver TX.</summary>
    public long FastPathXmit { get; init; } = Cost.FastPathXmit.Default;

    /// <summary>PREROUTING: conntrack lookup of an existing entry and protocol tracker (nf_conntrack_in).</summary>
    public long ConntrackLookup { get; init; } = Cost.ConntrackLookup.Default;

    /// <summary>PREROUTING for a new connection: init_conntrack (allocation, extensions, tuple inversion).</summary>
    public long ConntrackCreate { get; init; } = Cost.ConntrackCreate.Default;

    /// <summary>PREROUTING nat hook (DNAT lookup / nf_nat_packet on an established entry).</summary>
    public long Dnat { get; init; } = Cost.Dnat.Default;

    /// <summary>ip_route_input: FIB lookup.</summary>
    public long Routing { get; init; } = Cost.Routing.Default;

    /// <summary>FORWARD chain entry (nft_do_chain setup) regardless of rules.</summary>
    public long ForwardChainBase { get; init; } = Cost.ForwardChainBase.Default;

    /// <summary>One linear rule evaluated (a few expressions: meta, payload, cmp).</summary>
    public long PerLinearRule { get; init; } = Cost.PerLinearRule.Default;

    /// <summary>One set or map lookup (hash or rbtree set) in a rule.</summary>
    public long PerSetLookup { get; init; } = Cost.PerSetLookup.Default;

    /// <summary>POSTROUTING nat hook on an established entry (manip of a SNATed packet).</summary>
    public long Snat { get; init; } = Cost.Snat.Default;

    /// <summary>POSTROUTING for a new connection: nf_nat_setup_info before the port search.</summary>
    public long NatSetup { get; init; } = Cost.NatSetup.Default;

    /// <summary>One nf_nat_used_tuple check during the port search.</summary>
    public long PerNatAttempt { get; init; } = Cost.PerNatAttempt.Default;

    /// <summary>__nf_conntrack_confirm of a new connection (hash insert under locks).</summary>
    public long Confirm { get; init; } = Cost.Confirm.Default;

    /// <summary>ip_output, neighbour output and driver TX on the slow path.</summary>
    public long Xmit { get; init; } = Cost.Xmit.Default;

    /// <summary>nft_flow_offload_eval when it offloads: route lookups, flow_offload_alloc, flow_offload_add.</summary>
    public long FlowOffloadAdd { get; init; } = Cost.FlowOffloadAdd.Default;

    /// <summary>
    /// Per byte of frame beyond the 64 B minimum (the frame the per-packet costs above are calibrated at), both paths:
    /// what grows with the packet (skb data touched on receive and transmit, the veth or driver's copy). ASSUMPTION: 0,
    /// no size-dependent cost, unless measured (lab calibrate's forward_per_byte stage sets it from a profile).
    /// </summary>
    public long PerByte { get; init; } = Cost.PerByte.Default;

    /// <summary>The whole per-byte charge for a frame of <paramref name="frameBytes"/> (with FCS, as traffic sizes count).</summary>
    public long SizeCost(int frameBytes) => PerByte * Math.Max(0, frameBytes - MinimumFrame);

    /// <summary>The frame (with FCS) the per-packet costs are for; <see cref="PerByte"/> is charged beyond it.</summary>
    public const int MinimumFrame = 64;

    /// <summary>
    /// The one declaration of the forwarding costs: key (cost.NAME, as lab describe flowtable shows them;
    /// a forward element takes them as costs.NAME), default, range and source. No published per-stage
    /// figures exist (REFERENCES.md): every default is an assumption.
    /// </summary>
    public static class Cost
    {
        const string Src = "ASSUMPTION: no published per-stage figures (REFERENCES.md); measure and override";

        public static readonly Parameter<long> RxIngress = P("cost.rx_ingress", 80 * SimTime.Nanosecond, "driver RX, GRO, ingress hook entry (both paths)");
        public static readonly Parameter<long> FlowtableLookup = P("cost.flowtable_lookup", 40 * SimTime.Nanosecond, "flowtable lookup at ingress, every packet when a flowtable is attached");
        public static readonly Parameter<long> FastPathXmit = P("cost.fast_path_xmit", 120 * SimTime.Nanosecond, "fast path: TTL, NAT mangle, neigh_xmit, driver TX");
        public static readonly Parameter<long> ConntrackLookup = P("cost.conntrack_lookup", 90 * SimTime.Nanosecond, "prerouting: conntrack lookup + protocol tracker");
        public static readonly Parameter<long> ConntrackCreate = P("cost.conntrack_create", 600 * SimTime.Nanosecond, "prerouting: init_conntrack for a new connection");
        public static readonly Parameter<long> Dnat = P("cost.dnat", 30 * SimTime.Nanosecond, "prerouting nat hook");
        public static readonly Parameter<long> Routing = P("cost.routing", 60 * SimTime.Nanosecond, "FIB lookup");
        public static readonly Parameter<long> ForwardChainBase = P("cost.forward_chain", 40 * SimTime.Nanosecond, "forward chain entry");
        public static readonly Parameter<long> PerLinearRule = P("cost.per_linear_rule", 8 * SimTime.Nanosecond, "one linear rule in the forward chain");
        public static readonly Parameter<long> PerSetLookup = P("cost.per_set_lookup", 35 * SimTime.Nanosecond, "one set/map lookup in the forward chain");
        public static readonly Parameter<long> Snat = P("cost.snat", 30 * SimTime.Nanosecond, "postrouting nat on an established entry");
        public static readonly Parameter<long> NatSetup = P("cost.nat_setup", 250 * SimTime.Nanosecond, "postrouting nf_nat_setup_info for a new connection");
        public static readonly Parameter<long> PerNatAttempt = P("cost.per_nat_attempt", 25 * SimTime.Nanosecond, "one tuple check during the NAT port search");
        public static readonly Parameter<long> Confirm = P("cost.confirm", 150 * SimTime.Nanosecond, "conntrack confirm of a new connection");
        public static readonly Parameter<long> Xmit = P("cost.xmit", 150 * SimTime.Nanosecond, "slow path output and driver TX");
        public static readonly Parameter<long> FlowOffloadAdd = P("cost.flow_offload_add", 400 * SimTime.Nanosecond, "flow add @ft when it offloads a connection");
        public static readonly Parameter<long> PerByte = Parameter.Duration("cost.per_byte", 0,
            "ASSUMPTION: 0 (no size-dependent cost) unless measured: the calibration's forward_per_byte stage", "per byte of frame beyond 64 B, both paths",
            max: 100 * SimTime.Microsecond, unit: "time");

        static Parameter<long> P(string key, long ps, string what) =>
            Parameter.Duration(key, ps, Src, what, max: 100 * SimTime.Microsecond, unit: "time");
    }

    /// <summary>Each cost parameter and how it sets its property, in declaration order.</summary>
    public static IReadOnlyList<(Parameter<long> Parameter, Func<ForwardingCosts, long, ForwardingCosts> With)> Declared { get; } =
    [
        (Cost.RxIngress, (c, v) => c with { RxIngress = v }),
        (Cost.FlowtableLookup, (c, v) => c with { FlowtableLookup = v }),
        (Cost.FastPathXmit, (c, v) => c with { FastPathXmit = v }),
        (Cost.ConntrackLookup, (c, v) => c with { ConntrackLookup = v }),
        (Cost.ConntrackCreate, (c, v) => c with { ConntrackCreate = v }),
        (Cost.Dnat, (c, v) => c with { Dnat = v }),
        (Cost.Routing, (c, v) => c with { Routing = v }),
        (Cost.ForwardChainBase, (c, v) => c with { ForwardChainBase = v }),
        (Cost.PerLinearRule, (c, v) => c with { PerLinearRule = v }),
        (Cost.PerSetLookup, (c, v) => c with { PerSetLookup = v }),
        (Cost.Snat, (c, v) => c with { Snat = v }),
        (Cost.NatSetup, (c, v) => c with { NatSetup = v }),
        (Cost.PerNatAttempt, (c, v) => c with { PerNatAttempt = v }),
        (Cost.Confirm, (c, v) => c with { Confirm = v }),
        (Cost.Xmit, (c, v) => c with { Xmit = v }),
        (Cost.FlowOffloadAdd, (c, v) => c with { FlowOffloadAdd = v }),
        (Cost.PerByte, (c, v) => c with { PerByte = v }),
    ];

    public static IReadOnlyList<Parameter<long>> Parameters() => [.. Declared.Select(d => d.Parameter)];
}
