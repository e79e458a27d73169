using Lab.Captures.Frames;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.Netfilter;
using PacketDotNet;
using TcpFlags = Lab.Captures.Frames.TcpFlags;

namespace Lab.Captures.Tests.Validation;

/// <summary>The frames, ruleset and parsers of forward validation, without a kernel.</summary>
public sealed class ForwardFramesTests
{
    const uint Client = 0x0A000001, Server = 0xC6120001, Public = 0xCB007101; // 10.0.0.1, 198.18.0.1, 203.0.113.1

    static ForwardTracePacket P(int index, ForwardSide side, TcpFlags flags, int flow = 0) =>
        side == ForwardSide.Client
            ? new(index, side, 6, Client, Server, 40000, 443, flags, 0, ForwardPathTaken.Classic, null, true, flow, Public, 40000)
            : new(index, side, 6, Server, Public, 443, 40000, flags, 0, ForwardPathTaken.Classic, null, true, flow, Client, 40000);

    [Fact]
    public void Sequence_numbers_follow_a_real_connection()
    {
        // RFC 9293 3.4: SYN and FIN each occupy one sequence number; an ACK acknowledges the next one expected.
        var (c, s) = ForwardFrames.Isn(0);
        var trace = new[]
        {
            P(0, ForwardSide.Client, TcpFlags.Syn),
            P(1, ForwardSide.Server, TcpFlags.Syn | TcpFlags.Ack),
            P(2, ForwardSide.Client, TcpFlags.Ack),
            P(3, ForwardSide.Client, TcpFlags.Ack),
            P(4, ForwardSide.Client, TcpFlags.Fin | TcpFlags.Ack),
            P(5, ForwardSide.Server, TcpFlags.Fin | TcpFlags.Ack),
            P(6, ForwardSide.Client, TcpFlags.Ack),
        };
        Assert.Equal(
            [(c, 0u), (s, c + 1), (c + 1, s + 1), (c + 1, s + 1), (c + 1, s + 1), (s + 1, c + 2), (c + 2, s + 2)],
            ForwardFrames.Sequences(trace));
    }

    [Fact]
    public void A_connection_picked_up_mid_stream_starts_one_past_both_isns()
    {
        var (c, s) = ForwardFrames.Isn(7);
        Assert.Equal([(c + 1, s + 1), (s + 1, c + 1)],
            ForwardFrames.Sequences([P(0, ForwardSide.Client, TcpFlags.Ack, 7), P(1, ForwardSide.Server, TcpFlags.Ack, 7)]));
    }

    [Fact]
    public void Frames_carry_the_index_and_valid_checksums_and_parse_back()
    {
        var frame = new byte[256];
        var p = P(1234, ForwardSide.Server, TcpFlags.Syn | TcpFlags.Ack);
        var mac = MacAddress.Parse("02:00:00:00:00:09");
        // A reply sent to the kernel's translation (203.0.113.1:55555) instead of the model's.
        int n = ForwardFrames.Write(frame, p, (100, 200), ForwardFrames.ServerMac, mac, (Public, 55555));

        var packet = Packet.ParsePacket(LinkLayers.Ethernet, frame[..n]);
        var ip = packet.Extract<IPv4Packet>();
        var tcp = packet.Extract<TcpPacket>();
        Assert.Equal((1234, "198.18.0.1", "203.0.113.1"), (ip.Id, ip.SourceAddress.ToString(), ip.DestinationAddress.ToString()));
        Assert.True(ip.ValidIPChecksum);
        Assert.True(tcp.ValidTcpChecksum);
        Assert.Equal((443, 55555, 100u, 200u, true, true, (ushort)65535), (tcp.SourcePort, tcp.DestinationPort, tcp.SequenceNumber, tcp.AcknowledgmentNumber, tcp.Synchronize, tcp.Acknowledgment, tcp.WindowSize));

        Assert.True(CapturedSegment.TryParse(frame.AsSpan(0, n), mac, out var seg));
        Assert.Equal(new CapturedSegment(1234, 0, 6, Server, Public, 443, 55555, TcpFlags.Syn | TcpFlags.Ack), seg);
        Assert.False(CapturedSegment.TryParse(frame.AsSpan(0, n), ForwardFrames.ServerMac, out _)); // not addressed to that side
    }

