using Lab.Core;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;

namespace Lab.Netfilter.Tests;

public class FlowtableTests
{
    const long S = SimTime.Second;
    const long Ms = SimTime.Millisecond;
    static readonly FlowTuple Tcp = new(FlowTuple.Ip(10, 0, 1, 99), FlowTuple.Ip(10, 0, 2, 99), 40000, 12345, IpProto.Tcp);
    static readonly FlowTuple Udp = new(FlowTuple.Ip(10, 0, 1, 99), FlowTuple.Ip(10, 0, 2, 99), 40000, 12345, IpProto.Udp);

    static ForwardPath Box(string version = "6.12", bool flowtable = true, bool hw = false, int hwCapacity = 65536)
    {
        var v = KernelVersion.Parse(version);
        var ct = new ConntrackTable(new ConntrackConfig { Buckets = 1024, Max = 1024, Version = v });
        var ft = flowtable ? new FlowTable(new FlowtableConfig { Version = v, MaxFlows = 1024, HardwareOffload = hw, HardwareCapacity = hwCapacity }, ct) : null;
        return new ForwardPath(ct, ft, new ForwardingCosts(), new ForwardRules());
    }

    static long Handshake(ForwardPath box, long now)
    {
        box.Process(Tcp, TcpFlags.Syn, now);
        box.Process(Tcp.Invert(), TcpFlags.SynAck, now + Ms);
        box.Process(Tcp, TcpFlags.Ack, now + 2 * Ms);
        return now + 3 * Ms;
    }

    [Fact]
    public void Long_tcp_flow_leaves_the_forward_chain_after_its_handshake()
    {
        // nft_flowtable.sh's check: the forward-chain counter stays below the packets sent.
        var box = Box();
        long t = Handshake(box, 0);
        const int data = 10_000;
        for (int i = 0; i < data; i++)
            Assert.Equal(ForwardVerdict.FastPath, box.Process(i % 2 == 0 ? Tcp : Tcp.Invert(), TcpFlags.Ack, t + i * 10 * SimTime.Microsecond).Verdict);
        Assert.Equal(3, box.ForwardChainPackets); // SYN, SYN/ACK, and the ACK that offloaded it
        Assert.Equal(data, box.FastPathPackets);
        Assert.True(box.ForwardChainPackets < data + 3);
        Assert.Equal(1, box.Flowtable!.Count);
        int ct = box.Conntrack.Find(Tcp, t, out _);
        Assert.True(box.Conntrack.Entry(ct).Is(ConntrackStatus.Offload)); // conntrack -L shows [OFFLOAD]
    }

