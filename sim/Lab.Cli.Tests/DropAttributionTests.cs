using Lab.KernelLab.ScriptValidation;

namespace Lab.Cli.Tests;

/// <summary>
/// Drop events given to packets by the markers the players send after each packet (DropMarkers, DropAttribution), from
/// trace text as the 6.1 guest's tracefs prints it (location hashed by %p, so no symbol).
/// </summary>
public sealed class DropAttributionTests
{
    static string Line(string reason, int protocol = 2048) =>
        $"          <idle>-0       [000] ..s1.   412.118022: kfree_skb: skbaddr=00000000d1b2c3e4 protocol={protocol} location=000000001c6b1a0e reason: {reason}\n";

    static IReadOnlyList<KernelDrop> Trace(params string[] reasons) =>
        KernelDropTrace.Parse("# tracer: nop\n#\n" + string.Concat(reasons.Select(r => Line(r))));

    [Fact]
    public void An_esp_transport_play_gives_the_dropped_packet_its_own_event_beside_the_dups()
    {
        // Transport mode: every accepted packet's original is dropped by the harness's nft dup rule (NETFILTER_DROP). Packets
        // 0 and 2 accepted, 1 a replay (xfrm_input's drop: label, plain kfree_skb: NOT_SPECIFIED). Three events for one drop:
        // counting cannot pair them, the markers (IP_CSUM, link 0) can.
        var events = Trace("NETFILTER_DROP", "IP_CSUM", "NOT_SPECIFIED", "IP_CSUM", "NETFILTER_DROP", "IP_CSUM");
        Assert.Null(KernelDropTrace.Pair(events, 1));

        var a = DropAttribution.Attribute(events, [(0, false), (0, true), (0, false)]);

        Assert.NotNull(a);
        Assert.Empty(a[0].Events);
        Assert.Equal("NOT_SPECIFIED", Assert.Single(a[1].Events).Reason);
        Assert.False(a[1].Ambiguous);
        Assert.Empty(a[2].Events);
    }

    [Fact]
    public void A_drop_freed_just_after_its_own_marker_is_still_its_own()
    {
        // script-esp-replay in the 6.1 guest (IPv6 tunnel, a barrier after every packet): packet 6 accepted, 7 (seq 10 again)
        // and 8 (unknown SPI) dropped, each NOT_SPECIFIED recorded right after its own marker, as the trace showed.
        var events = Trace("IP_CSUM", "IP_CSUM", "NOT_SPECIFIED", "IP_CSUM", "NOT_SPECIFIED");

        var a = DropAttribution.Attribute(events, [(0, false), (0, true), (0, true)], expected: [null, "NOT_SPECIFIED", "NOT_SPECIFIED"]);

        Assert.NotNull(a);
        Assert.Empty(a[0].Events);
        Assert.Single(a[1].Events);
        Assert.Single(a[2].Events);
        // Transport mode: an accepted packet's dup NETFILTER_DROP, late past its marker, is not taken for the next packet's xfrm drop.
        var dup = DropAttribution.Attribute(Trace("IP_CSUM", "NETFILTER_DROP", "NOT_SPECIFIED", "IP_CSUM"), [(0, false), (0, true)],
            expected: [null, "NOT_SPECIFIED"]);
        Assert.Equal("NOT_SPECIFIED", Assert.Single(dup![1].Events).Reason);
    }

    [Fact]
    public void A_forward_play_in_order_gives_each_link_its_packets_events()
    {
        // Client packet 0 dropped by conntrack (NETFILTER_DROP), server packet 1 forwarded, server packet 2 dropped at
        // routing (IP_INNOROUTES); markers IP_CSUM (client link) and IP_INHDR (server link) in send order.
        var events = Trace("NETFILTER_DROP", "IP_CSUM", "IP_INHDR", "IP_INNOROUTES", "IP_INHDR");

        var a = DropAttribution.Attribute(events, [(0, true), (1, false), (1, true)]);

        Assert.NotNull(a);
        Assert.Equal("NETFILTER_DROP", Assert.Single(a[0].Events).Reason);
        Assert.Empty(a[1].Events);
        Assert.Equal("IP_INNOROUTES", Assert.Single(a[2].Events).Reason);
        Assert.All(a, d => Assert.False(d.Ambiguous));
    }

