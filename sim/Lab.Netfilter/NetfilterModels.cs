using System.Globalization;
using Lab.Core;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Nat;
using Lab.Models;
using Lab.Netfilter.Flowtable;

namespace Lab.Netfilter;

/// <summary>The <c>lab describe</c> tables of the netfilter models: conntrack, nat, flowtable, natt-mapping.</summary>
public static class NetfilterModels
{
    public static IReadOnlyList<string> Names { get; } = ["conntrack", "nat", "flowtable", "natt-mapping"];

    public static ModelDescription Describe(string name) => name switch
    {
        "conntrack" => Conntrack(),
        "nat" => Nat(),
        "flowtable" => Flowtable(),
        "natt-mapping" => NattMapping(),
        _ => throw new LabInputException($"unknown netfilter model '{name}'; expected one of: {string.Join(", ", Names)}"),
    };

    const string Core = "net/netfilter/nf_conntrack_core.c";

    // The defaults below are the model's own constants, formatted, so the tables cannot drift from what runs.
    static readonly ConntrackTimeouts Timeouts = new();

    static string Inv(long v) => v.ToString(CultureInfo.InvariantCulture);

    static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A timeout as the tables write it: whole days as "5d", else as scenarios write durations.</summary>
    public static string Time(long ps) => ps >= SimTime.Day && ps % SimTime.Day == 0 ? Inv(ps / SimTime.Day) + "d" : SimTime.Format(ps);

    /// <summary>The default TCP timeouts of the states a connection passes through, from tcp_timeouts[].</summary>
    static string TcpTimeouts() => string.Join(", ", new[]
    {
        ("SYN_SENT", TcpState.SynSent), ("SYN_RECV", TcpState.SynRecv), ("ESTABLISHED", TcpState.Established), ("FIN_WAIT", TcpState.FinWait),
        ("CLOSE_WAIT", TcpState.CloseWait), ("LAST_ACK", TcpState.LastAck), ("TIME_WAIT", TcpState.TimeWait), ("CLOSE", TcpState.Close), ("UNACK", TcpState.Unack),
    }.Select(s => s.Item1 + " " + Time(Timeouts.Tcp[(int)s.Item2])));

    /// <summary>The port search's rounds (nf_nat_l4proto_unique_tuple): halving from NF_NAT_MAX_ATTEMPTS until a round below 16 was tried.</summary>
    static string NatAttempts()
    {
        int round = NatPortAllocator.MaxAttemptsPerRound, total = 0;
        while (true)
        {
            total += round;
            if (round < NatPortAllocator.NoRoundAfterBelow) break;
            round /= 2;
        }
        return $"{NatPortAllocator.MaxAttemptsPerRound}, halving per round, last round {round}: at most {total}";
    }

