using Lab.Core;
using Lab.Models.Path;
using Lab.Results;
using Lab.Simulation.Running;
using Lab.Models;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;
using Lab.Netfilter.Stages;
using Lab.Scenarios;
using Lab.Scenarios.Yaml;

namespace Lab.Simulation.Plugins;

/// <summary>
/// The <c>forward</c> path element: a Linux forwarding box with conntrack, optional SNAT and an
/// optional flowtable (<see cref="ForwardStage"/>). Every key is declared once in <see cref="Parameters"/>.
/// </summary>
public sealed class ForwardDeclaration : StageDeclaration<ForwardStageConfig, ForwardStage>
{
    public const string Name = "forward";

    const string Lab = "lab address plan (Lab.Netfilter.Stages.FlowAddressPlan)";
    const string CtCore = "net/netfilter/nf_conntrack_core.c nf_conntrack_init_start";
    const string Tcp = "nf_conntrack_proto_tcp.c tcp_timeouts[]";

    static readonly IReadOnlyList<ParameterSpec> Declared = BuildParameters();

    public override IReadOnlyList<ParameterSpec> Parameters => Declared;

    static List<ParameterSpec> BuildParameters()
    {
        var p = new List<ParameterSpec>
        {
            new("name", "string", Name, "", "scenario", "Element name: prefix of its metrics and drop reasons."),
            new("protocol", "tcp|udp", "tcp", "tcp|udp", "scenario", "Transport protocol of every flow through this element."),
            new("subscribers", "count", "65536", $"1..{FlowAddressPlan.MaxSubscribers}", Lab, "Client addresses (10.0.0.1 + flow mod N); each walks ip_local_port_range 32768-60999 for its source ports."),
            new("destinations", "count", "1", $"1..{FlowAddressPlan.MaxDestinations}", Lab, "Server addresses (198.18.0.1 + hash(flow) mod N); NAT ports run out per destination."),
            new("dst_port", "port", "443", "1..65535", Lab, "Server port."),
            new("replies", "bool", "true", "true|false", "scenario", "UDP: the server answers a flow's first packet once (replied entry; 120 s stream timeout after 2 s); false: entries stay unreplied (30 s)."),
            new("reply_cost", "bool", "false", "true|false", "scenario", "Charge the CPU cost of synthesized reply-direction packets (SYN/ACK, FIN/ACK, UDP reply) to the core."),
            new("kernel", "version", KernelVersion.Default.ToString(), "4.x..6.18", "Debian 13 kernel", "Selects version-dependent behaviour: table sizing (5.15), NAT search (5.0), UDP 2-second rule (6.2), chain limit (6.3), NAT eviction (6.5), flowtable CLOSING state (6.14)."),
            new("memory", "bytes", "8GiB", "1MiB..", CtCore, "RAM of the box: default nf_conntrack_buckets and nf_conntrack_max derive from it (5.15+: 262144 above 4 GiB)."),
            new("conntrack_buckets", "count", "from memory", $"1..{ForwardStageConfig.MaxEntries}", CtCore + " (hashsize module parameter)", "nf_conntrack_buckets, rounded up to a multiple of 512; when given, nf_conntrack_max defaults to 8 x buckets."),
            new("conntrack_max", "count", "from memory", $"1..{ForwardStageConfig.MaxEntries}", "net.netfilter.nf_conntrack_max", "Entries before early_drop and table-full drops."),
            new("hz", "1/s", "250", "100|250|300|1000", "CONFIG_HZ (Debian: 250)", "gc_worker scan limit 64000/HZ per run."),
            new("tcp_loose", "bool", "true", "true|false", "net.netfilter.nf_conntrack_tcp_loose", "Pick up TCP connections mid-stream."),
            new("rules", "count", "10", "0..100000", "scenario", "Linear rules every slow-path packet evaluates in the forward chain."),
            new("set_lookups", "count", "0", "0..1000", "scenario", "Set/map lookups every slow-path packet does in the forward chain."),
            new("flowtable", "bool", "false", "true|false", "nft flowtable at ingress", "Attach a flowtable; with flow_add the forward chain offloads established connections."),
            new("flow_add", "bool", "true", "true|false", "nft_flow_offload.c", "A 'flow add @ft' rule in the forward chain."),
            new("hw_offload", "bool|mapping", "false", "", "flowtable 'flags offload'", "Push offloaded flows to the NIC: true, or a mapping with capacity and latency."),
            new("hw_offload.capacity", "flows", "65536", "0..16777216", "ASSUMPTION: device-specific", "Flows the NIC holds; others stay in software."),
            new("hw_offload.latency", "time", "1ms", "0..10s", "ASSUMPTION: nf_flow_offload work queue + driver", "Delay until an offloaded flow is forwarded by the NIC."),
            new("masquerade", "bool|mapping", "false", "true|false", "nft 'masquerade [to :PORT-PORT] [flags]' (nf_nat_masquerade_ipv4)", "SNAT to the outgoing interface's address (203.0.113.1): true, or a mapping with the snat keys (address is the interface's; one address only)."),
            new("snat", "mapping", "(none)", "", "nft 'snat to ADDR[-ADDR][:PORT-PORT] [flags]'", "Source NAT in postrouting, see snat.*."),
            new("masquerade.address", "IPv4", "203.0.113.1", "", "scenario", "The outgoing interface's address."),
            new("masquerade.ports", "range", "1024-65535 (600-1023, 1-511 for low ports)", "1..65535", "nf_nat_core.c nf_nat_l4proto_unique_tuple", "Port range MIN-MAX (NF_NAT_RANGE_PROTO_SPECIFIED); without it a source port below 1024 stays in its class, 1-511 or 600-1023."),
            new("masquerade.flags", "list", "[]", "random|fully-random|persistent", "nft NAT flags", "Flags as nft writes them, e.g. [random, persistent]; the same as the boolean keys."),
            new("masquerade.random", "bool", "false", "true|false", "NF_NAT_RANGE_PROTO_RANDOM", "Do not keep the original port."),
            new("masquerade.fully_random", "bool", "false", "true|false", "NF_NAT_RANGE_PROTO_RANDOM_FULLY", "Do not keep the original port; random search offset."),
            new("masquerade.persistent", "bool", "false", "true|false", "NF_NAT_RANGE_PERSISTENT", "Same public address for a client whatever the destination."),
            new("snat.address", "IPv4|range", "203.0.113.1", "", "scenario", "First public address, or a range FIRST-LAST as nft writes it."),
            new("snat.addresses", "count", "1", "1..65536", "scenario", "Public addresses in the pool (contiguous from address); or give address as a range."),
            new("snat.ports", "range", "1024-65535 (600-1023, 1-511 for low ports)", "1..65535", "nf_nat_core.c nf_nat_l4proto_unique_tuple", "Port range MIN-MAX (NF_NAT_RANGE_PROTO_SPECIFIED); without it a source port below 1024 stays in its class, 1-511 or 600-1023."),
            new("snat.flags", "list", "[]", "random|fully-random|persistent", "nft NAT flags", "Flags as nft writes them, e.g. [random, persistent]; the same as the boolean keys."),
            new("snat.random", "bool", "false", "true|false", "NF_NAT_RANGE_PROTO_RANDOM", "Do not keep the original port."),
            new("snat.fully_random", "bool", "false", "true|false", "NF_NAT_RANGE_PROTO_RANDOM_FULLY", "Do not keep the original port; random search offset."),
            new("snat.persistent", "bool", "false", "true|false", "NF_NAT_RANGE_PERSISTENT", "Same public address for a client whatever the destination."),
            new("timeouts", "mapping", "(kernel defaults)", "", "net.netfilter.nf_conntrack_*_timeout", "Timeout overrides, see timeouts.*."),
            new("timeouts.udp", "time", "30s", "1s..", "nf_conntrack_proto_udp.c UDP_CT_UNREPLIED", "Unreplied UDP entry."),
            new("timeouts.udp_stream", "time", "120s", "1s..", "nf_conntrack_proto_udp.c UDP_CT_REPLIED", "Replied UDP entry seen again more than 2 s after creation."),
            new("timeouts.tcp_syn_sent", "time", "2min", "1s..", Tcp, "SYN_SENT."),
            new("timeouts.tcp_syn_recv", "time", "60s", "1s..", Tcp, "SYN_RECV."),
            new("timeouts.tcp_established", "time", "5d", "1s..", Tcp, "ESTABLISHED."),
            new("timeouts.tcp_fin_wait", "time", "2min", "1s..", Tcp, "FIN_WAIT."),
            new("timeouts.tcp_close_wait", "time", "60s", "1s..", Tcp, "CLOSE_WAIT."),
            new("timeouts.tcp_last_ack", "time", "30s", "1s..", Tcp, "LAST_ACK."),
            new("timeouts.tcp_time_wait", "time", "2min", "1s..", Tcp, "TIME_WAIT."),
            new("timeouts.tcp_close", "time", "10s", "1s..", Tcp, "CLOSE (also after RST)."),
            new("timeouts.tcp_unack", "time", "5min", "1s..", Tcp, "Unacknowledged data; caps ESTABLISHED without a reply."),
            new("timeouts.flowtable_tcp", "time", "30s", "1s..", "net.netfilter.nf_flowtable_tcp_timeout", "Offloaded TCP flow after its last refresh."),
            new("timeouts.flowtable_udp", "time", "30s", "1s..", "net.netfilter.nf_flowtable_udp_timeout", "Offloaded UDP flow after its last refresh."),
            new("costs", "mapping", "(model defaults)", "", "Lab.Netfilter.Flowtable.ForwardingCosts", "Per-stage CPU cost overrides, see costs.*."),
        };
        foreach (var c in ForwardingCosts.Parameters())
            p.Add(c with { Key = "costs." + c.Key["cost.".Length..] });
        return p;
    }

