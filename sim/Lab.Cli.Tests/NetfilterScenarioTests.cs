using Lab.Simulation.Plugins;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Netfilter;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;
using Lab.Netfilter.NatT;
using Lab.Netfilter.Stages;
using Lab.Scenarios;

namespace Lab.Cli.Tests;

/// <summary>
/// The netfilter models (forward, natt_rebind) driven through scenarios and the discrete-event
/// packet path. Expected values are worked out from the model's documented defaults
/// (ForwardingCosts: rx 80, flowtable lookup 40, fast xmit 120, ct lookup 90, ct create 600,
/// dnat 30, routing 60, chain 40, rule 8, confirm 150, xmit 150, flow offload add 400 ns) and
/// from the arithmetic in the comments.
/// </summary>
public sealed class NetfilterScenarioTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-nf-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static Dictionary<string, double> Run(string yaml)
    {
        var loaded = ModelCatalog.CreateLoader().LoadText(yaml, "test.yaml");
        var result = ScenarioRunner.Run(loaded.First, 0);
        var d = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var m in result.Metrics) d[m.Name] = m.Value;
        return d;
    }

    // 672 Mbit/s of 64 B frames is (64 + 20) x 8 = 672 bits per frame: exactly 1 Mpps, one packet
    // per microsecond, so 1 ms of traffic is packets at 0, 1, ..., 999 us: 1,000 packets.
    static string OneFlow(string forward, string run = "{ duration: 1ms, seed: 1 }") => $$"""
        name: one-flow
        run: {{run}}
        traffic:
          - { name: one, kind: cbr, rate: 672Mbit/s, size: 64B, flows: 1 }
        path:
          - forward: {{forward}}
        outputs: { timeseries: 0s }
        """;

    [Fact]
    public void A_long_tcp_flow_leaves_the_forward_chain_after_its_handshake()
    {
        // nft_flowtable.sh's check: the forward-chain counter stays far below the packets sent.
        // The chain sees the SYN, the synthesized SYN/ACK and the synthesized handshake ACK, which
        // offloads the flow; the other 999 packets take the ingress fast path.
        var m = Run(OneFlow("{ flowtable: true }"));
        Assert.Equal(1000, m["forward.packets"]);
        Assert.Equal(3, m["forward.forward_chain.packets"]);
        Assert.Equal(1, m["forward.path.slow_new"]);
        Assert.Equal(999, m["forward.path.fast"]);
        Assert.Equal(999, m["forward.flowtable.lab_sw_packets"]);
        Assert.Equal(1, m["forward.flowtable.entries"]);
        Assert.Equal(1, m["forward.conntrack.entries"]);
        Assert.Equal(0.999, m["forward.fast_path_share"], 12);
        // SYN with a flowtable attached: 80 + 40 + 600 + 30 + 60 + 40 + 10 x 8 + 150 + 150 = 1,230 ns;
        // the synthesized ACK (charged: same direction): 80 + 40 + 90 + 30 + 60 + 40 + 80 + 400 + 150 = 970 ns;
        // the SYN/ACK is the reply direction (not charged); fast path 80 + 40 + 120 = 240 ns.
        // (1,230 + 970 + 999 x 240) / 1,000 = 241.96 ns.
        Assert.Equal(241.96, m["forward.cost_per_packet_ns"], 9);
        Assert.Equal(2, m["forward.synthesized_packets"]);
    }

    [Fact]
    public void Without_a_flowtable_every_packet_walks_the_forward_chain()
    {
        // 1,000 packets + SYN/ACK + handshake ACK = 1,002 in the chain.
        // SYN 80 + 600 + 30 + 60 + 40 + 80 + 150 + 150 = 1,190 ns; every established packet
        // 80 + 90 + 30 + 60 + 40 + 80 + 150 = 530 ns (the ACK too): (1,190 + 530 + 999 x 530) / 1,000 = 531.19 ns.
        var m = Run(OneFlow("{ flowtable: false }"));
        Assert.Equal(1002, m["forward.forward_chain.packets"]);
        Assert.Equal(999, m["forward.path.slow"]);
        Assert.Equal(0, m["forward.fast_path_share"]);
        Assert.Equal(531.19, m["forward.cost_per_packet_ns"], 9);
        Assert.False(m.ContainsKey("forward.flowtable.entries"));
    }

    [Fact]
    public void After_the_warmup_only_fast_path_packets_are_counted()
    {
        // The handshake happens at 0; statistics restart at 100 us: packets at 100..999 us, all fast.
        var m = Run(OneFlow("{ flowtable: true }", "{ duration: 1ms, warmup: 100us, seed: 1 }"));
        Assert.Equal(900, m["forward.packets"]);
        Assert.Equal(900, m["forward.path.fast"]);
        Assert.Equal(0, m["forward.forward_chain.packets"]);
        Assert.Equal(0, m["forward.conntrack.insert"]);
        Assert.Equal(240, m["forward.cost_per_packet_ns"], 9);
    }

    // Two-packet TCP flows: alpha 100, mean 2 gives Pareto(100, xm = 2 x 99/100 = 1.98) packets,
    // which rounds to 2 unless it reaches 2.5, with probability (1.98/2.5)^100 = 7e-11: every flow is
    // a SYN and a FIN. 67.2 Mbit/s of 64 B frames is 100 kpps (one per 10 us, well below the core's
    // capacity, so every packet is processed within the run): 10 ms hold 1,000 packets, 500 flows.
    static string ShortFlows(string kernel, bool flowtable) => $$"""
        name: short-flows
        run: { duration: 10ms, seed: 1 }
        traffic:
          - { name: short, kind: cbr, rate: 67.2Mbit/s, size: 64B, flows: 1, flow_mix: { alpha: 100, mean_packets: 2 } }
        path:
          - rss: { cores: 1, ring: 4096 }
          - forward: { kernel: "{{kernel}}", flowtable: {{(flowtable ? "true" : "false")}} }
        outputs: { timeseries: 0s }
        """;

    [Fact]
    public void A_mix_of_only_short_flows_gets_no_speedup_from_the_flowtable()
    {
        // Per flow, kernel 6.12, with the flowtable: SYN 1,230 + handshake ACK (offloads) 970;
        // FIN: rx 80 + lookup 40 hits, nf_flow_state_check tears the flow down and the FIN walks the
        // slow path: + 90 + 30 + 60 + 40 + 80 + 150 = 570; the server's FIN/ACK (not charged); the last
        // ACK misses the torn-down flow: 80 + 40 + 90 + 30 + 60 + 40 + 80 + 150 = 570.
        // (1,230 + 970 + 570 + 570) / 2 = 1,670 ns per packet.
        // Without: SYN 1,190, ACK 530, FIN 530, ACK 530: 2,780 / 2 = 1,390 ns per packet.
        var with = Run(ShortFlows("6.12", true));
        var without = Run(ShortFlows("6.12", false));
        Assert.Equal(1000, with["forward.packets"]);
        Assert.Equal(500, with["forward.path.slow_new"]);
        Assert.Equal(1670, with["forward.cost_per_packet_ns"], 9);
        Assert.Equal(1390, without["forward.cost_per_packet_ns"], 9);
        Assert.True(with["forward.core_capacity_mpps"] < without["forward.core_capacity_mpps"]);
        Assert.Equal(0, with["forward.fast_path_share"]);
        // six packets per flow in the chain: SYN, SYN/ACK, ACK, FIN, FIN/ACK, ACK
        Assert.Equal(3000, with["forward.forward_chain.packets"]);
        Assert.Equal(500, with["forward.flowtable.lab_torn_down"]);
    }

    [Fact]
    public void From_6_14_a_fin_stays_on_the_fast_path()
    {
        // 6.14 marks the flow CLOSING instead of tearing it down: FIN 240, FIN/ACK (fast, not charged),
        // last ACK 240: (1,230 + 970 + 240 + 240) / 2 = 1,340 ns; the chain sees only the handshake.
        var m = Run(ShortFlows("6.14", true));
        Assert.Equal(1340, m["forward.cost_per_packet_ns"], 9);
        Assert.Equal(1500, m["forward.forward_chain.packets"]);
        Assert.Equal(0, m["forward.flowtable.lab_torn_down"]);
        Assert.Equal(0.5, m["forward.fast_path_share"], 12);
    }

    [Fact]
    public void A_full_table_drops_new_connections_when_nothing_can_be_evicted()
    {
        // nf_conntrack_max 1 and two flows: the first flow's entry is ASSURED after its handshake, so
        // early_drop finds nothing to evict and every packet of the other flow (each one a SYN again,
        // as its SYN never got through) is dropped: "nf_conntrack: table full, dropping packet".
        var m = Run("""
            name: full
            run: { duration: 10ms, seed: 1 }
            traffic:
              - { name: two, kind: cbr, rate: 67.2Mbit/s, size: 64B, flows: 2 }
            path:
              - forward: { conntrack_max: 1 }
            outputs: { timeseries: 0s }
            """);
        Assert.Equal(1000, m["forward.packets"]);
        Assert.True(m["forward.path.dropped"] > 100);
        Assert.Equal(m["forward.path.dropped"], m["drop.forward.table_full"]);
        Assert.Equal(m["forward.path.dropped"], m["forward.conntrack.drop"]);
        Assert.Equal(1000 - m["forward.path.dropped"], m["forward.path.slow_new"] + m["forward.path.slow"]);
        Assert.Equal(1, m["forward.path.slow_new"]);
        Assert.Equal(0, m["forward.conntrack.early_drop"]);
        Assert.Equal(1, m["forward.conntrack.entries"]);
    }

    // One-packet UDP flows (alpha 100, mean 1: Pareto(100, 0.99) rounds to 1) to one destination,
    // SNAT to one address with the 100 ports 10000-10099, no replies, UDP timeout 100 ms.
    // The flows' own ports (32768 and up) are outside the range, so each one searches it: the
    // sustainable rate is ports / timeout = 100 / 0.1 s = 1,000 new flows per second (the issue's
    // 64,512 ports / 30 s = 2,150 per second, scaled down to run in a second).
    static string Cgnat(string rate) => $$"""
        name: cgnat
        run: { duration: 1s, seed: 1 }
        traffic:
          - { name: subs, kind: cbr, rate: {{rate}}, size: 64B, flows: 1, flow_mix: { alpha: 100, mean_packets: 1 } }
        path:
          - forward:
              name: cgnat
              protocol: udp
              replies: false
              subscribers: 1000
              snat: { address: 100.64.0.1, ports: 10000-10099 }
              timeouts: { udp: 100ms }
        outputs: { timeseries: 0s }
        """;

    [Fact]
    public void Udp_cgnat_drops_new_flows_above_ports_per_timeout()
    {
        // 2,000 flows/s (1,344 kbit/s of 64 B frames): a flow every 0.5 ms, k = 0..1999. The first 100
        // take all ports (0..49.5 ms); the next 100 find none free (50..99.5 ms) and are dropped; at
        // 100 ms the first entry has expired (timeout - now <= 0) and the port search frees it and
        // takes its port, and so on: blocks of 100 flows alternate, 10 accepted and 10 dropped.
        var m = Run(Cgnat("1344kbit/s"));
        Assert.Equal(2000, m["cgnat.packets"]);
        Assert.Equal(1000, m["cgnat.conntrack.insert"]);
        Assert.Equal(1000, m["drop.cgnat.nat_exhausted"]);
        Assert.Equal(1000, m["cgnat.conntrack.insert_failed"]);
        Assert.Equal(1000, m["cgnat.nat.lab_exhausted"]);
        Assert.Equal(0, m["drop.cgnat.insert_failed"]);
        Assert.Equal(100, m["cgnat.conntrack.entries"]);
        Assert.Equal(100, m["cgnat.conntrack.peak_entries"]);
        // a failed setup checks every port once: min(100, 128) = 100 checks, then gives up (attempts >= size)
        Assert.Equal(100, m["cgnat.nat.lab_max_attempts"]);
    }

    [Fact]
    public void Udp_cgnat_below_ports_per_timeout_drops_nothing()
    {
        // 500 flows/s (336 kbit/s): a flow every 2 ms living 100 ms, at most 50 at once for 100 ports.
        var m = Run(Cgnat("336kbit/s"));
        Assert.Equal(500, m["cgnat.packets"]);
        Assert.Equal(500, m["cgnat.conntrack.insert"]);
        Assert.Equal(0, m["drop.cgnat.nat_exhausted"]);
        Assert.Equal(0, m["drops_total"]);
        // nf_conntrack_count includes entries that expired but were not walked over yet; each still
        // holds its port, so the count never exceeds the 100 ports while nothing is dropped
        Assert.InRange(m["cgnat.conntrack.peak_entries"], 50, 100);
    }

    static string Rebind(string rebindAt, int thresh) => $$"""
        name: rebind
        run: { duration: 120ms, seed: 1 }
        traffic:
          - { name: ret, kind: cbr, rate: 10Gbit/s, size: 1518B, flows: 1 }
        path:
          - natt_rebind: { rebind_at: {{rebindAt}}, reaction: 100ms, mtimer_thresh: {{thresh}}, inbound_rate: 10Gbit/s, inbound_frame: 1518B }
        outputs: { timeseries: 0s }
        """;

    [Fact]
    public void Rebinding_at_10G_of_1518B_with_100ms_reaction_loses_81274_packets()
    {
        // A frame takes (1518 + 20) x 8 = 12,304 bits = 1,230,400 ps (812,743.8 pps). The return
        // stream leaves at k x 1,230,400 ps; the first at or after the rebinding at 10 ms is k = 8,128
        // (10,000,691,200 ps), 691,200 ps after it. The SA is updated 100 ms after the first inbound
        // packet through the new mapping (at 10 ms): return packets in [10 ms, 110 ms) are lost:
        // k = 8,128 .. 89,401 (89,401 x T = 109,998,990,400 ps < 110 ms <= 89,402 x T = 110,000,220,800 ps): 81,274.
        var m = Run(Rebind("10ms", 0));
        Assert.Equal(81_274, m["drop.natt_rebind.stale_mapping"]);
        Assert.Equal(81_274, m["natt_rebind.lost"]);
        // every inbound packet from the new port before the update reports: 10 ms + k x T < 110 ms for
        // k = 0 .. 81,274: ceil(10^11 / 1,230,400) = 81,275 messages, as the closed form says
        Assert.Equal(81_275, m["natt_rebind.xfrm_mapping_messages"]);
        Assert.Equal(81_275, m["natt_rebind.closed_form_messages"]);
        Assert.Equal(110, m["natt_rebind.sa_updated_at_ms"]);
        Assert.Equal(1, m["natt_rebind.sa_updated"]);
        // 120 ms of traffic: k = 0 .. 97,529 (97,529 x T = 119,999,681,600 ps): 97,530 sent, the rest delivered
        Assert.Equal(97_530 - 81_274, m["natt_rebind.passed"]);
    }

    [Fact]
    public void A_return_packet_leaving_exactly_at_the_rebinding_makes_it_81275()
    {
        // Rebinding exactly on a return packet (k = 8,128 at 10,000,691,200 ps): [T0, T0 + 100 ms)
        // holds ceil(10^11 / 1,230,400) = 81,275 packets, the closed form's phase-0 value.
        var m = Run(Rebind("10000691200ps", 0));
        Assert.Equal(81_275, m["natt_rebind.lost"]);
        var closed = NattMappingModel.Rebinding(new RebindingScenario { RebindAt = 10_000_691_200 });
        Assert.Equal(closed.ReturnPacketsLost, m["natt_rebind.lost"]);
    }

    [Fact]
    public void Mapping_threshold_sends_one_message_for_a_reaction_shorter_than_a_second()
    {
        // XFRMA_MTIMER_THRESH 1: the first packet reports (second 0); the next report needs a whole-second
        // counter above 1, i.e. t >= 2 s, after the update at 110 ms. The loss does not change.
        var m = Run(Rebind("10ms", 1));
        Assert.Equal(1, m["natt_rebind.xfrm_mapping_messages"]);
        Assert.Equal(81_274, m["natt_rebind.lost"]);
    }

    [Fact]
    public void Hardware_offload_takes_flows_up_to_its_capacity_and_the_rest_stay_in_software()
    {
        // Four long flows, NIC capacity 2: after the warm-up all four are offloaded, two in the NIC.
        var m = Run("""
            name: hw
            run: { duration: 3ms, warmup: 2ms, seed: 1 }
            traffic:
              - { name: load, kind: cbr, rate: 672Mbit/s, size: 64B, flows: 4 }
            path:
              - forward: { flowtable: true, hw_offload: { capacity: 2, latency: 100us } }
            outputs: { timeseries: 0s }
            """);
        Assert.Equal(4, m["forward.flowtable.entries"]);
        Assert.Equal(2, m["forward.flowtable.hw_entries"]);
        Assert.Equal(1000, m["forward.packets"]);
        Assert.Equal(1000, m["forward.path.hw"] + m["forward.path.fast"]);
        Assert.True(m["forward.path.hw"] > 0 && m["forward.path.fast"] > 0);
        // hardware packets cost nothing, software fast-path packets 240 ns
        Assert.Equal(m["forward.path.fast"] * 240 / 1000, m["forward.cost_per_packet_ns"], 9);
        Assert.Equal(m["forward.path.hw"] / 1000, m["forward.hw_share"], 12);
    }

    [Fact]
    public void Every_key_binds_into_the_stage_configuration()
    {
        var loaded = ModelCatalog.CreateLoader().LoadText("""
            name: keys
            traffic:
              - { name: t, kind: cbr, rate: 1Gbit/s }
            path:
              - forward:
                  name: box
                  protocol: udp
                  subscribers: 7
                  destinations: 3
                  dst_port: 53
                  replies: false
                  reply_cost: true
                  kernel: "6.14"
                  memory: 2GiB
                  conntrack_buckets: 1000
                  conntrack_max: 5000
                  hz: 1000
                  tcp_loose: false
                  rules: 42
                  set_lookups: 3
                  flowtable: true
                  flow_add: false
                  hw_offload: { capacity: 9, latency: 2ms }
                  snat: { address: 192.0.2.10, addresses: 4, ports: 2000-2999, random: true, fully_random: true, persistent: true }
                  timeouts: { udp: 1s, udp_stream: 2s, tcp_syn_sent: 3s, tcp_syn_recv: 4s, tcp_established: 5s, tcp_fin_wait: 6s, tcp_close_wait: 7s, tcp_last_ack: 8s, tcp_time_wait: 9s, tcp_close: 10s, tcp_unack: 11s, flowtable_tcp: 12s, flowtable_udp: 13s }
                  costs: { rx_ingress: 1ns, flowtable_lookup: 2ns, fast_path_xmit: 3ns, conntrack_lookup: 4ns, conntrack_create: 5ns, dnat: 6ns, routing: 7ns, forward_chain: 8ns, per_linear_rule: 9ns, per_set_lookup: 10ns, snat: 11ns, nat_setup: 12ns, per_nat_attempt: 13ns, confirm: 14ns, xmit: 15ns, flow_offload_add: 16ns, per_byte: 17ps }
            """, "keys.yaml");
        var e = Assert.IsType<ModelStageElement>(loaded.First.Path[0]);
        Assert.Equal("box", e.Name);
        var c = Assert.IsType<ForwardStageConfig>(e.Config);
        const long ns = SimTime.Nanosecond, s = SimTime.Second;
        Assert.Equal(new FlowAddressPlan { Subscribers = 7, Destinations = 3, DestinationPort = 53, Proto = IpProto.Udp }, c.Addresses);
        Assert.False(c.UdpReplies);
        Assert.True(c.ReplyCost);
        Assert.Equal(new KernelVersion(6, 14), c.Version);
        Assert.Equal(2L << 30, c.MemoryBytes);
        Assert.Equal((1000, 5000, 1000, false), (c.Buckets, c.ConntrackMax, c.Hz, c.TcpLoose));
        Assert.Equal(new ForwardRules { LinearRules = 42, SetLookups = 3, FlowAdd = false }, c.Rules);
        Assert.Equal((true, true, 9, 2 * SimTime.Millisecond), (c.Flowtable, c.HardwareOffload, c.HardwareCapacity, c.HardwareLatency));
        var nat = c.Snat!;
        Assert.Equal((FlowTuple.Ip(192, 0, 2, 10), FlowTuple.Ip(192, 0, 2, 13), (ushort)2000, (ushort)2999), (nat.MinIp, nat.MaxIp, nat.MinPort, nat.MaxPort));
        Assert.Equal(NatRangeFlags.MapIps | NatRangeFlags.ProtoSpecified | NatRangeFlags.ProtoRandom
            | NatRangeFlags.ProtoRandomFully | NatRangeFlags.Persistent, nat.Flags);
        var t = c.Timeouts;
        Assert.Equal((1 * s, 2 * s, 12 * s, 13 * s), (t.UdpUnreplied, t.UdpReplied, t.FlowtableTcp, t.FlowtableUdp));
        Assert.Equal([0, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s, 8 * s, 9 * s, 10 * s, 2 * 60 * s, 0, 0, 5 * 60 * s, 11 * s], t.Tcp);
        Assert.Equal(new ForwardingCosts
        {
            RxIngress = 1 * ns, FlowtableLookup = 2 * ns, FastPathXmit = 3 * ns, ConntrackLookup = 4 * ns, ConntrackCreate = 5 * ns,
            Dnat = 6 * ns, Routing = 7 * ns, ForwardChainBase = 8 * ns, PerLinearRule = 9 * ns, PerSetLookup = 10 * ns, Snat = 11 * ns,
            NatSetup = 12 * ns, PerNatAttempt = 13 * ns, Confirm = 14 * ns, Xmit = 15 * ns, FlowOffloadAdd = 16 * ns, PerByte = 17,
        }, c.Costs);
    }

    [Fact]
    public void Every_cost_parameter_of_the_model_is_a_key()
    {
        // The costs section is derived from ForwardingCosts.Parameters(): a new cost in the model is a new key.
        var keys = ModelCatalog.Find("forward")!.Parameters.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var p in ForwardingCosts.Parameters()) Assert.Contains("costs." + p.Key["cost.".Length..], keys);
        Assert.Equal(17, ForwardingCosts.Parameters().Count);
    }

    (int Code, string Out, string Err) LabRun(string yaml, params string[] extra)
    {
        string file = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(file, yaml);
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(["run", file, "--out", Path.Combine(_dir, "out"), "--no-store", .. extra], so, se);
        return (code, so.ToString(), se.ToString());
    }

    [Fact]
    public void Bad_forward_keys_are_reported_with_their_positions()
    {
        var r = LabRun("""
            name: bad
            traffic:
              - { name: t, kind: cbr, rate: 1Gbit/s }
            path:
              - forward:
                  protocol: sctp
                  hw_offload: { capacity: 10 }
                  snat: { ports: 3000-2000, adress: 1.2.3.4 }
                  costs: { xmit: 10 }
                  kernel: six
            """);
        Assert.Equal(2, r.Code);
        Assert.Contains("s.yaml:6:17: path[0].forward.protocol: expected one of tcp, udp, found 'sctp' (did you mean 'tcp'?)", r.Err);
        Assert.Contains("s.yaml:7:19: path[0].forward.hw_offload: needs flowtable: true", r.Err);
        Assert.Contains("s.yaml:8:22: path[0].forward.snat.ports: expected a port range such as 1024-65535, found '3000-2000'", r.Err);
        Assert.Contains("s.yaml:8:33: unknown key 'adress' in path[0].forward.snat (did you mean 'address'?)", r.Err);
        Assert.Contains("s.yaml:9:22: path[0].forward.costs.xmit: expected a duration such as 10ms, 1.2us or 20s, found '10' (the unit is missing)", r.Err);
        Assert.Contains("s.yaml:10:15: path[0].forward.kernel: expected a kernel version such as 6.12 or 5.15, found 'six'", r.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void Lab_run_writes_the_forward_metrics_and_drop_reasons_and_describe_lists_the_keys()
    {
        var r = LabRun(Cgnat("1344kbit/s"), "--set", "run.duration=200ms");
        Assert.True(r.Code == 0, r.Err);
        var lines = File.ReadAllLines(Path.Combine(_dir, "out", "metrics.csv"));
        // 400 flows in 200 ms: blocks 0 and 2 accepted (200), blocks 1 and 3 dropped (200)
        Assert.Contains("0,0,drop.cgnat.nat_exhausted,packets,200", lines);
        Assert.Contains("0,0,cgnat.conntrack.insert_failed,count,200", lines);

        var so = new StringWriter();
        Assert.Equal(0, LabCommand.Run(["describe", "forward"], so, new StringWriter()));
        string text = so.ToString();
        foreach (var key in new[] { "snat.ports", "hw_offload.capacity", "timeouts.udp_stream", "costs.flow_offload_add", "conntrack_max", "kernel" })
            Assert.Contains("\n" + key + "\n", text);
        so = new StringWriter();
        Assert.Equal(0, LabCommand.Run(["describe", "natt_rebind"], so, new StringWriter()));
        Assert.Contains("mtimer_thresh", so.ToString());
    }

    [Fact]
    public void Tuples_come_from_the_flow_id_deterministically()
    {
        var plan = new FlowAddressPlan { Subscribers = 1000, Destinations = 1 };
        // flow 1,234: subscriber 234 (10.0.0.1 + 234 = 10.0.0.235), port 32768 + 1 = 32769
        Assert.Equal("tcp src=10.0.0.235 dst=198.18.0.1 sport=32769 dport=443", plan.Tuple(1234).ToString());
        // 28,232 ports per subscriber: flow 1000 x 28,232 + 5 reuses flow 5's tuple
        Assert.Equal(plan.Tuple(5), plan.Tuple(1000 * FlowAddressPlan.EphemeralCount + 5));
        var spread = new FlowAddressPlan { Destinations = 4 };
        var seen = new HashSet<uint>();
        for (int f = 0; f < 64; f++) seen.Add(spread.Tuple(f).DstIp.V4);
        Assert.Equal(4, seen.Count);
        Assert.Equal(spread.Tuple(17), spread.Tuple(17));
    }
}