    public static ModelDescription Conntrack() => new(
        "conntrack",
        "Connection tracking table: sizing, lookup in both directions, early drop, clash resolution, UDP/TCP timeouts, gc worker.",
        "net/netfilter/nf_conntrack_core.c, nf_conntrack_proto_udp.c, nf_conntrack_proto_tcp.c (kernel 6.12)",
        [
            new("kernel", "version", KernelVersion.Default.ToString(), "4.x..6.18", "Debian 13 kernel (the qemu validation target)", "selects version-dependent behaviour below"),
            new("conntrack.buckets", "count", "RAM/16384/8; 65536 >1 GiB; 262144 >4 GiB; >=1024", "1..2^30", Core + " nf_conntrack_init_start (5.15+, d532bcd0b269); before: 16384 >1 GiB, 65536 >4 GiB, >=32", "nf_conntrack_buckets, rounded up to a multiple of 512 (nf_ct_alloc_hashtable)"),
            new("conntrack.max", "count", "= buckets (8 x buckets if hashsize given)", "1..2^31", Core + " nf_conntrack_init_start; before 5.15: 4 x buckets", "nf_conntrack_max"),
            new("conntrack.early_drop_buckets", "count", Inv(ConntrackTable.EvictionRange), "fixed", Core + " NF_CT_EVICTION_RANGE", "buckets early_drop scans for unassured entries when the table is full"),
            new("conntrack.chain_limit", "nodes", "50 + random(30)", "fixed per version", Core + " MIN_CHAINLEN/MAX_CHAINLEN (5.15: 8 + random(24); none before)", "longer chains fail the insert (chaintoolong, insert_failed)"),
            new("conntrack.udp_timeout", "time", Time(Timeouts.UdpUnreplied), "1s..1d", "nf_conntrack_proto_udp.c udp_timeouts[UDP_CT_UNREPLIED]", "entry without a reply"),
            new("conntrack.udp_timeout_stream", "time", Time(Timeouts.UdpReplied), "1s..1d", "nf_conntrack_proto_udp.c udp_timeouts[UDP_CT_REPLIED] (180 s in older kernels)", "entry that saw a reply AND a packet more than 2 s after creation (5.16+, d535c8a69c19; earlier any packet after the reply)"),
            new("conntrack.tcp_timeout_*", "time", TcpTimeouts(), "1s..30d", "nf_conntrack_proto_tcp.c tcp_timeouts[]", "per TCP state; RST uses CLOSE; unreplied ESTABLISHED capped at UNACK"),
            new("conntrack.hz", "1/s", Inv(ConntrackConfig.DefaultHz), "100|250|300|1000", "Debian kernel config CONFIG_HZ_250", "GC_SCAN_EXPIRED_MAX = 64000/HZ expirations per gc run"),
            new("conntrack.gc_interval", "time", $"avg remaining timeout, clamped {Time(ConntrackTable.GcIntervalMin)}..{Time(ConntrackTable.GcIntervalMax)}", "derived", Core + " gc_worker (5.17+)", "next gc run"),
            new("conntrack.conn_object", "bytes", Inv(ConntrackSizing.ConnObjectBytes), "128..1024", "/proc/slabinfo nf_conntrack objsize on the 6.18 x86_64 development host", "memory per entry (slab object)"),
            new("conntrack.ext_bytes", "bytes", Inv(ConntrackSizing.ExtensionBytes), "0..512", "ASSUMPTION: ct->ext size depends on enabled extensions", "memory per entry (extension area)"),
        ],
        [
            "Counters: found, invalid, insert, insert_failed, drop, early_drop, clash_resolve, chaintoolong as in conntrack -S.",
            "Expiry: entries expire when timeout - now <= 0; lookups, tuple_taken and early_drop free expired entries they walk over; the gc worker frees the rest.",
            "TCP window tracking (tcp_in_window) is not modelled: segments are taken as in-window.",
            "The gc worker's 10 ms real-time budget per run is not modelled; the pre-5.17 gc (1/128 of the table per run) is not modelled.",
            "IPv4, default zone only.",
        ]);

