using Lab.Core;
using Lab.Engine;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;

namespace Lab.Netfilter.Tests;

public class NatTests
{
    static readonly uint Public = FlowTuple.Ip(203, 0, 113, 1);
    static readonly uint Dst = FlowTuple.Ip(192, 0, 2, 1);

    static (ConntrackTable, NatPortAllocator) Make(string version = "6.12")
    {
        var t = new ConntrackTable(new ConntrackConfig { Buckets = 4096, Max = 8192, Version = KernelVersion.Parse(version) });
        return (t, new NatPortAllocator(t));
    }

    /// <summary>A new UDP flow through SNAT: init, tracker, nf_nat_setup_info, confirm.</summary>
    static (CtVerdict Verdict, ushort Port, int Attempts) NewFlow(ConntrackTable t, NatPortAllocator nat, NatRange range, uint src, ushort sport, uint dst, long now = 0)
    {
        var orig = new FlowTuple(src, dst, sport, 53, IpProto.Udp);
        int id = t.InitConntrack(orig, now, out _);
        t.HandlePacket(id, CtDir.Original, TcpFlags.None, now);
        nat.SetupSnat(id, range, now);
        ushort port = t.Entry(id).Reply.DstPort;
        int attempts = nat.LastAttempts;
        return (t.Confirm(id, now, out _, out _), port, attempts);
    }

    [Fact]
    public void A_packet_conntrack_calls_invalid_passes_untracked_and_untranslated()
    {
        // nf_conntrack_in sets skb->_nfct = 0 for a packet the TCP tracker rejects, so nf_nat_inet_fn finds no ct
        // and lets it through untranslated. Here: a client ACK before any SYN/ACK, which tcp_conntracks maps from
        // SYN_SENT to sIV (ORIGINAL, ack row). Found by lab fuzz (scenarios/fuzz/fuzz-20261206-29.yaml).
        var (t, nat) = Make("6.18");
        var c = new ForwardingCosts();
        var rules = new ForwardRules();
        var box = new ForwardPath(t, null, c, rules, nat, NatRange.Snat(Public));
        var tuple = new FlowTuple(FlowTuple.Ip(10, 0, 0, 1), Dst, 40000, 80, IpProto.Tcp);
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(tuple, TcpFlags.Syn, 0).Verdict);
        int entry = box.LastConntrack;
        Assert.True(t.Entry(entry).Is(ConntrackStatus.SrcNat));