    [Fact]
    public void A_connection_picked_up_mid_stream_is_offloaded_only_once_assured()
    {
        // nft_flow_offload_eval (6.1+) offloads TCP only when nf_conntrack_tcp_established(ct):
        // ESTABLISHED and IPS_ASSURED. With tcp_loose an ACK without a SYN creates an ESTABLISHED
        // entry (tcp_new); the first reply ACK sets IPS_SEEN_REPLY only after the tracker ran
        // (nf_conntrack_in), so the entry becomes ASSURED on the next original ACK
        // (nf_conntrack_tcp_packet: old ESTABLISHED, new ESTABLISHED, reply seen), and that packet,
        // still on the classic path, adds the flow. Worked out:
        //   1 ACK  orig   new entry, unconfirmed in FORWARD: not offloaded       -> slow (new)
        //   2 ACK  reply  ESTABLISHED, not ASSURED: not offloaded               -> slow
        //   3 ACK  orig   ASSURED now: flow add                                 -> slow
        //   4 ACK  reply  flowtable hit                                         -> fast
        var box = Box("6.1");
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(Tcp, TcpFlags.Ack, 0).Verdict);
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(Tcp.Invert(), TcpFlags.Ack, Ms).Verdict);
        int ct = box.Conntrack.Find(Tcp, Ms, out _);
        Assert.Equal((TcpState.Established, false, false), (box.Conntrack.Entry(ct).TcpState,
            box.Conntrack.Entry(ct).Is(ConntrackStatus.Assured), box.Conntrack.Entry(ct).Is(ConntrackStatus.Offload)));
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(Tcp, TcpFlags.Ack, 2 * Ms).Verdict);
        Assert.True(box.Conntrack.Entry(ct).Is(ConntrackStatus.Assured | ConntrackStatus.Offload));
        Assert.Equal(ForwardVerdict.FastPath, box.Process(Tcp.Invert(), TcpFlags.Ack, 3 * Ms).Verdict);
        Assert.Equal(3, box.ForwardChainPackets);
        Assert.Equal(1, box.FastPathPackets);
    }

    [Theory]
    [InlineData("6.1.0-56-amd64", 6, 1)]
    [InlineData("6.18.44-fc-v669", 6, 18)]
    [InlineData("5.15.0", 5, 15)]
    public void Kernel_release_strings_give_major_and_minor(string release, int major, int minor) =>
        Assert.Equal(new KernelVersion(major, minor), KernelVersion.FromRelease(release));

    [Theory]
    [InlineData("linux")]
    [InlineData("6")]
    [InlineData("6.x")]
    public void A_release_without_major_and_minor_is_refused(string release) =>
        Assert.Throws<FormatException>(() => KernelVersion.FromRelease(release));

    [Fact]
    public void Eligibility_needs_assured_for_tcp_but_not_for_udp()
    {
        var confirmedEstablished = new ConnEntry { Orig = Tcp, Reply = Tcp.Invert(), TcpState = TcpState.Established, Status = ConntrackStatus.Confirmed };
        Assert.False(FlowTable.Eligible(confirmedEstablished, TcpFlags.Ack));
        var assured = confirmedEstablished with { Status = ConntrackStatus.Confirmed | ConntrackStatus.Assured | ConntrackStatus.SeenReply };
        Assert.True(FlowTable.Eligible(assured, TcpFlags.Ack));
        Assert.False(FlowTable.Eligible(assured, TcpFlags.FinAck));
        var udp = new ConnEntry { Orig = Udp, Reply = Udp.Invert(), Status = ConntrackStatus.Confirmed };
        Assert.True(FlowTable.Eligible(udp, TcpFlags.None)); // nft_flow_offload_eval: "case IPPROTO_UDP: break;"
    }

    [Fact]
    public void Before_6_14_a_fin_tears_the_flow_down_and_goes_to_the_slow_path()
    {
        var box = Box("6.12");
        long t = Handshake(box, 0);
        Assert.Equal(ForwardVerdict.FastPath, box.Process(Tcp, TcpFlags.Ack, t).Verdict);
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(Tcp, TcpFlags.FinAck, t + Ms).Verdict);
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(Tcp.Invert(), TcpFlags.Ack, t + 2 * Ms).Verdict);
        Assert.Equal(5, box.ForwardChainPackets);
        int ct = box.Conntrack.Find(Tcp, t + 2 * Ms, out _);
        Assert.False(box.Conntrack.Entry(ct).Is(ConntrackStatus.Offload));
        Assert.Equal(TcpState.CloseWait, box.Conntrack.Entry(ct).TcpState);
        box.AdvanceTo(1 * S); // the next gc removes the torn-down flow
        Assert.Equal(0, box.Flowtable!.Count);
    }

    [Fact]
    public void From_6_14_a_fin_only_marks_the_flow_closing_and_a_syn_reopens_it_on_the_slow_path()
    {
        var box = Box("6.14");
        long t = Handshake(box, 0);
        Assert.Equal(ForwardVerdict.FastPath, box.Process(Tcp, TcpFlags.FinAck, t).Verdict);
        Assert.Equal(ForwardVerdict.FastPath, box.Process(Tcp.Invert(), TcpFlags.FinAck, t + Ms).Verdict);
        Assert.Equal(3, box.ForwardChainPackets);
        int flow = box.Flowtable!.Lookup(Tcp, out _);
        Assert.True(box.Flowtable.Entry(flow).Has(FlowFlags.Closing));
        // a new SYN on the same tuple: teardown, conntrack set to CLOSE (10 s), packet to the slow path,
        // where conntrack sees a reopen from CLOSE and starts a fresh entry
        long syn = t + 2 * Ms;
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(Tcp, TcpFlags.Syn, syn).Verdict);
        int ct = box.Conntrack.Find(Tcp, syn, out _);
        Assert.Equal(TcpState.SynSent, box.Conntrack.Entry(ct).TcpState);
    }

    [Fact]
    public void Udp_flow_expires_30_seconds_after_its_last_refresh_at_the_next_gc()
    {
        var box = Box();
        box.Process(Udp, TcpFlags.None, 200 * Ms);                                            // new, not confirmed at forward
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(Udp.Invert(), TcpFlags.None, 300 * Ms).Verdict); // offloaded here
        int flow = box.Flowtable!.Lookup(Udp, out _);
        Assert.Equal(30_300 * Ms, box.Flowtable.Entry(flow).Timeout);
        // refresh moves the timeout only if it grows by more than 1 s
        box.Process(Udp, TcpFlags.None, 1300 * Ms);
        Assert.Equal(30_300 * Ms, box.Flowtable.Entry(flow).Timeout); // 31.3 - 30.3 = 1 s, not more
        box.Process(Udp, TcpFlags.None, 1301 * Ms);
        Assert.Equal(31_301 * Ms, box.Flowtable.Entry(flow).Timeout);
        // gc runs at whole seconds from the flowtable's creation: 31 s is too early, 32 s removes it
        box.AdvanceTo(31 * S);
        Assert.Equal(1, box.Flowtable.Count);
        box.AdvanceTo(32 * S);
        Assert.Equal(0, box.Flowtable.Count);
        Assert.Equal(1, box.Flowtable.Stats.LabExpiredByGc);
        // flow_offload_fixup_ct (6.12): UDP replied 120 s minus the 30 s offload timeout, from the teardown
        int ct = box.Conntrack.Find(Udp, 32 * S, out _);
        Assert.Equal(32 * S + 90 * S, box.Conntrack.Entry(ct).Timeout);
        Assert.False(box.Conntrack.Entry(ct).Is(ConntrackStatus.Offload));
    }

    static (double With, double Without) MeanCost(Func<ForwardPath, long> traffic, string version = "6.12")
    {
        var a = Box(version, flowtable: true);
        var b = Box(version, flowtable: false);
        return (traffic(a), traffic(b));
    }

    [Theory]
    [InlineData("6.12")]
    [InlineData("6.14")]
    public void Only_short_flows_gain_nothing(string version)
    {
        // 500 TCP connections of 4 packets (SYN, SYN/ACK, ACK, FIN): the flow is offloaded at the
        // third packet and has at most one packet left, so offloading costs more than it saves.
        long Traffic(ForwardPath box)
        {
            long total = 0;
            for (int c = 0; c < 500; c++)
            {
                var tcp = Tcp with { SrcPort = (ushort)(20000 + c) };
                long t = c * Ms;
                total += box.Process(tcp, TcpFlags.Syn, t).CostPs;
                total += box.Process(tcp.Invert(), TcpFlags.SynAck, t + 1).CostPs;
                total += box.Process(tcp, TcpFlags.Ack, t + 2).CostPs;
                total += box.Process(tcp, TcpFlags.FinAck, t + 3).CostPs;
            }
            return total;
        }
        var (with, without) = MeanCost(Traffic, version);
        Assert.True(with >= without, $"with flowtable {with} ps, without {without} ps");
    }

    [Fact]
    public void Long_flows_get_cheaper_per_packet()
    {
        long Traffic(ForwardPath box)
        {
            long total = 0, t = Handshake(box, 0);
            for (int i = 0; i < 1000; i++) total += box.Process(Tcp, TcpFlags.Ack, t + i).CostPs;
            return total;
        }
        var (with, without) = MeanCost(Traffic);
        var c = new ForwardingCosts();
        // fast path = rx + lookup + xmit; slow path established = rx + ct + dnat + route + chain + 10 rules + xmit
        Assert.Equal(1000 * (c.RxIngress + c.FlowtableLookup + c.FastPathXmit), with);
        Assert.Equal(1000 * (c.RxIngress + c.ConntrackLookup + c.Dnat + c.Routing + c.ForwardChainBase + 10 * c.PerLinearRule + c.Xmit), without);
    }

    [Fact]
    public void Hardware_offload_takes_flows_up_to_its_capacity()
    {
        var box = Box(hw: true, hwCapacity: 1);
        var a = Udp;
        var b = Udp with { SrcPort = 40001 };
        box.Process(a, TcpFlags.None, 0);
        box.Process(a.Invert(), TcpFlags.None, 10 * Ms); // offloaded, hardware add queued (1 ms)
        box.Process(b, TcpFlags.None, 20 * Ms);
        box.Process(b.Invert(), TcpFlags.None, 30 * Ms);
        var ha = box.Process(a, TcpFlags.None, 40 * Ms);
        var hb = box.Process(b, TcpFlags.None, 40 * Ms);
        Assert.Equal((ForwardVerdict.Hardware, 0L), (ha.Verdict, ha.CostPs));
        Assert.Equal(ForwardVerdict.FastPath, hb.Verdict); // no room in the NIC: stays in software
        Assert.Equal(1, box.Flowtable!.HardwareCount);
        Assert.Equal(1, box.Flowtable.Stats.LabHwInstallFailed);
        int ct = box.Conntrack.Find(a, 40 * Ms, out _);
        Assert.True(box.Conntrack.Entry(ct).Is(ConntrackStatus.HwOffload));
    }

    [Fact]
    public void Hardware_stats_keep_a_flow_the_nic_forwards_alive_from_its_last_hardware_packet()
    {
        // UDP, 6.12, hardware offload with the default 1 ms insert latency; gc at whole seconds.
        var box = Box(hw: true);
        var ft = box.Flowtable!;
        box.Process(Udp, TcpFlags.None, 200 * Ms);
        box.Process(Udp.Invert(), TcpFlags.None, 300 * Ms); // flow_offload_add: timeout 0.3 + 30 = 30.3 s; REPLACE work due 0.301 s
        int flow = ft.Lookup(Udp, out _);
        Assert.Equal(30_300 * Ms, ft.Entry(flow).Timeout);
        Assert.Equal(1, ft.Stats.wq_add); // queued, not yet handled
        // at 20 s the NIC forwards a packet: no CPU, no flow_offload_refresh, only the NIC's lastused
        Assert.Equal(ForwardVerdict.Hardware, box.Process(Udp, TcpFlags.None, 20 * S).Verdict);
        Assert.Equal(0, ft.Stats.wq_add);
        Assert.Equal(1, ft.Stats.LabHwInstalled);
        Assert.Equal(30_300 * Ms, ft.Entry(flow).Timeout);
        // gc at 21 s, flow_offload_work_stats: max(30.3 s, lastused 20 s + 30 s) = 50 s
        box.AdvanceTo(21 * S);
        Assert.Equal(50 * S, ft.Entry(flow).Timeout);
        // without that refresh the flow would have expired at the gc of 31 s (30.3 <= 31)
        box.AdvanceTo(49 * S);
        Assert.Equal((1, 1, 0L), (ft.Count, ft.HardwareCount, ft.Stats.LabExpiredByGc));
        // gc at 50 s: 50 - 50 <= 0, expired: teardown and nf_flow_offload_del; flow_offload_del one pass later
        box.AdvanceTo(50 * S);
        Assert.Equal((1, 0, 1L, 1L), (ft.Count, ft.HardwareCount, ft.Stats.LabExpiredByGc, ft.Stats.LabHwRemoved));
        box.AdvanceTo(51 * S);
        Assert.Equal((0, 1L), (ft.Count, ft.Stats.LabDeleted));
    }

    [Fact]
    public void A_fin_misses_the_hardware_rule_and_a_closing_flow_leaves_the_nic_and_its_stats()
    {
        // 6.14, TCP, hardware offload. Handshake at 0, 1, 2 ms: offloaded at the ACK, timeout 30.002 s.
        var box = Box("6.14", hw: true);
        var ft = box.Flowtable!;
        Handshake(box, 0);
        int flow = ft.Lookup(Tcp, out _);
        Assert.Equal(ForwardVerdict.Hardware, box.Process(Tcp, TcpFlags.Ack, 20 * S).Verdict);
        // nf_flow_rule_match masks FIN|RST with key 0: the FIN goes to software, which marks CLOSING
        // (nf_flow_state_check, 6.14) and refreshes: 20.5 + 30 = 50.5 s
        Assert.Equal(ForwardVerdict.FastPath, box.Process(Tcp, TcpFlags.FinAck, 20_500 * Ms).Verdict);
        Assert.True(ft.Entry(flow).Has(FlowFlags.Closing));
        Assert.Equal(50_500 * Ms, ft.Entry(flow).Timeout);
        // the rule is still in the NIC until the gc: an ACK at 20.9 s is forwarded there (lastused 20.9 s)
        Assert.Equal(ForwardVerdict.Hardware, box.Process(Tcp.Invert(), TcpFlags.Ack, 20_900 * Ms).Verdict);
        // gc at 21 s: CLOSING with NF_FLOW_HW and not HW_DYING: nf_flow_offload_del
        box.AdvanceTo(21 * S);
        Assert.Equal(0, ft.HardwareCount);
        Assert.False(box.Conntrack.Entry(ft.Entry(flow).Ct).Is(ConntrackStatus.HwOffload));
        // gc at 22 s reaches nf_flow_offload_stats, but the rule is gone: the NIC reports nothing, so the
        // timeout stays 50.5 s (reading the stale lastused would give 20.9 + 30 = 50.9 s)
        box.AdvanceTo(22 * S);
        Assert.Equal(50_500 * Ms, ft.Entry(flow).Timeout);
        Assert.Equal(ForwardVerdict.FastPath, box.Process(Tcp, TcpFlags.Ack, 22_500 * Ms).Verdict);
    }
}