    public static ModelDescription Nat() => new(
        "nat",
        "Source NAT tuple selection: keep the original port if unique, reuse the source's mapping, else search the port range.",
        "net/netfilter/nf_nat_core.c get_unique_tuple, find_appropriate_src, find_best_ips_proto, nf_nat_l4proto_unique_tuple (kernel 6.12)",
        [
            new("nat.range", "ports", "1024-65535 (600-1023 if the original port is 512..1023, 1-511 below 512)", "1..65535", "nf_nat_l4proto_unique_tuple", "port range when the rule gives none"),
            new("nat.max_attempts", "checks", NatAttempts(), "fixed", "nf_nat_core.c NF_NAT_MAX_ATTEMPTS (5.0+, 'limit port clash resolution attempts')", "before 5.0: a linear walk of the whole range"),
            new("nat.offset", "-", "random u16 per round", "fixed per version", "nf_nat_l4proto_unique_tuple (5.0+: get_random_u16/prandom)", "before 5.0: rover, or keyed hash with 'random', prandom with 'fully-random'"),
            new("nat.flags", "-", "none", "random|fully-random|persistent", "NF_NAT_RANGE_PROTO_RANDOM/_RANDOM_FULLY/PERSISTENT", "random and fully-random skip port preservation; persistent keys the address choice on the source only"),
            new("nat.harder_eviction", "-", "6.5+", "by version", $"nf_nat_used_tuple_harder (NF_NAT_HARDER_THRESH = {NatPortAllocator.HarderThreshold})", $"last {NatPortAllocator.HarderThreshold} checks of a TCP SYN may evict a TIME_WAIT/CLOSE entry whose sequence advanced"),
            new("nat.seq_advanced_probability", "probability", Inv(NatPortAllocator.DefaultSeqAdvancedProbability), "0..1", "ASSUMPTION: independent ISNs", "chance nf_seq_has_advanced holds for an eviction candidate"),
        ],
        [
            "Uniqueness is per full reply tuple (nf_conntrack_tuple_taken), so ports run out per destination address and port.",
            "When every tried tuple is taken the packet is dropped at confirm: conntrack insert_failed and drop.",
            "Allocation attempts per new flow = nf_nat_used_tuple calls, including the original-tuple check.",
        ]);

    public static ModelDescription Flowtable()
    {
        var p = new List<ParameterSpec>
        {
            new("flowtable.timeout_tcp", "time", Time(Timeouts.FlowtableTcp), "1s..1d", "net.netfilter.nf_flowtable_tcp_timeout (flow_offload_get_timeout)", "flow expiry after the last refresh"),
            new("flowtable.timeout_udp", "time", Time(Timeouts.FlowtableUdp), "1s..1d", "net.netfilter.nf_flowtable_udp_timeout", "flow expiry after the last refresh"),
            new("flowtable.refresh_min_step", "time", Time(FlowTable.RefreshMinStep), "fixed", "nf_flow_table_core.c flow_offload_refresh (timeout - flow->timeout > HZ)", "the timeout only moves when it grows by more than 1 s"),
            new("flowtable.gc_interval", "time", Time(FlowTable.GcInterval), "fixed", "nf_flow_offload_work_gc re-queued after HZ", "expired and torn-down flows are removed by this gc"),
            new("flowtable.fin_rst", "-", "teardown (< 6.14), CLOSING flag (6.14+)", "by version", "nf_flow_table_ip.c nf_flow_state_check; commit 'flowtable: add CLOSING state' (6.14)", "what a FIN/RST does to an offloaded TCP flow"),
            new("flowtable.hw_offload", "bool", "false", "true|false", "flowtable 'flags offload'", "push flows to the NIC"),
            new("flowtable.hw_capacity", "flows", Inv(FlowtableConfig.DefaultHardwareCapacity), "0..2^24", "ASSUMPTION: device-specific", "NIC flow table size; flows beyond it stay in software"),
            new("flowtable.hw_insert_latency", "time", Time(FlowtableConfig.DefaultHardwareInsertLatency), "0..10s", "ASSUMPTION: nf_flow_offload work queue + driver", "delay until a flow is forwarded by the NIC"),
        };
        p.AddRange(ForwardingCosts.Parameters().Select(c => c.Spec));
        return new ModelDescription(
            "flowtable",
            "nftables flowtable fast path against the classic forwarding path: offload life cycle, hardware offload, per-stage CPU cost.",
            "net/netfilter/nf_flow_table_core.c, nf_flow_table_ip.c, nft_flow_offload.c; Documentation/networking/nf_flowtable.rst (kernel 6.12)",
            p,
            [
                "Offload (nft_flow_offload_eval): TCP in ESTABLISHED without FIN/RST, or UDP; confirmed; no helper, seqadj or NAT clash.",
                "The first packet of a connection is never offloaded (unconfirmed at the forward hook); a TCP flow goes fast after its third handshake packet.",
                "Counters: forward chain packets (nft rule counter), conntrack entries [OFFLOAD]/[HW_OFFLOAD], wq_add (/proc/net/stat/nf_flowtable); counters the kernel does not keep are prefixed lab_.",
                "Hardware rules match TCP with FIN and RST clear (nf_flow_rule_match): a FIN or RST reaches the software flowtable.",
                "Not modelled: nf_flow_table_extend_ct_timeout (its cmpxchg never stores in these kernels), the 90 % threshold of nf_flow_offload_stats (no effect on expiry), nf_flow_check_dst (routes are fixed).",
                "All per-stage costs are ASSUMPTIONS: no published per-stage or pps figures were found; a cost profile measures them.",
            ])
        {
            CostSection = "forward",
            CostKeyPrefix = "cost.",
        };
    }