    static readonly KeySpec[] HwKeys = BinderHelpers.Keys(Declared, "hw_offload.");
    static readonly KeySpec[] SnatKeys = BinderHelpers.Keys(Declared, "snat.");
    static readonly KeySpec[] MasqueradeKeys = BinderHelpers.Keys(Declared, "masquerade.");
    static readonly KeySpec[] TimeoutKeys = BinderHelpers.Keys(Declared, "timeouts.");
    static readonly KeySpec[] CostKeySpecs = BinderHelpers.Keys(Declared, "costs.");

    public override string Type => Name;

    public override string Summary => "Forwarding box in the packet path: conntrack, SNAT/masquerade, forward-chain rules, flowtable fast path and hardware offload, with per-stage CPU costs.";

    public override string KernelCounterpart => "net/netfilter/nf_conntrack_core.c, nf_nat_core.c, nf_flow_table_core.c, nf_flow_table_ip.c, nft_flow_offload.c (kernel 6.12; version-dependent behaviour by the kernel key)";

    public override IReadOnlyList<string> Notes { get; } =
        [
            "Flow ids become tuples: client 10.0.0.1 + flow mod subscribers, source port 32768 + (flow div subscribers) mod 28232, server 198.18.0.1 + hash(flow) mod destinations.",
            "TCP: a flow's first packet (FlowFirst, or the first packet of an unseen flow id) is the SYN; the stage synthesizes the SYN/ACK and the handshake ACK, so the flow is offloaded on that ACK. FlowLast carries FIN/ACK; the server's FIN/ACK and the last ACK are synthesized (TIME_WAIT).",
            "UDP: with replies: true the server answers the first packet once; with false the entry stays unreplied (30 s).",
            "Script traffic (kind: script) carries its own tuples, directions and TCP flags: nothing is synthesized and the address plan is not used; a reply goes to the client's translated address and port (the entry's reply tuple). IPv4 only.",
            "probes: lists conntrack (conntrack -L), conntrack_stats (conntrack -S), nat (mapping per entry) and flowtable entries into probes.csv.",
            "Synthesized original-direction packets are charged to the core, reply-direction ones only with reply_cost: true; all count in the kernel counters (forward chain counts both directions as nft does).",
            "Hardware-forwarded packets cost no CPU but still pass the core group's receive ring in this path model.",
            "Drops: NAME.table_full (conntrack drop), NAME.nat_exhausted and NAME.insert_failed (insert_failed), NAME.chaintoolong, NAME.invalid, NAME.no_route (a packet to the NAT's address that no entry translated back).",
            "Metrics: NAME.path.{slow,slow_new,fast,hw,dropped} (simulated packets), NAME.fast_path_share, NAME.cost_per_packet_ns, NAME.core_capacity_mpps, NAME.forward_chain.packets, NAME.flowtable.*, NAME.conntrack.* (conntrack -S names, entries, peak_entries, memory_bytes), NAME.nat.*.",
            "Costs and the lifecycle come from the flowtable and conntrack models: see lab describe flowtable, conntrack, nat.",
            "costs.*: measured values come from a cost profile (scenario key costs: FILE, lab calibrate); lab describe forward --costs FILE shows which.",
        ];

