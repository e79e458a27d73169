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
        Assert.Equal("snat to 203.0.113.1", new ForwardSnat(Public, Public, 0, 0, false, false, false, false).Statement());
        Assert.Equal("snat to 100.64.0.1-100.64.0.4:1024-2047 fully-random,persistent",
            new ForwardSnat(0x64400001, 0x64400004, 1024, 2047, true, false, true, true).Statement());
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