    [Fact]
    public void The_host_harness_drops_of_forwarded_frames_are_nobody_s()
    {
        // On the host the harness namespace frees each frame the DUT forwards to it (IP_INADDRERRORS) in the same softirq,
        // before the packet's marker: packet 0 forwarded, packet 1 dropped at confirm.
        var events = Trace("IP_INADDRERRORS", "IP_CSUM", "NETFILTER_DROP", "IP_CSUM");

        var a = DropAttribution.Attribute(events, [(0, false), (0, true)], harnessReason: "IP_INADDRERRORS");

        Assert.NotNull(a);
        Assert.Empty(a[0].Events);
        Assert.Equal("NETFILTER_DROP", Assert.Single(a[1].Events).Reason);
    }

    [Fact]
    public void Links_handled_out_of_order_leave_two_dropped_packets_ambiguous_only_while_both_are_open()
    {
        // Client packet 0 and server packet 1 both dropped; the guest closed the server's first (IP_INHDR before IP_CSUM):
        // the first event came while both were open (ambiguous), the second after the server's marker (packet 0's).
        var events = Trace("NETFILTER_DROP", "IP_INHDR", "IP_INNOROUTES", "IP_CSUM");

        var a = DropAttribution.Attribute(events, [(0, true), (1, true)]);

        Assert.NotNull(a);
        Assert.True(a[0].Ambiguous);
        Assert.True(a[1].Ambiguous);
        Assert.Equal("IP_INNOROUTES", Assert.Single(a[0].Events).Reason);
        Assert.Empty(a[1].Events);
    }

    [Fact]
    public void Without_one_marker_per_packet_nothing_is_attributed()
    {
        // A recording from before the markers, and a trace that lost a marker: counting is all that is left.
        Assert.Null(DropAttribution.Attribute(Trace("NETFILTER_DROP"), [(0, true)]));
        Assert.Null(DropAttribution.Attribute(Trace("NETFILTER_DROP", "IP_CSUM"), [(0, true), (0, false)]));
        Assert.Null(DropAttribution.Attribute(Trace("IP_CSUM", "IP_CSUM"), [(0, true)]));
        Assert.Empty(DropAttribution.Attribute(Trace(), [])!);
    }

    [Fact]
    public void A_marker_is_a_header_ip_rcv_core_refuses_with_its_link_s_reason()
    {
        var frame = new byte[64];
        var mac = Lab.Captures.Frames.MacAddress.Parse("02:00:00:00:00:02");
        int n0 = DropMarkers.Write(frame, 0, Lab.Captures.Frames.MacAddress.Parse("02:00:00:00:00:01"), mac);
        // 14 B Ethernet + 20 B IPv4 header + 8 B: to the DUT's MAC (not OTHERHOST), protocol 253, checksum wrong (IP_CSUM).
        Assert.Equal(42, n0);
        var dut = new byte[6];
        mac.WriteTo(dut);
        Assert.Equal(dut, frame[..6]);
        Assert.Equal((0x45, 253), (frame[14], frame[23]));
        Assert.NotEqual(0, Lab.Captures.Frames.InternetChecksum.Compute(frame.AsSpan(14, 20)));
        DropMarkers.Write(frame, 1, Lab.Captures.Frames.MacAddress.Parse("02:00:00:00:00:01"), mac);
        // IHL 4 (below 5: inhdr_error, IP_INHDR), checksum right so only the IHL is wrong.
        Assert.Equal(0x44, frame[14]);
        Assert.Equal(("IP_CSUM", "IP_INHDR"), (DropMarkers.Reason(0), DropMarkers.Reason(1)));
    }
}