    /// <summary>A cost profile's <c>costs.forward</c> section holds the <see cref="ForwardingCosts"/> keys.</summary>
    public override string? CostProfileSection => Name;

    /// <summary>The costs <see cref="ForwardPath"/> charges for this configuration (ForwardPath.Handle).</summary>
    protected override IReadOnlyList<string> ChargedCostKeys(ForwardStageConfig cfg)
    {
        var keys = new List<string> { "rx_ingress", "conntrack_lookup", "conntrack_create", "dnat", "routing", "forward_chain", "confirm", "xmit", "per_byte" };
        if (cfg.Rules.LinearRules > 0) keys.Add("per_linear_rule");
        if (cfg.Rules.SetLookups > 0) keys.Add("per_set_lookup");
        if (cfg.Snat is not null) keys.AddRange(["snat", "nat_setup", "per_nat_attempt"]);
        if (cfg.Flowtable) keys.AddRange(["flowtable_lookup", "fast_path_xmit"]);
        if (cfg.Flowtable && cfg.Rules.FlowAdd) keys.Add("flow_offload_add");
        return [.. CostKeys.Where(keys.Contains)];
    }

    protected override ForwardStageConfig BindConfig(MapReader r)
    {
        var proto = r.Choice("protocol", "tcp", "tcp", "udp") == "udp" ? IpProto.Udp : IpProto.Tcp;
        var version = KernelVersion.Default;
        if (r.String("kernel") is { } kv)
        {
            try
            {
                version = KernelVersion.Parse(kv);
            }
            catch (LabInputException e)
            {
                r.Problems.Add(r.PosOf("kernel"), $"{r.Section}.kernel: {e.Message}");
            }
        }
        long memory = r.Bytes("memory", 8 * ConntrackSizing.GiB, min: 1 << 20);
        int? buckets = r.Has("conntrack_buckets") ? (int)r.Integer("conntrack_buckets", 65536, 1, ForwardStageConfig.MaxEntries) : null;
        int? max = r.Has("conntrack_max") ? (int)r.Integer("conntrack_max", 65536, 1, ForwardStageConfig.MaxEntries) : null;
        int hz = int.Parse(r.Choice("hz", "250", "100", "250", "300", "1000"), System.Globalization.CultureInfo.InvariantCulture);

        bool hw = false;
        int hwCapacity = 65536;
        long hwLatency = SimTime.Millisecond;
        if (r.Node("hw_offload") is YScalar) hw = r.Boolean("hw_offload", false);
        else if (BinderHelpers.Section(r, "hw_offload", HwKeys) is { } hr)
        {
            hw = true;
            hwCapacity = (int)hr.Integer("capacity", hwCapacity, 0, 1 << 24);
            hwLatency = hr.Duration("latency", hwLatency);
        }
        bool flowtable = r.Boolean("flowtable", false);
        if (hw && !flowtable) r.Problems.Add(r.PosOf("hw_offload"), $"{r.Section}.hw_offload: needs flowtable: true");

        var config = new ForwardStageConfig
        {
            Version = version,
            MemoryBytes = memory,
            Buckets = buckets,
            ConntrackMax = max,
            Hz = hz,
            TcpLoose = r.Boolean("tcp_loose", true),
            Timeouts = BindTimeouts(r),
            Rules = new ForwardRules
            {
                LinearRules = (int)r.Integer("rules", 10, 0, 100_000),
                SetLookups = (int)r.Integer("set_lookups", 0, 0, 1000),
                FlowAdd = r.Boolean("flow_add", true),
            },
            Costs = BindCosts(r),
            Snat = BindSnat(r),
            Flowtable = flowtable,
            HardwareOffload = hw,
            HardwareCapacity = hwCapacity,
            HardwareLatency = hwLatency,
            Addresses = new FlowAddressPlan
            {
                Subscribers = (int)r.Integer("subscribers", 65536, 1, FlowAddressPlan.MaxSubscribers),
                Destinations = (int)r.Integer("destinations", 1, 1, FlowAddressPlan.MaxDestinations),
                DestinationPort = (ushort)r.Integer("dst_port", 443, 1, 65535),
                Proto = proto,
            },
            UdpReplies = r.Boolean("replies", true),
            ReplyCost = r.Boolean("reply_cost", false),
        };
        int sized = config.ConntrackConfig(1, 0).Max;
        if (sized > ForwardStageConfig.MaxEntries)
            r.Problems.Add(r.PosOf("memory"), $"{r.Section}.memory: gives nf_conntrack_max {sized}, above the lab's limit {ForwardStageConfig.MaxEntries}; set conntrack_max");
        return config;
    }