        var ack = box.Process(tuple, TcpFlags.Ack, SimTime.Millisecond);
        Assert.Equal(ForwardVerdict.SlowPath, ack.Verdict);
        Assert.Equal(-1, box.LastConntrack);
        Assert.Equal(1, t.Stats.invalid);
        // No SNAT charged: ingress, conntrack lookup, dnat hook, routing, forward chain and its rules, transmit.
        long chain = c.ForwardChainBase + rules.LinearRules * c.PerLinearRule + rules.SetLookups * c.PerSetLookup;
        Assert.Equal(c.RxIngress + c.ConntrackLookup + c.Dnat + c.Routing + chain + c.Xmit, ack.CostPs);
        // The entry itself stays in SYN_SENT, and the SYN/ACK still finds it.
        Assert.Equal(TcpState.SynSent, t.Entry(entry).TcpState);
        box.Process(t.Entry(entry).Reply, TcpFlags.SynAck, 2 * SimTime.Millisecond);
        Assert.Equal(entry, box.LastConntrack);
    }

    [Fact]
    public void A_packet_to_the_nat_address_that_no_entry_translates_back_is_dropped_at_routing()
    {
        // Found by lab fuzz on the 6.18 host (scenarios/examples/script-nat-no-route.yaml replays it there): a SYN/ACK to
        // 203.0.113.1:5001 after the SYN's entry expired. PREROUTING de-NATs only a packet attached to an IPS_SRC_NAT entry
        // in the reply direction (nf_nat_inet_fn, nf_nat_core.c); anything else still goes to 203.0.113.1, which the DUT
        // routes nowhere: ip_route_input_slow (net/ipv4/route.c, 6.18) makes it RTN_UNREACHABLE and ip_error frees it.
        var (t, nat) = Make("6.18");
        var c = new ForwardingCosts();
        var box = new ForwardPath(t, null, c, new ForwardRules(), nat, NatRange.Snat(Public));
        var syn = new FlowTuple(FlowTuple.Ip(10, 0, 0, 1), Dst, 5001, 80, IpProto.Tcp);
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(syn, TcpFlags.Syn, 0).Verdict);
        var synAck = t.Entry(box.LastConntrack).Reply; // 192.0.2.1:80 -> 203.0.113.1:5001 (the port kept)
        Assert.Equal((Public, (ushort)5001), (synAck.DstIp, synAck.DstPort));

        // 1. The SYN's entry expired (tcp_timeout_syn_sent 120 s): tcp_new refuses a SYN/ACK as a new connection
        //    (tcp_conntracks[0][TCP_SYNACK_SET][sNO] = sIV), so the packet is invalid and untracked: not de-NATed.
        long late = 121 * SimTime.Second;
        var o = box.Process(synAck, TcpFlags.SynAck, late);
        Assert.Equal((ForwardVerdict.Dropped, CtDropReason.NoRoute), (o.Verdict, o.DropReason));
        // Costs up to routing: ingress, the entry created and freed, the DNAT hook, the route lookup; no forward chain.
        Assert.Equal(c.RxIngress + c.ConntrackCreate + c.Dnat + c.Routing, o.CostPs);
        // Nothing is left in the table, the packet counts invalid, and only the SYN passed the forward chain.
        Assert.Equal((0, 1L, 1L), (t.Count, t.Stats.invalid, box.ForwardChainPackets));

        // 2. A UDP reply after its entry expired (udp_timeout 30 s) is a new connection in the server's direction: its
        //    entry is created in PREROUTING and never confirmed (nf_confirm is in POSTROUTING): nothing is listed.
        var query = new FlowTuple(FlowTuple.Ip(10, 0, 0, 2), Dst, 5000, 53, IpProto.Udp);
        box.Process(query, TcpFlags.None, late);
        var reply = t.Entry(box.LastConntrack).Reply;
        o = box.Process(reply, TcpFlags.None, late + 31 * SimTime.Second);
        Assert.Equal((ForwardVerdict.Dropped, CtDropReason.NoRoute), (o.Verdict, o.DropReason));
        Assert.Equal(0, t.Count);
        // The client's next query keeps its port: no entry of the reply's tuple is left to clash with.
        box.Process(query, TcpFlags.None, late + 32 * SimTime.Second);
        Assert.Equal((Public, (ushort)5000), (t.Entry(box.LastConntrack).Reply.DstIp, t.Entry(box.LastConntrack).Reply.DstPort));

        // 3. On a live ESTABLISHED entry, a reply-direction SYN is sIV (tcp_conntracks[1][TCP_SYN_SET][sES]): untracked,
        //    so not de-NATed either, and dropped at routing; the entry is untouched. Its SYN/ACK, ignored (sIG) but still
        //    attached (NF_ACCEPT), is de-NATed and forwarded.
        var web = new FlowTuple(FlowTuple.Ip(10, 0, 0, 3), Dst, 40000, 80, IpProto.Tcp);
        long now = late + 40 * SimTime.Second;
        box.Process(web, TcpFlags.Syn, now);
        int entry = box.LastConntrack;
        var back = t.Entry(entry).Reply;
        box.Process(back, TcpFlags.SynAck, now + 1);
        box.Process(web, TcpFlags.Ack, now + 2);
        Assert.Equal(TcpState.Established, t.Entry(entry).TcpState);
        long invalid = t.Stats.invalid;
        o = box.Process(back, TcpFlags.Syn, now + 3);
        Assert.Equal((ForwardVerdict.Dropped, CtDropReason.NoRoute, invalid + 1), (o.Verdict, o.DropReason, t.Stats.invalid));
        Assert.Equal(TcpState.Established, t.Entry(entry).TcpState);
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(back, TcpFlags.SynAck, now + 4).Verdict);
        Assert.Equal(entry, box.LastConntrack);
    }

    [Fact]
    public void Original_port_is_kept_when_the_tuple_is_unique()
    {
        var (t, nat) = Make();
        var r = NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 1), 40000, Dst);
        Assert.Equal((CtVerdict.Accept, (ushort)40000, 1), r);
        Assert.Equal(1, nat.Stats.LabKeptPort);
    }

    [Fact]
    public void Same_port_from_another_subscriber_to_the_same_destination_is_moved()
    {
        var (t, nat) = Make();
        NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 1), 40000, Dst);
        var r = NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 2), 40000, Dst);
        Assert.Equal(CtVerdict.Accept, r.Verdict);
        Assert.NotEqual(40000, r.Port);
        Assert.InRange(r.Port, 1024, 65535);
        Assert.True(r.Attempts >= 2);
    }

    [Fact]
    public void Uniqueness_is_per_destination_so_the_port_is_reused_towards_another_one()
    {
        var (t, nat) = Make();
        NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 1), 40000, Dst);
        var r = NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 2), 40000, Dst + 1);
        Assert.Equal((CtVerdict.Accept, (ushort)40000), (r.Verdict, r.Port));
    }

    [Theory]
    [InlineData("6.12")] // bounded search
    [InlineData("4.19")] // legacy rover search: the offset wins over the rover as well
    public void A_shifted_port_map_offsets_from_base_proto_not_from_the_range_start(string version)
    {
        // --to-source 203.0.113.1:1024-1031/5001: nf_nat_l4proto_unique_tuple takes
        // off = port - base_proto = 5003 - 5001 = 2, so the first port tried is 1024 + 2 % 8 = 1026.
        // (Taking the offset from the range start would give (5003 - 1024) % 8 = 3979 % 8 = 3: port 1027.)
        var (t, nat) = Make(version);
        var range = NatRange.Snat(Public).WithPortOffset(1024, 1031, 5001);
        Assert.Equal((ushort)5001, range.BaseProto);
        Assert.Equal((CtVerdict.Accept, (ushort)1026, 1), NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 1), 5003, Dst));
        // the same original port from another subscriber: 1026 is taken, off + 1 gives 1027 on the second check
        Assert.Equal((CtVerdict.Accept, (ushort)1027, 2), NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 2), 5003, Dst));
        // an original port already inside 1024-1031 is still mapped (get_unique_tuple skips the keep-port test
        // under PROTO_OFFSET): 1030 - 5001 = -3971 as u16 = 61565, 61565 % 8 = 5, port 1029
        Assert.Equal((CtVerdict.Accept, (ushort)1029, 1), NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 3), 1030, Dst));
    }

    [Fact]
    public void Exhausted_range_drops_at_confirm_with_insert_failed()
    {
        // snat to 203.0.113.1:1024-1031: 8 ports towards one destination.
        var (t, nat) = Make();
        var range = NatRange.Snat(Public).WithPorts(1024, 1031);
        for (uint i = 0; i < 8; i++)
            Assert.Equal(CtVerdict.Accept, NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 1) + i, 40000, Dst).Verdict);
        var r = NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 1, 1), 40000, Dst);
        Assert.Equal(CtVerdict.Drop, r.Verdict);
        Assert.Equal(8, r.Attempts); // min(range, 128) = 8 tries, and a range that small is not searched again
        Assert.Equal(1, t.Stats.insert_failed);
        Assert.Equal(1, t.Stats.drop);
        Assert.Equal(1, nat.Stats.LabExhausted);
        // another destination still has all 8 ports
        Assert.Equal(CtVerdict.Accept, NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 1, 1), 40000, Dst + 1).Verdict);
    }

    [Fact]
    public void Full_range_search_gives_up_after_248_checks()
    {
        // 1024 ports all taken (each flow keeps its in-range original port): rounds of 128, 64, 32, 16
        // and 8 checks, each from a new random offset.
        var (t, nat) = Make();
        var range = NatRange.Snat(Public).WithPorts(2000, 3023);
        for (uint i = 0; i < 1024; i++)
            Assert.Equal(CtVerdict.Accept, NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 0) + i, (ushort)(2000 + i), Dst).Verdict);
        var r = NewFlow(t, nat, range, FlowTuple.Ip(10, 1, 0, 1), 40000, Dst);
        Assert.Equal(CtVerdict.Drop, r.Verdict);
        Assert.Equal(128 + 64 + 32 + 16 + 8, r.Attempts);
    }

    [Fact]
    public void Before_5_0_the_whole_range_is_walked()
    {
        // The legacy loop checks every port but the last ("++i != range_size"): 1023 checks.
        var (t, nat) = Make("4.19");
        var range = NatRange.Snat(Public).WithPorts(2000, 3023);
        for (uint i = 0; i < 1024; i++) NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 0) + i, (ushort)(2000 + i), Dst);
        Assert.Equal(0, t.Stats.insert_failed);
        var r = NewFlow(t, nat, range, FlowTuple.Ip(10, 1, 0, 1), 40000, Dst);
        Assert.Equal(CtVerdict.Drop, r.Verdict);
        Assert.Equal(1023, r.Attempts);
    }

    [Fact]
    public void Low_source_ports_map_into_the_low_ranges()
    {
        var (t, nat) = Make();
        NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 1), 700, Dst);
        NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 1), 100, Dst);
        var a = NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 2), 700, Dst);
        var b = NewFlow(t, nat, NatRange.Snat(Public), FlowTuple.Ip(10, 0, 0, 2), 100, Dst);
        Assert.InRange(a.Port, 600, 1023);
        Assert.InRange(b.Port, 1, 511);
    }

    [Fact]
    public void Fully_random_does_not_keep_the_original_port()
    {
        var (t, nat) = Make();
        var range = NatRange.Snat(Public, NatRangeFlags.ProtoRandomFully);
        int kept = 0;
        for (uint i = 0; i < 200; i++)
            if (NewFlow(t, nat, range, FlowTuple.Ip(10, 0, 0, 1) + i, (ushort)(40000 + i), Dst).Port == 40000 + i) kept++;
        // a random port equals the original with probability 1/64512 per flow
        Assert.InRange(kept, 0, 1);
    }
}
