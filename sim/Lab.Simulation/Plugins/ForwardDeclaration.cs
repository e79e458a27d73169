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

    static readonly Parameter<IpProto> Protocol = Parameter.Choice("protocol", IpProto.Tcp, "scenario", "Transport protocol of every flow through this element.",
        ("tcp", IpProto.Tcp), ("udp", IpProto.Udp));
    static readonly Parameter<long> Subscribers = Parameter.Integer("subscribers", 65536, 1, FlowAddressPlan.MaxSubscribers, Lab,
        "Client addresses (10.0.0.1 + flow mod N); each walks ip_local_port_range 32768-60999 for its source ports.", unit: "count");
    static readonly Parameter<long> Destinations = Parameter.Integer("destinations", 1, 1, FlowAddressPlan.MaxDestinations, Lab,
        "Server addresses (198.18.0.1 + hash(flow) mod N); NAT ports run out per destination.", unit: "count");
    static readonly Parameter<long> DstPort = Parameter.Integer("dst_port", 443, 1, 65535, Lab, "Server port.", unit: "port");
    static readonly Parameter<bool> Replies = Parameter.Boolean("replies", true, "scenario",
        "UDP: the server answers a flow's first packet once (replied entry; 120 s stream timeout after 2 s); false: entries stay unreplied (30 s).", unit: "bool");
    static readonly Parameter<bool> ReplyCost = Parameter.Boolean("reply_cost", false, "scenario",
        "Charge the CPU cost of synthesized reply-direction packets (SYN/ACK, FIN/ACK, UDP reply) to the core.", unit: "bool");
    static readonly Parameter<string> Kernel = Parameter.Text("kernel", KernelVersion.Default.ToString(), "Debian 13 kernel",
        "Selects version-dependent behaviour: table sizing (5.15), NAT search (5.0), UDP 2-second rule (6.2), chain limit (6.3), NAT eviction (6.5), flowtable CLOSING state (6.14).",
        unit: "version", range: "4.x..6.18");
    static readonly Parameter<long> Memory = Parameter.Size("memory", 8 * ConntrackSizing.GiB, CtCore,
        "RAM of the box: default nf_conntrack_buckets and nf_conntrack_max derive from it (5.15+: 262144 above 4 GiB).", min: 1 << 20, unit: "bytes");
    static readonly Parameter<long> ConntrackBuckets = Parameter.Integer("conntrack_buckets", 0, 1, ForwardStageConfig.MaxEntries, CtCore + " (hashsize module parameter)",
        "nf_conntrack_buckets, rounded up to a multiple of 512; when given, nf_conntrack_max defaults to 8 x buckets.", unit: "count").Derived("from memory");
    static readonly Parameter<long> ConntrackMax = Parameter.Integer("conntrack_max", 0, 1, ForwardStageConfig.MaxEntries, "net.netfilter.nf_conntrack_max",
        "Entries before early_drop and table-full drops.", unit: "count").Derived("from memory");
    static readonly Parameter<int> Hz = Parameter.Choice("hz", 250, "CONFIG_HZ (Debian: 250)", "gc_worker scan limit 64000/HZ per run.",
        ("100", 100), ("250", 250), ("300", 300), ("1000", 1000)).InUnit("1/s");
    static readonly Parameter<bool> TcpLoose = Parameter.Boolean("tcp_loose", true, "net.netfilter.nf_conntrack_tcp_loose", "Pick up TCP connections mid-stream.", unit: "bool");
    static readonly Parameter<long> Rules = Parameter.Integer("rules", 10, 0, 100_000, "scenario", "Linear rules every slow-path packet evaluates in the forward chain.", unit: "count");
    static readonly Parameter<long> SetLookups = Parameter.Integer("set_lookups", 0, 0, 1000, "scenario", "Set/map lookups every slow-path packet does in the forward chain.", unit: "count");
    static readonly Parameter<bool> Flowtable = Parameter.Boolean("flowtable", false, "nft flowtable at ingress",
        "Attach a flowtable; with flow_add the forward chain offloads established connections.", unit: "bool");
    static readonly Parameter<bool> FlowAdd = Parameter.Boolean("flow_add", true, "nft_flow_offload.c", "A 'flow add @ft' rule in the forward chain.", unit: "bool");
    static readonly Parameter<bool> HwOffload = Parameter.Boolean("hw_offload", false, "flowtable 'flags offload'",
        "Push offloaded flows to the NIC: true, or a mapping with capacity and latency.", unit: "bool|mapping");
    static readonly Parameter<long> HwCapacity = Parameter.Integer("hw_offload.capacity", 65536, 0, 1 << 24, "ASSUMPTION: device-specific",
        "Flows the NIC holds; others stay in software.", unit: "flows");
    static readonly Parameter<long> HwLatency = Parameter.Duration("hw_offload.latency", SimTime.Millisecond, "ASSUMPTION: nf_flow_offload work queue + driver",
        "Delay until an offloaded flow is forwarded by the NIC.", max: 10 * SimTime.Second, unit: "time");
    static readonly Parameter<bool> Masquerade = Parameter.Boolean("masquerade", false, "nft 'masquerade [to :PORT-PORT] [flags]' (nf_nat_masquerade_ipv4)",
        "SNAT to the outgoing interface's address (203.0.113.1): true, or a mapping with the snat keys (address is the interface's; one address only).", unit: "bool|mapping");
    static readonly SectionParameter Snat = Parameter.Section("snat", "(none)", "nft 'snat to ADDR[-ADDR][:PORT-PORT] [flags]'", "Source NAT in postrouting, see snat.*.");
    static readonly NatKeys MasqueradeKeys = NatKeys.Under(Masquerade, Parameter.Text("masquerade.address", "203.0.113.1", "scenario", "The outgoing interface's address.", unit: "IPv4"));
    static readonly Parameter<string> MasqueradeAddress6 = Parameter.Text("masquerade.address6", DefaultMasqueradeAddress6, "nf_nat_masquerade_ipv6 (ipv6_dev_get_saddr)",
        "The outgoing interface's IPv6 address, the source ipv6_dev_get_saddr chooses for IPv6 flows (nft inet masquerade translates both families).", unit: "IPv6");
    static readonly Parameter<string> SnatAddress6 = Parameter.Text("snat.address6", "", "nft 'snat ip6 to ADDR[-ADDR]'",
        "IPv6 flows' public address, or a range FIRST-LAST (find_best_ips_proto picks one per client); without it IPv6 flows pass untranslated.", unit: "IPv6|range");

    /// <summary>The masquerading interface's IPv6 address by default (2001:db8::/32 is the documentation prefix, RFC 3849).</summary>
    public const string DefaultMasqueradeAddress6 = "2001:db8:ffff::1";
    static readonly Parameter<long> SnatAddresses = Parameter.Integer("snat.addresses", 1, 1, 65536, "scenario",
        "Public addresses in the pool (contiguous from address); or give address as a range.", unit: "count");
    static readonly NatKeys SnatKeys = NatKeys.Under(Snat, Parameter.Text("snat.address", "203.0.113.1", "scenario",
        "First public address, or a range FIRST-LAST as nft writes it.", unit: "IPv4|range"));
    static readonly SectionParameter Timeouts = Parameter.Section("timeouts", "(kernel defaults)", "net.netfilter.nf_conntrack_*_timeout", "Timeout overrides, see timeouts.*.");
    static readonly SectionParameter Costs = Parameter.Section("costs", "(model defaults)", "Lab.Netfilter.Flowtable.ForwardingCosts", "Per-stage CPU cost overrides, see costs.*.");

    static readonly ConntrackTimeouts DefaultTimeouts = new();

    static Parameter<long> Timeout(string key, long ps, string source, string description) =>
        Parameter.Duration("timeouts." + key, ps, source, description, positive: true, unit: "time");

    static readonly Parameter<long> UdpTimeout = Timeout("udp", DefaultTimeouts.UdpUnreplied, "nf_conntrack_proto_udp.c UDP_CT_UNREPLIED", "Unreplied UDP entry.");
    static readonly Parameter<long> UdpStreamTimeout = Timeout("udp_stream", DefaultTimeouts.UdpReplied, "nf_conntrack_proto_udp.c UDP_CT_REPLIED",
        "Replied UDP entry seen again more than 2 s after creation.");

    /// <summary>The TCP state timeouts (tcp_timeouts[] of nf_conntrack_proto_tcp.c), each with the state it sets.</summary>
    static readonly (Parameter<long> Parameter, TcpState State)[] TcpTimeouts =
    [
        (Timeout("tcp_syn_sent", DefaultTimeouts.Tcp[(int)TcpState.SynSent], Tcp, "SYN_SENT."), TcpState.SynSent),
        (Timeout("tcp_syn_recv", DefaultTimeouts.Tcp[(int)TcpState.SynRecv], Tcp, "SYN_RECV."), TcpState.SynRecv),
        (Timeout("tcp_established", DefaultTimeouts.Tcp[(int)TcpState.Established], Tcp, "ESTABLISHED."), TcpState.Established),
        (Timeout("tcp_fin_wait", DefaultTimeouts.Tcp[(int)TcpState.FinWait], Tcp, "FIN_WAIT."), TcpState.FinWait),
        (Timeout("tcp_close_wait", DefaultTimeouts.Tcp[(int)TcpState.CloseWait], Tcp, "CLOSE_WAIT."), TcpState.CloseWait),
        (Timeout("tcp_last_ack", DefaultTimeouts.Tcp[(int)TcpState.LastAck], Tcp, "LAST_ACK."), TcpState.LastAck),
        (Timeout("tcp_time_wait", DefaultTimeouts.Tcp[(int)TcpState.TimeWait], Tcp, "TIME_WAIT."), TcpState.TimeWait),
        (Timeout("tcp_close", DefaultTimeouts.Tcp[(int)TcpState.Close], Tcp, "CLOSE (also after RST)."), TcpState.Close),
        (Timeout("tcp_unack", DefaultTimeouts.Tcp[(int)TcpState.Unack], Tcp, "Unacknowledged data; caps ESTABLISHED without a reply."), TcpState.Unack),
    ];

    static readonly Parameter<long> FlowtableTcpTimeout = Timeout("flowtable_tcp", DefaultTimeouts.FlowtableTcp, "net.netfilter.nf_flowtable_tcp_timeout",
        "Offloaded TCP flow after its last refresh.");
    static readonly Parameter<long> FlowtableUdpTimeout = Timeout("flowtable_udp", DefaultTimeouts.FlowtableUdp, "net.netfilter.nf_flowtable_udp_timeout",
        "Offloaded UDP flow after its last refresh.");

    /// <summary>The model's cost parameters (cost.NAME) under the keys of the element's costs mapping (costs.NAME), with how each sets its cost.</summary>
    static readonly (Parameter<long> Parameter, Func<ForwardingCosts, long, ForwardingCosts> With)[] CostKeysDeclared =
        [.. ForwardingCosts.Declared.Select(d => ((Parameter<long>)d.Parameter.WithKey("costs." + d.Parameter.Key["cost.".Length..]), d.With))];

    static readonly IReadOnlyList<Parameter> Declared =
    [
        Parameter.Text("name", Name, "scenario", "Element name: prefix of its metrics and drop reasons."),
        Protocol, Subscribers, Destinations, DstPort, Replies, ReplyCost, Kernel, Memory, ConntrackBuckets, ConntrackMax, Hz, TcpLoose,
        Rules, SetLookups, Flowtable, FlowAdd, HwOffload, HwCapacity, HwLatency, Masquerade, Snat,
        MasqueradeKeys.Address, MasqueradeAddress6, MasqueradeKeys.Ports, MasqueradeKeys.Flags, MasqueradeKeys.Random, MasqueradeKeys.FullyRandom, MasqueradeKeys.Persistent,
        SnatKeys.Address, SnatAddress6, SnatAddresses, SnatKeys.Ports, SnatKeys.Flags, SnatKeys.Random, SnatKeys.FullyRandom, SnatKeys.Persistent,
        Timeouts, UdpTimeout, UdpStreamTimeout, .. TcpTimeouts.Select(t => t.Parameter), FlowtableTcpTimeout, FlowtableUdpTimeout,
        Costs, .. CostKeysDeclared.Select(c => c.Parameter),
    ];

    public override IReadOnlyList<Parameter> Parameters => Declared;

    /// <summary>The keys masquerade and snat share, as nft takes them for both (nf_nat_masquerade_ipv4 keeps the port range and flags).</summary>
    sealed record NatKeys(Parameter Section, Parameter<string> Address, Parameter<string> Ports, Parameter Flags,
        Parameter<bool> Random, Parameter<bool> FullyRandom, Parameter<bool> Persistent)
    {
        public static NatKeys Under(Parameter sectionKey, Parameter<string> address)
        {
            string section = sectionKey.Key;
            return new(sectionKey, address,
            Parameter.Text(section + ".ports", "", "nf_nat_core.c nf_nat_l4proto_unique_tuple",
                "Port range MIN-MAX (NF_NAT_RANGE_PROTO_SPECIFIED); without it a source port below 1024 stays in its class, 1-511 or 600-1023.",
                unit: "range", range: "1..65535").Derived("1024-65535 (600-1023, 1-511 for low ports)"),
            Parameter.Section(section + ".flags", "[]", "nft NAT flags", "Flags as nft writes them, e.g. [random, persistent]; the same as the boolean keys.",
                unit: "list", range: "random|fully-random|persistent"),
            Parameter.Boolean(section + ".random", false, "NF_NAT_RANGE_PROTO_RANDOM", "Do not keep the original port.", unit: "bool"),
            Parameter.Boolean(section + ".fully_random", false, "NF_NAT_RANGE_PROTO_RANDOM_FULLY", "Do not keep the original port; random search offset.", unit: "bool"),
            Parameter.Boolean(section + ".persistent", false, "NF_NAT_RANGE_PERSISTENT", "Same public address for a client whatever the destination.", unit: "bool"));
        }

        public KeySpec[] Keys => BinderHelpers.Keys(Declared, Section.Key + ".");
    }

    static readonly KeySpec[] HwKeys = BinderHelpers.Keys(Declared, "hw_offload.");
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
            "Costs and the lifecycle come from the flowtable and conntrack models: see the models flowtable, conntrack and nat.",
            "costs.*: measured values come from a cost profile (scenario key costs: FILE).",
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
        var proto = r.Read(Protocol);
        var version = KernelVersion.Default;
        string kernel = r.Read(Kernel);
        try
        {
            version = KernelVersion.Parse(kernel);
        }
        catch (LabInputException e)
        {
            r.Problems.Add(r.PosOf(Kernel), $"{r.Where(Kernel)}: {e.Message}");
        }
        long memory = r.Read(Memory);
        int? buckets = r.TryRead(ConntrackBuckets, out long b) ? (int)b : null;
        int? max = r.TryRead(ConntrackMax, out long m) ? (int)m : null;
        int hz = r.Read(Hz);

        bool hw = false;
        int hwCapacity = (int)HwCapacity.Default;
        long hwLatency = HwLatency.Default;
        if (r.Node(HwOffload) is YScalar) hw = r.Read(HwOffload);
        else if (BinderHelpers.Section(r, HwOffload, HwKeys) is { } hr)
        {
            hw = true;
            hwCapacity = (int)hr.Read(HwCapacity);
            hwLatency = hr.Read(HwLatency);
        }
        bool flowtable = r.Read(Flowtable);
        if (hw && !flowtable) r.Problems.Add(r.PosOf(HwOffload), $"{r.Where(HwOffload)}: needs flowtable: true");

        var (snat, snat6) = BindSnat(r);
        var config = new ForwardStageConfig
        {
            Version = version,
            MemoryBytes = memory,
            Buckets = buckets,
            ConntrackMax = max,
            Hz = hz,
            TcpLoose = r.Read(TcpLoose),
            Timeouts = BindTimeouts(r),
            Rules = new ForwardRules
            {
                LinearRules = (int)r.Read(Rules),
                SetLookups = (int)r.Read(SetLookups),
                FlowAdd = r.Read(FlowAdd),
            },
            Costs = BindCosts(r),
            Snat = snat,
            Snat6 = snat6,
            Flowtable = flowtable,
            HardwareOffload = hw,
            HardwareCapacity = hwCapacity,
            HardwareLatency = hwLatency,
            Addresses = new FlowAddressPlan
            {
                Subscribers = (int)r.Read(Subscribers),
                Destinations = (int)r.Read(Destinations),
                DestinationPort = (ushort)r.Read(DstPort),
                Proto = proto,
            },
            UdpReplies = r.Read(Replies),
            ReplyCost = r.Read(ReplyCost),
        };
        int sized = config.ConntrackConfig(1, 0).Max;
        if (sized > ForwardStageConfig.MaxEntries)
            r.Problems.Add(r.PosOf(Memory), $"{r.Where(Memory)}: gives nf_conntrack_max {sized}, above the lab's limit {ForwardStageConfig.MaxEntries}; set conntrack_max");
        return config;
    }

    protected override ForwardStage CreateStage(string name, ForwardStageConfig config, SimulationContext ctx) => new(name, config, ctx);

    /// <summary>
    /// <c>masquerade</c> (true, or a mapping) or <c>snat</c> (a mapping), the same keys for both as nft
    /// takes them: nf_nat_masquerade_ipv4 turns a masquerade range into MAP_IPS with the interface's
    /// one address and keeps the port range and flags, so both give one <see cref="NatRange"/> per
    /// family: the IPv4 one, and for IPv6 flows (nf_nat_masquerade_ipv6: the out interface's IPv6
    /// address; <c>snat ip6 to</c>: snat.address6) the same ports and flags on the IPv6 addresses.
    /// </summary>
    static (NatRange? V4, NatRange? V6) BindSnat(MapReader r)
    {
        MapReader? mr = null;
        bool masquerade = false;
        if (r.Node(Masquerade) is YScalar) masquerade = r.Read(Masquerade);
        else if (BinderHelpers.Section(r, Masquerade, MasqueradeKeys.Keys) is { } m)
        {
            masquerade = true;
            mr = m;
        }
        var sr = BinderHelpers.Section(r, Snat, SnatKeys.Keys);
        if (sr is not null && masquerade) r.Problems.Add(r.PosOf(Masquerade), $"{r.Where(Masquerade)}: give either masquerade or snat, not both");
        if (sr is null && !masquerade) return (null, null);
        if (sr is null && mr is null)
        {
            BinderHelpers.TryIp(MasqueradeKeys.Address.Default, out uint interfaceAddress);
            var plain = NatRange.Snat(interfaceAddress);
            var (a6, _) = BinderHelpers.Ipv6Range(MasqueradeAddress6.Default)!.Value;
            return (plain, plain.ForAddresses(a6, a6, L3Family.Ipv6));
        }
        var nr = sr ?? mr!;
        var keys = sr is not null ? SnatKeys : MasqueradeKeys;

        uint first;
        int count = 1;
        string addressText = nr.Read(keys.Address);
        if (addressText.Contains('-', StringComparison.Ordinal) && sr is not null)
        {
            var parts = addressText.Split('-');
            BinderHelpers.TryIp(keys.Address.Default, out first);
            if (parts.Length == 2 && BinderHelpers.TryIp(parts[0], out uint lo) && BinderHelpers.TryIp(parts[1], out uint hi) && hi >= lo && hi - lo < 65536)
            {
                (first, count) = (lo, (int)(hi - lo + 1));
                if (nr.Has(SnatAddresses)) nr.Problems.Add(nr.PosOf(SnatAddresses), $"{nr.Where(SnatAddresses)}: the address range gives the pool already; give one of them");
            }
            else nr.Problems.Add(nr.PosOf(keys.Address), $"{nr.Where(keys.Address)}: expected an address or a range FIRST-LAST of at most 65536 addresses (203.0.113.1-203.0.113.8), found '{addressText}'");
        }
        else
        {
            first = BinderHelpers.Ip(nr, keys.Address);
            if (sr is not null) count = (int)sr.Read(SnatAddresses);
        }
        var flags = NatRangeFlags.None;
        if (nr.Read(keys.Random)) flags |= NatRangeFlags.ProtoRandom;
        if (nr.Read(keys.FullyRandom)) flags |= NatRangeFlags.ProtoRandomFully;
        if (nr.Read(keys.Persistent)) flags |= NatRangeFlags.Persistent;
        flags |= NftFlags(nr, keys.Flags);
        if ((ulong)first + (ulong)count - 1 > uint.MaxValue)
            nr.Problems.Add(nr.PosOf(SnatAddresses), $"{nr.Where(SnatAddresses)}: the pool runs past 255.255.255.255");
        var range = NatRange.SnatPool(first, count, flags);
        if (BinderHelpers.PortRange(nr, keys.Ports) is { } ports) range = range.WithPorts(ports.Min, ports.Max);
        var address6 = sr is not null ? SnatAddress6 : MasqueradeAddress6;
        string text6 = nr.Read(address6);
        if (text6.Length == 0) return (range, null);
        if (BinderHelpers.Ipv6Range(text6) is not { } r6)
        {
            nr.Problems.Add(nr.PosOf(address6), sr is not null
                ? $"{nr.Where(address6)}: expected an IPv6 address or a range FIRST-LAST (2001:db8:ffff::1-2001:db8:ffff::8), found '{text6}'"
                : $"{nr.Where(address6)}: expected an IPv6 address such as {DefaultMasqueradeAddress6}, found '{text6}'");
            return (range, null);
        }
        if (sr is null && r6.First != r6.Last)
        {
            nr.Problems.Add(nr.PosOf(address6), $"{nr.Where(address6)}: masquerade translates to the interface's one address, found the range '{text6}'");
            return (range, null);
        }
        return (range, range.ForAddresses(r6.First, r6.Last, L3Family.Ipv6));
    }

    static readonly (string Name, NatRangeFlags Flag)[] NftFlagNames =
        [("random", NatRangeFlags.ProtoRandom), ("fully-random", NatRangeFlags.ProtoRandomFully), ("persistent", NatRangeFlags.Persistent)];

    static NatRangeFlags NftFlags(MapReader r, Parameter flagsKey)
    {
        if (r.Node(flagsKey) is not { } node) return NatRangeFlags.None;
        var flags = NatRangeFlags.None;
        foreach (var item in node is YSeq s ? s.Items : [node])
        {
            string text = item is YScalar sc ? sc.Value : "";
            int i = Array.FindIndex(NftFlagNames, f => f.Name == text);
            if (i >= 0) flags |= NftFlagNames[i].Flag;
            else r.Problems.Add(item.Pos, $"{r.Where(flagsKey)}: expected random, fully-random or persistent, found {(item is YScalar ? $"'{text}'" : YamlLoader.Describe(item))}");
        }
        return flags;
    }

    static ConntrackTimeouts BindTimeouts(MapReader r)
    {
        var tr = BinderHelpers.Section(r, Timeouts, TimeoutKeys);
        if (tr is null) return new ConntrackTimeouts();
        var t = new ConntrackTimeouts
        {
            UdpUnreplied = tr.Read(UdpTimeout),
            UdpReplied = tr.Read(UdpStreamTimeout),
            FlowtableTcp = tr.Read(FlowtableTcpTimeout),
            FlowtableUdp = tr.Read(FlowtableUdpTimeout),
        };
        foreach (var (key, state) in TcpTimeouts) t.Tcp[(int)state] = tr.Read(key);
        return t;
    }

    static ForwardingCosts BindCosts(MapReader r)
    {
        var costs = new ForwardingCosts();
        var cr = BinderHelpers.Section(r, Costs, CostKeySpecs);
        if (cr is null) return costs;
        foreach (var (key, with) in CostKeysDeclared) costs = with(costs, cr.Read(key));
        return costs;
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