    protected override ForwardStage CreateStage(string name, ForwardStageConfig config, SimulationContext ctx) => new(name, config, ctx);


    static readonly uint DefaultNatAddress = FlowTuple.Ip(203, 0, 113, 1);

    /// <summary>
    /// <c>masquerade</c> (true, or a mapping) or <c>snat</c> (a mapping), the same keys for both as nft
    /// takes them: nf_nat_masquerade_ipv4 turns a masquerade range into MAP_IPS with the interface's
    /// one address and keeps the port range and flags, so both give one <see cref="NatRange"/>.
    /// </summary>
    static NatRange? BindSnat(MapReader r)
    {
        MapReader? mr = null;
        bool masquerade = false;
        if (r.Node("masquerade") is YScalar) masquerade = r.Boolean("masquerade", false);
        else if (BinderHelpers.Section(r, "masquerade", MasqueradeKeys) is { } m)
        {
            masquerade = true;
            mr = m;
        }
        var sr = BinderHelpers.Section(r, "snat", SnatKeys);
        if (sr is not null && masquerade) r.Problems.Add(r.PosOf("masquerade"), $"{r.Section}.masquerade: give either masquerade or snat, not both");
        if (sr is null && !masquerade) return null;
        if (sr is null && mr is null) return NatRange.Snat(DefaultNatAddress);
        var nr = sr ?? mr!;

        uint first = DefaultNatAddress;
        int count = 1;
        string? addressText = nr.String("address");
        if (addressText is not null && addressText.Contains('-', StringComparison.Ordinal) && sr is not null)
        {
            var parts = addressText.Split('-');
            if (parts.Length == 2 && TryIp(parts[0], out uint lo) && TryIp(parts[1], out uint hi) && hi >= lo && hi - lo < 65536)
            {
                (first, count) = (lo, (int)(hi - lo + 1));
                if (nr.Has("addresses")) nr.Problems.Add(nr.PosOf("addresses"), $"{nr.Section}.addresses: the address range gives the pool already; give one of them");
            }
            else nr.Problems.Add(nr.PosOf("address"), $"{nr.Section}.address: expected an address or a range FIRST-LAST of at most 65536 addresses (203.0.113.1-203.0.113.8), found '{addressText}'");
        }
        else
        {
            first = BinderHelpers.Ip(nr, "address", DefaultNatAddress);
            if (sr is not null) count = (int)sr.Integer("addresses", 1, 1, 65536);
        }
        var flags = NatRangeFlags.None;
        if (nr.Boolean("random", false)) flags |= NatRangeFlags.ProtoRandom;
        if (nr.Boolean("fully_random", false)) flags |= NatRangeFlags.ProtoRandomFully;
        if (nr.Boolean("persistent", false)) flags |= NatRangeFlags.Persistent;
        flags |= NftFlags(nr);
        if ((ulong)first + (ulong)count - 1 > uint.MaxValue)
            nr.Problems.Add(nr.PosOf("addresses"), $"{nr.Section}.addresses: the pool runs past 255.255.255.255");
        var range = NatRange.SnatPool(first, count, flags);
        return BinderHelpers.PortRange(nr, "ports") is { } ports ? range.WithPorts(ports.Min, ports.Max) : range;
    }

