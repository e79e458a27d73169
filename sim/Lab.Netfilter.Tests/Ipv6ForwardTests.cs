using System.Net;
using Lab.Core;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;

namespace Lab.Netfilter.Tests;

/// <summary>
/// IPv6 through the forward path. The kernel tracks IPv6 with the same TCP and UDP trackers and timeouts as
/// IPv4 (nf_conntrack_proto_tcp.c and _udp.c serve both; nf_conntrack_l3proto_ipv6 only extracts the tuple),
/// NATs it with the same nf_nat_core.c (nf_nat_masquerade_ipv6 gives MAP_IPS with the out interface's address),
/// and keys the flowtable on flow_offload_tuple with l3proto (nf_flow_table_ipv6.c). So the expected values
/// here are the IPv4 ones, worked out in the comments, with the family as part of every key.
/// </summary>
public class Ipv6ForwardTests
{
    const long S = SimTime.Second;
    const long Ms = SimTime.Millisecond;

    static InetAddr A(string s) => InetAddr.From(IPAddress.Parse(s), out _);

    static readonly InetAddr Client = A("2001:db8:1::2");
    static readonly InetAddr Server = A("2001:db8:2::2");
    static readonly InetAddr Masq = A("2001:db8:ffff::1");

    static FlowTuple V6(IpProto proto, ushort sport = 40000, ushort dport = 443) => new(Client, Server, sport, dport, proto, L3Family.Ipv6);

    static ForwardPath Box(bool nat = true, bool flowtable = false, string version = "6.12")
    {
        var v = KernelVersion.Parse(version);
        var ct = new ConntrackTable(new ConntrackConfig { Buckets = 1024, Max = 1024, Version = v });
        var ft = flowtable ? new FlowTable(new FlowtableConfig { Version = v, MaxFlows = 1024 }, ct) : null;
        var natAllocator = nat ? new NatPortAllocator(ct) : null;
        return new ForwardPath(ct, ft, new ForwardingCosts(), new ForwardRules(), natAllocator, nat ? NatRange.Snat(FlowTuple.Ip(203, 0, 113, 1)) : null)
        {
            Snat6 = nat ? NatRange.Snat6(Masq) : null,
        };
    }

    [Theory]
    // RFC 5952 section 4: leading zeros dropped, the longest run of zero words as ::, the first of equal runs,
    // a single zero word not compressed, lower case (what inet_ntop, and so conntrack -L, prints).
    [InlineData("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("2001:DB8::AB", "2001:db8::ab")]
    [InlineData("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::")]
    [InlineData("::1", "::1")]
    public void Ipv6_addresses_print_as_rfc5952_compresses_them(string input, string printed)
    {
        var a = InetAddr.From(IPAddress.Parse(input), out var family);
        Assert.Equal(L3Family.Ipv6, family);
        Assert.Equal(printed, a.Format(family));
    }

    [Fact]
    public void Ipv4_tuples_hash_as_before_and_the_family_is_part_of_the_key()
    {
        // The IPv4 hash is the one the model always had (results stay byte-identical): the formula written out.
        var v4 = new FlowTuple(FlowTuple.Ip(10, 0, 0, 1), FlowTuple.Ip(198, 18, 0, 1), 40000, 80, IpProto.Udp);
        const ulong key = 0x0123456789abcdefUL;
        ulong x = ((ulong)FlowTuple.Ip(10, 0, 0, 1) << 32 | FlowTuple.Ip(198, 18, 0, 1)) ^ key;
        x = TupleHash.Mix(x) ^ ((ulong)40000 << 24 | (ulong)80 << 8 | 17);
        Assert.Equal((uint)(TupleHash.Mix(x) >> 32), TupleHash.Hash(v4, key));

        // ::10.0.0.1 -> ::198.18.0.1 has the IPv4 tuple's bits but is another connection (nf_ct_tuple_equal compares l3num).
        var same = v4 with { Family = L3Family.Ipv6 };
        Assert.NotEqual(v4, same);
        var box = Box(nat: false);
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(v4, TcpFlags.None, 0).Verdict);
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(same, TcpFlags.None, Ms).Verdict);
        Assert.Equal(2, box.Conntrack.Count);
        // glibc's inet_ntop writes ::/96 (beyond ::1) in the IPv4-compatible dotted form: "i == 6 && best.base == 0 && best.len == 6".
        Assert.Equal("udp src=::10.0.0.1 dst=::198.18.0.1 sport=40000 dport=80", same.ToString());
    }