    [Fact]
    public void Snat_statement_is_nft_syntax_for_the_range_and_flags()
    {
        // One inet table serves both families, so each statement names its family (nft: snat ip to, snat ip6 to).
        Assert.Equal("snat ip to 203.0.113.1", new ForwardSnat(Public, Public, 0, 0, false, false, false, false).Statement());
        Assert.Equal("snat ip to 100.64.0.1-100.64.0.4:1024-2047 fully-random,persistent",
            new ForwardSnat(0x64400001, 0x64400004, 1024, 2047, true, false, true, true).Statement());
        Assert.Equal("snat ip6 to 2001:db8:ffff::1", new ForwardSnat(Public6, Public6, 0, 0, false, false, false, false).Statement());
        // With ports an IPv6 address goes in brackets (nft(8): snat ip6 to [addr]-[addr]:port-port).
        Assert.Equal("snat ip6 to [2001:db8:ffff::1]-[2001:db8:ffff::8]:1024-2047 random",
            new ForwardSnat(Public6, WireAddress.Parse("2001:db8:ffff::8"), 1024, 2047, true, true, false, false).Statement());
    }

    static readonly WireAddress Client6 = WireAddress.Parse("2001:db8:1::2"), Server6 = WireAddress.Parse("2001:db8:2::1"), Public6 = WireAddress.Parse("2001:db8:ffff::1");

    [Fact]
    public void Ipv6_frames_carry_the_index_as_flow_label_with_valid_checksums_and_parse_back()
    {
        var frame = new byte[256];
        var mac = MacAddress.Parse("02:00:00:00:00:09");
        var udp = new ForwardTracePacket(54321, ForwardSide.Client, 17, Client6, Server6, 5000, 53, TcpFlags.None, 0, ForwardPathTaken.ClassicNew, null, true, 0, Public6, 5000);
        int n = ForwardFrames.Write(frame, udp, default, ForwardFrames.ClientMac, mac);

        // Ethernet 14 + IPv6 40 + UDP 8 + 8 bytes payload ("LABF" and the index).
        Assert.Equal(70, n);
        var packet = Packet.ParsePacket(LinkLayers.Ethernet, frame[..n]);
        var ip = packet.Extract<IPv6Packet>();
        var u = packet.Extract<UdpPacket>();
        Assert.Equal((54321, "2001:db8:1::2", "2001:db8:2::1", 64, 16), (ip.FlowLabel, ip.SourceAddress.ToString(), ip.DestinationAddress.ToString(), ip.HopLimit, (int)ip.PayloadLength));
        // PacketDotNet recomputes the checksum over the IPv6 pseudo-header (RFC 8200 8.1) independently.
        Assert.True(u.ValidUdpChecksum);
        Assert.Equal((5000, 53), (u.SourcePort, u.DestinationPort));
        Assert.True(CapturedSegment.TryParse(frame.AsSpan(0, n), mac, out var seg));
        Assert.Equal(new CapturedSegment(54321, 0, 17, Client6, Server6, 5000, 53, TcpFlags.None), seg);

        // A TCP reply sent to the kernel's translation; the traffic class a forward chain sets (DSCP CS1) reads back as Tos.
        var syn = new ForwardTracePacket(7, ForwardSide.Server, 6, Server6, Public6, 80, 40000, TcpFlags.Syn | TcpFlags.Ack, 0, ForwardPathTaken.Classic, null, true, 0, Client6, 40000);
        n = ForwardFrames.Write(frame, syn, (100, 200), ForwardFrames.ServerMac, mac, (Public6, 55555));
        frame[14] = (byte)((frame[14] & 0xF0) | 0x02); // traffic class 0x20: its high nibble sits in the first byte's low nibble
        packet = Packet.ParsePacket(LinkLayers.Ethernet, frame[..n]);
        var tcp = packet.Extract<TcpPacket>();
        Assert.True(tcp.ValidTcpChecksum);
        Assert.Equal((7, 0x20), (packet.Extract<IPv6Packet>().FlowLabel, packet.Extract<IPv6Packet>().TrafficClass));
        Assert.True(CapturedSegment.TryParse(frame.AsSpan(0, n), mac, out seg));
        Assert.Equal(new CapturedSegment(7, 0x20, 6, Server6, Public6, 80, 55555, TcpFlags.Syn | TcpFlags.Ack), seg);
        // A family mix is refused rather than written.
        Assert.Throws<ArgumentException>(() => ForwardFrames.Write(frame, syn, (100, 200), ForwardFrames.ServerMac, mac, (Public, 55555)));
    }