    // The closed-form model's own defaults (NattMappingModel's scenario records), so this table cannot drift from them.
    static readonly Lab.Netfilter.NatT.RebindingScenario Rebinding = new();
    static readonly Lab.Netfilter.NatT.SilentExpiryScenario Expiry = new();

    static string Off(long value, string text) => value == 0 ? "0 (off)" : text;

    public static ModelDescription NattMapping() => new(
        "natt-mapping",
        "NAT rebinding and silent mapping expiry under an ESP-in-UDP tunnel: XFRM_MSG_MAPPING messages and packets lost until the IKE daemon updates the SA.",
        "net/ipv4/esp4.c esp_input_done2 -> net/xfrm/xfrm_state.c km_new_mapping (XFRMA_MTIMER_THRESH, 4e484b3e969b, 5.17/5.15.y); net/ipv4/xfrm4_input.c keepalive handling",
        [
            new("natt.line_rate", "bit/s", Units.FormatBitRate(Rebinding.LineRateBitsPerSecond).Replace(" ", "", StringComparison.Ordinal), "1Gbit/s..400Gbit/s", "scenario", "rate of each direction"),
            new("natt.frame", "bytes", Inv(Rebinding.FrameBytes) + "B", "64..65535B", "scenario; +20 B preamble and IFG on the wire", "frame size"),
            new("natt.daemon_reaction", "time", Time(Rebinding.DaemonReaction), "0..60s", "ASSUMPTION: strongSwan/libreswan netlink handling and SA update", "first XFRM_MSG_MAPPING to SA updated"),
            new("natt.mtimer_thresh", "seconds", Off(Rebinding.MappingMaxAgeSeconds, Inv(Rebinding.MappingMaxAgeSeconds)), "0..2^32-1", "XFRMA_MTIMER_THRESH (x->mapping_maxage)", "0: one message per ESP packet from the new port"),
            new("natt.nat_timeout", "time", Time(Expiry.NatMappingTimeout), "1s..1h", "Hätönen et al., IMC 2010 (shortest UDP binding 30 s); RFC 4787 REQ-5 asks >= 2 min", "idle time after which the NAT drops the mapping"),
            new("natt.keepalive", "time", Off(Expiry.KeepaliveInterval, Time(Expiry.KeepaliveInterval)), "0..1h", "RFC 3948 section 4; strongSwan charon.keep_alive", "NAT-T keepalive interval of the NATed peer"),
            new("natt.dpd", "time", Off(Expiry.DpdInterval, Time(Expiry.DpdInterval)), "0..1h", "scenario", "IKE liveness check interval of the NATed peer"),
        ],
        [
            "The kernel never changes the SA's encapsulation itself; it reports and keeps delivering the inbound packets.",
            "Return traffic is lost from the rebinding until the SA update; a packet that leaves exactly at the update uses the new port.",
            "Keepalives refresh the NAT mapping but do not reveal a new port to the responder (eaten before ESP input).",
        ]);
}