    [Fact]
    public void An_ipv6_udp_flow_is_masqueraded_replied_assured_and_expires_as_ipv4_does()
    {
        var box = Box();
        var ct = box.Conntrack;
        var orig = V6(IpProto.Udp, 5000, 53);
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(orig, TcpFlags.None, 0).Verdict);
        int id = box.LastConntrack;
        ref readonly var e = ref ct.Entry(id);
        // nf_nat_masquerade_ipv6: MAP_IPS with the interface's one address; the port is kept (get_unique_tuple: unique).
        Assert.Equal("udp src=2001:db8:2::2 dst=2001:db8:ffff::1 sport=53 dport=5000", e.Reply.ToString());
        Assert.True(e.Is(ConntrackStatus.SrcNat));
        Assert.Equal(30 * S, e.Timeout); // nf_conntrack_udp_timeout, unreplied

        // The reply to the masquerade address is de-NATed by the entry: SEEN_REPLY, still not ASSURED (stream_ts: 2 s).
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(e.Reply, TcpFlags.None, S).Verdict);
        Assert.Equal(id, box.LastConntrack);
        Assert.True(ct.Entry(id).Is(ConntrackStatus.SeenReply));
        Assert.False(ct.Entry(id).Is(ConntrackStatus.Assured));
        Assert.Equal(S + 30 * S, ct.Entry(id).Timeout);
        // A packet after stream_ts (created + 2 s) with a reply seen: ASSURED, nf_conntrack_udp_timeout_stream 120 s.
        box.Process(orig, TcpFlags.None, 3 * S);
        Assert.True(ct.Entry(id).Is(ConntrackStatus.Assured));
        Assert.Equal(3 * S + 120 * S, ct.Entry(id).Timeout);
        // Gone after it: the gc runs by then, and a new packet makes a new entry.
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(orig, TcpFlags.None, 124 * S).Verdict);
    }

    [Fact]
    public void An_ipv6_tcp_connection_walks_the_same_states_as_an_ipv4_one()
    {
        // The same packets through two boxes, IPv4 and IPv6: tcp_conntracks[][][] is family-independent. The states
        // spelled out: SYN -> SYN_SENT, SYN/ACK -> SYN_RECV, ACK -> ESTABLISHED, FIN/ACK -> FIN_WAIT,
        // ACK -> CLOSE_WAIT, FIN/ACK -> LAST_ACK, ACK -> TIME_WAIT (120 s).
        var v6 = V6(IpProto.Tcp);
        var v4 = new FlowTuple(FlowTuple.Ip(10, 0, 0, 2), FlowTuple.Ip(198, 18, 0, 2), 40000, 443, IpProto.Tcp);
        (bool Reply, TcpFlags Flags, TcpState State)[] steps =
        [
            (false, TcpFlags.Syn, TcpState.SynSent), (true, TcpFlags.SynAck, TcpState.SynRecv), (false, TcpFlags.Ack, TcpState.Established),
            (false, TcpFlags.FinAck, TcpState.FinWait), (true, TcpFlags.Ack, TcpState.CloseWait), (true, TcpFlags.FinAck, TcpState.LastAck),
            (false, TcpFlags.Ack, TcpState.TimeWait),
        ];
        foreach (var orig in new[] { v4, v6 })
        {
            var box = Box();
            long now = 0;
            int id = -1;
            foreach (var (reply, flags, state) in steps)
            {
                var tuple = reply ? box.Conntrack.Entry(id).Reply : orig;
                Assert.NotEqual(ForwardVerdict.Dropped, box.Process(tuple, flags, now).Verdict);
                id = box.LastConntrack;
                Assert.Equal(state, box.Conntrack.Entry(id).TcpState);
                now += Ms;
            }
            Assert.True(box.Conntrack.Entry(id).Is(ConntrackStatus.Assured));
            Assert.Equal(now - Ms + 120 * S, box.Conntrack.Entry(id).Timeout);
            Assert.Equal(orig.IsIpv6 ? Masq : (InetAddr)FlowTuple.Ip(203, 0, 113, 1), box.Conntrack.Entry(id).Reply.DstIp);
        }
    }

    [Fact]
    public void An_ipv6_packet_to_the_nat_address_without_an_entry_is_dropped_for_no_route()
    {
        // ip6_route_input finds no route to the masquerade address (the lab's DUT routes it nowhere): ip6_pkt_drop,
        // IPSTATS_MIB_INNOROUTES. The entry the packet created is never confirmed; an ICMPv6 error follows as for IPv4.
        var box = Box();
        var stray = new FlowTuple(Server, Masq, 53, 5000, IpProto.Udp, L3Family.Ipv6);
        var o = box.Process(stray, TcpFlags.None, 0);
        Assert.Equal((ForwardVerdict.Dropped, CtDropReason.NoRoute), (o.Verdict, o.DropReason));
        Assert.Equal(0, box.Conntrack.Count);
        // The IPv4 pool does not cover IPv6 addresses with the same low bits, nor the other way round.
        var v4Public = new FlowTuple(Server, FlowTuple.Ip(203, 0, 113, 1), 53, 5000, IpProto.Udp, L3Family.Ipv6);
        Assert.Equal(ForwardVerdict.SlowPathNew, box.Process(v4Public, TcpFlags.None, Ms).Verdict);
    }

    [Fact]
    public void Ipv6_snat_to_a_range_keeps_a_clients_address_and_searches_ports_when_taken()
    {
        // snat ip6 to 2001:db8:ffff::1-2001:db8:ffff::8: find_best_ips_proto picks ::3 for 2001:db8:1::2 -> 2001:db8:2::2
        // (NatAddressChoiceTests, from the kernel's arithmetic). A second client on the same source port to the same
        // server picks its own address; two flows of one client to one server port share it and keep their ports.
        var v = KernelVersion.Parse("6.12");
        var ct = new ConntrackTable(new ConntrackConfig { Buckets = 1024, Max = 1024, Version = v });
        var box = new ForwardPath(ct, null, new ForwardingCosts(), new ForwardRules(), new NatPortAllocator(ct), null)
        {
            Snat6 = NatRange.Snat6(A("2001:db8:ffff::1"), A("2001:db8:ffff::8")),
        };
        var a = new FlowTuple(Client, Server, 5000, 80, IpProto.Udp, L3Family.Ipv6);
        box.Process(a, TcpFlags.None, 0);
        Assert.Equal("2001:db8:ffff::3", ct.Entry(box.LastConntrack).Reply.DstText);
        Assert.Equal(5000, ct.Entry(box.LastConntrack).Reply.DstPort);
        box.Process(a with { SrcPort = 5001 }, TcpFlags.None, Ms);
        Assert.Equal(("2001:db8:ffff::3", (ushort)5001), (ct.Entry(box.LastConntrack).Reply.DstText, ct.Entry(box.LastConntrack).Reply.DstPort));
    }

    [Fact]
    public void An_ipv6_tcp_flow_is_offloaded_to_the_flowtable_and_forwarded_there()
    {
        var box = Box(nat: true, flowtable: true);
        var t = V6(IpProto.Tcp);
        box.Process(t, TcpFlags.Syn, 0);
        int id = box.LastConntrack;
        box.Process(box.Conntrack.Entry(id).Reply, TcpFlags.SynAck, Ms);
        // The handshake's last ACK makes the entry ESTABLISHED and ASSURED: flow add (nft_flow_offload_eval).
        Assert.Equal(ForwardVerdict.SlowPath, box.Process(t, TcpFlags.Ack, 2 * Ms).Verdict);
        Assert.Equal(1, box.Flowtable!.Count);
        Assert.Equal(ForwardVerdict.FastPath, box.Process(box.Conntrack.Entry(id).Reply, TcpFlags.Ack, 3 * Ms).Verdict);
        Assert.Equal(ForwardVerdict.FastPath, box.Process(t, TcpFlags.Ack, 4 * Ms).Verdict);
        Assert.True(box.Conntrack.Entry(id).Is(ConntrackStatus.Offload));
        // The IPv4 tuple with the same low bits is not this flow.
        Assert.True(box.Flowtable.Lookup(t with { Family = L3Family.Ipv4, SrcIp = t.SrcIp.V4, DstIp = t.DstIp.V4 }, out _) < 0);
    }
}