    [Fact]
    public void An_icmpv6_error_names_the_quoted_packets_flow_label()
    {
        // RFC 4443 3.1: destination unreachable (type 1, code 0 no route) quotes the invoking packet after 8 bytes.
        var inner = new byte[256];
        var p = new ForwardTracePacket(4242, ForwardSide.Server, 17, Server6, Public6, 53, 5000, TcpFlags.None, 0, ForwardPathTaken.Dropped, "InNoRoutes", false, 0, 0, 0);
        int n = ForwardFrames.Write(inner, p, default, ForwardFrames.ServerMac, ForwardFrames.DutMac);
        var quoted = inner.AsSpan(14, n - 14).ToArray();
        var frame = new byte[14 + 40 + 8 + quoted.Length];
        frame[0] = 0x02; frame[5] = 0x03; // to the server side's MAC 02:00:00:00:00:03
        frame[12] = 0x86; frame[13] = 0xDD;
        frame[14] = 0x60;
        frame[14 + 6] = 58; // next header ICMPv6
        frame[14 + 40] = 1;
        quoted.CopyTo(frame, 14 + 48);
        Assert.True(CapturedSegment.TryParseIcmpError(frame, ForwardFrames.ServerMac, out ushort id));
        Assert.Equal(4242, id);
        frame[14 + 40] = 128; // an echo request is no error
        Assert.False(CapturedSegment.TryParseIcmpError(frame, ForwardFrames.ServerMac, out _));
    }

    [Theory]
    [InlineData(false, 100, 1, 511)]     // nf_nat_l4proto_unique_tuple: below 512 stays below 512
    [InlineData(false, 700, 600, 1023)]  // 512-1023 moves within 600-1023
    [InlineData(false, 40000, 1024, 65535)]
    [InlineData(true, 40000, 2000, 2031)] // a given range wins
    public void A_moved_port_stays_in_the_range_the_kernel_searches(bool specified, int original, int min, int max)
    {
        var snat = new ForwardSnat(Public, Public, 2000, 2031, specified, false, false, false);
        Assert.Equal((min, max), snat.PortRangeFor((ushort)original));
    }

    [Fact]
    public void Conntrack_statistics_are_summed_over_cpus()
    {
        const string text = """
            cpu=0   	found=0 invalid=3 insert=0 insert_failed=5 drop=5 early_drop=1 error=0 search_restart=0 clash_resolve=0 chaintoolong=0
            cpu=1   	found=2 invalid=0 insert=0 insert_failed=2 drop=3 early_drop=0 error=0 search_restart=1 clash_resolve=0 chaintoolong=0
            """;
        var s = ConntrackStatistics.Parse(text);
        Assert.Equal((2L, 3L, 7L, 8L, 1L), (s["found"], s["invalid"], s["insert_failed"], s["drop"], s["early_drop"]));
        Assert.False(s.ContainsKey("cpu"));
    }

    [Fact]
    public void Sysctls_set_loose_tracking_the_limit_and_every_timeout()
    {
        var cfg = new ForwardDutConfig
        {
            ConntrackMax = 4096,
            TcpLoose = false,
            Timeouts = new Dictionary<string, long> { ["nf_conntrack_udp_timeout"] = 600, ["nf_conntrack_tcp_timeout_time_wait"] = 120 },
        };
        Assert.Equal(
            [("nf_conntrack_tcp_loose", "0"), ("nf_conntrack_max", "4096"), ("nf_conntrack_tcp_timeout_time_wait", "120"), ("nf_conntrack_udp_timeout", "600")],
            ForwardDutScripts.Sysctls(cfg));
    }

    [Fact]
    public void The_ruleset_reaches_nft_on_stdin_never_through_a_file()
    {
        // Issue 16 item 2: a predictable /tmp/lab-forward-PID.nft written by a root shell redirection
        // followed a planted symbolic link. The script now carries the ruleset as a here-document.
        const string ruleset = "table inet lab_forward {\n  chain forward { type filter hook forward priority 0; }\n}\n";
        string script = ForwardDutScripts.Configure(new ForwardDutConfig(), ruleset);
        Assert.Contains("nft -f - <<'LAB_FORWARD_RULESET' || exit 1\n" + ruleset + "LAB_FORWARD_RULESET\n", script, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", script, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ForwardDutScripts.Configure(new ForwardDutConfig(), "LAB_FORWARD_RULESET\n"));
    }
}