    static readonly (string Name, NatRangeFlags Flag)[] NftFlagNames =
        [("random", NatRangeFlags.ProtoRandom), ("fully-random", NatRangeFlags.ProtoRandomFully), ("persistent", NatRangeFlags.Persistent)];

    static NatRangeFlags NftFlags(MapReader r)
    {
        if (r.Node("flags") is not { } node) return NatRangeFlags.None;
        var flags = NatRangeFlags.None;
        foreach (var item in node is YSeq s ? s.Items : [node])
        {
            string text = item is YScalar sc ? sc.Value : "";
            int i = Array.FindIndex(NftFlagNames, f => f.Name == text);
            if (i >= 0) flags |= NftFlagNames[i].Flag;
            else r.Problems.Add(item.Pos, $"{r.Section}.flags: expected random, fully-random or persistent, found {(item is YScalar ? $"'{text}'" : YamlDescribe(item))}");
        }
        return flags;
    }

    static string YamlDescribe(YNode n) => YamlLoader.Describe(n);

    static bool TryIp(string text, out uint ip)
    {
        ip = 0;
        var parts = text.Trim().Split('.');
        if (parts.Length != 4) return false;
        foreach (var p in parts)
        {
            if (!byte.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out byte b)) return false;
            ip = ip << 8 | b;
        }
        return true;
    }

    static ConntrackTimeouts BindTimeouts(MapReader r)
    {
        var d = new ConntrackTimeouts();
        var tr = BinderHelpers.Section(r, "timeouts", TimeoutKeys);
        if (tr is null) return d;
        var t = new ConntrackTimeouts
        {
            UdpUnreplied = tr.Duration("udp", d.UdpUnreplied, positive: true),
            UdpReplied = tr.Duration("udp_stream", d.UdpReplied, positive: true),
            FlowtableTcp = tr.Duration("flowtable_tcp", d.FlowtableTcp, positive: true),
            FlowtableUdp = tr.Duration("flowtable_udp", d.FlowtableUdp, positive: true),
        };
        foreach (var (key, state) in TcpTimeoutKeys) t.Tcp[(int)state] = tr.Duration(key, d.Tcp[(int)state], positive: true);
        return t;
    }

    static readonly (string Key, TcpState State)[] TcpTimeoutKeys =
    [
        ("tcp_syn_sent", TcpState.SynSent), ("tcp_syn_recv", TcpState.SynRecv), ("tcp_established", TcpState.Established),
        ("tcp_fin_wait", TcpState.FinWait), ("tcp_close_wait", TcpState.CloseWait), ("tcp_last_ack", TcpState.LastAck),
        ("tcp_time_wait", TcpState.TimeWait), ("tcp_close", TcpState.Close), ("tcp_unack", TcpState.Unack),
    ];

    static ForwardingCosts BindCosts(MapReader r)
    {
        var d = new ForwardingCosts();
        var cr = BinderHelpers.Section(r, "costs", CostKeySpecs);
        if (cr is null) return d;
        return new ForwardingCosts
        {
            RxIngress = cr.Duration("rx_ingress", d.RxIngress),
            FlowtableLookup = cr.Duration("flowtable_lookup", d.FlowtableLookup),
            FastPathXmit = cr.Duration("fast_path_xmit", d.FastPathXmit),
            ConntrackLookup = cr.Duration("conntrack_lookup", d.ConntrackLookup),
            ConntrackCreate = cr.Duration("conntrack_create", d.ConntrackCreate),
            Dnat = cr.Duration("dnat", d.Dnat),
            Routing = cr.Duration("routing", d.Routing),
            ForwardChainBase = cr.Duration("forward_chain", d.ForwardChainBase),
            PerLinearRule = cr.Duration("per_linear_rule", d.PerLinearRule),
            PerSetLookup = cr.Duration("per_set_lookup", d.PerSetLookup),
            Snat = cr.Duration("snat", d.Snat),
            NatSetup = cr.Duration("nat_setup", d.NatSetup),
            PerNatAttempt = cr.Duration("per_nat_attempt", d.PerNatAttempt),
            Confirm = cr.Duration("confirm", d.Confirm),
            Xmit = cr.Duration("xmit", d.Xmit),
            FlowOffloadAdd = cr.Duration("flow_offload_add", d.FlowOffloadAdd),
            PerByte = cr.Duration("per_byte", d.PerByte),
        };
    }

    /// <summary>Share of packets the flowtable (software or hardware) forwarded, and the CPU cost per packet.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["fast_path_share", "cost_per_packet_ns"];

    protected override IEnumerable<MetricValue> Metrics(ForwardStage s, double measuredSeconds)
    {
        string n = s.Name + ".";
        var ct = s.Conntrack;
        var list = new List<MetricValue>
        {
            new(n + "packets", "packets", s.Packets),
            new(n + "path.slow", "packets", s.ByVerdict[(int)ForwardVerdict.SlowPath]),
            new(n + "path.slow_new", "packets", s.ByVerdict[(int)ForwardVerdict.SlowPathNew]),
            new(n + "path.fast", "packets", s.ByVerdict[(int)ForwardVerdict.FastPath]),
            new(n + "path.hw", "packets", s.ByVerdict[(int)ForwardVerdict.Hardware]),
            new(n + "path.dropped", "packets", s.ByVerdict[(int)ForwardVerdict.Dropped]),
            new(n + "fast_path_share", "ratio", Ratio(s.ByVerdict[(int)ForwardVerdict.FastPath] + s.ByVerdict[(int)ForwardVerdict.Hardware], s.Packets)),
            new(n + "hw_share", "ratio", Ratio(s.ByVerdict[(int)ForwardVerdict.Hardware], s.Packets)),
            new(n + "cost_per_packet_ns", "ns", Ratio(s.ChargedCost, s.Packets) / SimTime.Nanosecond),
            new(n + "core_capacity_mpps", "Mpps", s.ChargedCost > 0 ? s.Packets * 1e6 / s.ChargedCost : 0),
            new(n + "synthesized_packets", "packets", s.Synthesized),
            new(n + "forward_chain.packets", "packets", s.Path.ForwardChainPackets),
            new(n + "conntrack.found", "count", ct.Stats.found),
            new(n + "conntrack.invalid", "count", ct.Stats.invalid),
            new(n + "conntrack.insert", "count", ct.Stats.insert),
            new(n + "conntrack.insert_failed", "count", ct.Stats.insert_failed),
            new(n + "conntrack.drop", "count", ct.Stats.drop),
            new(n + "conntrack.early_drop", "count", ct.Stats.early_drop),
            new(n + "conntrack.clash_resolve", "count", ct.Stats.clash_resolve),
            new(n + "conntrack.chaintoolong", "count", ct.Stats.chaintoolong),
            new(n + "conntrack.entries", "entries", ct.Count),
            new(n + "conntrack.peak_entries", "entries", s.PeakEntries),
            new(n + "conntrack.max", "entries", ct.Config.Max),
            new(n + "conntrack.buckets", "buckets", ct.Buckets),
            new(n + "conntrack.memory_bytes", "bytes", ConntrackSizing.MemoryBytes(s.PeakEntries, ct.Buckets)),
        };
        if (s.Path.Flowtable is { } ft)
        {
            list.Add(new(n + "flowtable.lab_sw_packets", "packets", s.Path.FastPathPackets));
            list.Add(new(n + "flowtable.lab_hw_packets", "packets", s.Path.HardwarePackets));
            list.Add(new(n + "flowtable.entries", "entries", ft.Count));
            list.Add(new(n + "flowtable.hw_entries", "entries", ft.HardwareCount));
            list.Add(new(n + "flowtable.lab_added", "count", ft.Stats.LabAdded));
            list.Add(new(n + "flowtable.lab_torn_down", "count", ft.Stats.LabTornDown));
            list.Add(new(n + "flowtable.lab_expired_by_gc", "count", ft.Stats.LabExpiredByGc));
            list.Add(new(n + "flowtable.lab_hw_installed", "count", ft.Stats.LabHwInstalled));
            list.Add(new(n + "flowtable.lab_hw_install_failed", "count", ft.Stats.LabHwInstallFailed));
            list.Add(new(n + "flowtable.wq_add", "count", ft.Stats.wq_add));
        }
        if (s.Path.Nat is { } nat)
        {
            list.Add(new(n + "nat.lab_setups", "count", nat.Stats.LabSetups));
            list.Add(new(n + "nat.lab_attempts_per_setup", "checks", Ratio(nat.Stats.LabAttempts, nat.Stats.LabSetups)));
            list.Add(new(n + "nat.lab_max_attempts", "checks", nat.Stats.LabMaxAttempts));
            list.Add(new(n + "nat.lab_kept_port", "count", nat.Stats.LabKeptPort));
            list.Add(new(n + "nat.lab_exhausted", "count", nat.Stats.LabExhausted));
            list.Add(new(n + "nat.lab_evicted_closing", "count", nat.Stats.LabEvictedClosing));
        }
        return list;
    }

    static double Ratio(long a, long b) => b == 0 ? 0 : a / (double)b;
}
