using System.Globalization;


namespace Lab.Cli.Tests;

/// <summary>
/// The script traffic kind and probes.csv, through `lab run` on the example scenarios. Every
/// expected value is worked out from the kernel source named in the comment, not read off a run.
/// </summary>
public sealed class ScriptedScenarioTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-script-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static string Example(string name)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        return Path.Combine(root, "scenarios", "examples", name);
    }

    /// <summary>Runs a scenario file and returns its probes.csv rows as column -> value.</summary>
    List<Dictionary<string, string>> Probes(string file, string outName = "out")
    {
        string outDir = Path.Combine(_dir, outName);
        var (code, _, err) = ScenarioRun.Lab("run", file, "--out", outDir, "--no-store");
        Assert.True(code == 0, err);
        return ProbeCsv.Read(Path.Combine(outDir, "probes.csv"));
    }

    List<Dictionary<string, string>> ProbesOf(string yaml)
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, yaml);
        return Probes(f);
    }

    static List<Dictionary<string, string>> Rows(List<Dictionary<string, string>> rows, string time, string table, string? flow = null) =>
        rows.Where(r => r["time_s"] == time && r["table"] == table && (flow is null || r["flow"] == flow)).ToList();

    static Dictionary<string, string> Row(List<Dictionary<string, string>> rows, string time, string table, string flow) =>
        Assert.Single(Rows(rows, time, table, flow));

    static string Counter(List<Dictionary<string, string>> rows, string time, string table, string counter) =>
        Assert.Single(rows, r => r["time_s"] == time && r["table"] == table && r["counter"] == counter)["value"];

    [Fact]
    public void Udp_entry_is_unreplied_then_replied_then_assured_after_two_seconds_and_expires_on_time()
    {
        var rows = Probes(Example("script-udp-assurance.yaml"));
        // nf_conntrack_udp_packet (6.12), HZ 250, ctnetlink_dump_timeout = remaining jiffies / HZ (truncated).
        // t=0 orig: UNREPLIED, 30 s (UDP_CT_UNREPLIED) -> 29.5 s left at 0.5 s.
        var a = Row(rows, "0.5", "conntrack", "a");
        Assert.Equal(("udp", "UNREPLIED", "29"), (a["proto"], a["flags"], a["timeout"]));
        Assert.Equal(("10.0.0.1", "198.18.0.1", "5000", "53"), (a["src"], a["dst"], a["sport"], a["dport"]));
        // masquerade to 203.0.113.1 keeps port 5000: the reply tuple is the translated one.
        Assert.Equal(("198.18.0.1", "203.0.113.1", "53", "5000"), (a["reply_src"], a["reply_dst"], a["reply_sport"], a["reply_dport"]));
        Assert.Equal("0", a["mark"]);
        // t=1 reply: the tracker runs before IPS_SEEN_REPLY is set, so it refreshes with 30 s: 29.8 s left at 1.2 s.
        a = Row(rows, "1.2", "conntrack", "a");
        Assert.Equal(("", "29"), (a["flags"], a["timeout"]));
        // t=1.5 orig: replied, but not after stream_ts (0 s + 2 s): still 30 s and not ASSURED.
        a = Row(rows, "2", "conntrack", "a");
        Assert.Equal(("", "29"), (a["flags"], a["timeout"]));
        // t=5 orig: time_after(jiffies, stream_ts): UDP_CT_REPLIED 120 s and ASSURED -> 119 s left at 6 s.
        a = Row(rows, "6", "conntrack", "a");
        Assert.Equal(("ASSURED", "119"), (a["flags"], a["timeout"]));
        Assert.Equal("96", Row(rows, "29", "conntrack", "a")["timeout"]);
        Assert.Equal("1", Row(rows, "124", "conntrack", "a")["timeout"]);
        Assert.Empty(Rows(rows, "126", "conntrack", "a")); // expired at 125 s: the dump skips it
        // b never gets a reply: UNREPLIED, expires at 30 s.
        var b = Row(rows, "29", "conntrack", "b");
        Assert.Equal(("UNREPLIED", "1"), (b["flags"], b["timeout"]));
        Assert.Empty(Rows(rows, "31", "conntrack", "b"));
        // conntrack -S: two entries inserted, nothing dropped or invalid.
        Assert.Equal("2", Counter(rows, "6", "conntrack_stats", "insert"));
        Assert.Equal("0", Counter(rows, "6", "conntrack_stats", "invalid"));
        Assert.Equal("0", Counter(rows, "6", "conntrack_stats", "drop"));
        Assert.Equal("2", Counter(rows, "6", "conntrack_stats", "nf_conntrack_count"));
        // the NAT table: a's source 10.0.0.1:5000 goes out as 203.0.113.1:5000
        var nat = Row(rows, "6", "nat", "a");
        Assert.Equal(("203.0.113.1", "5000", "SNAT"), (nat["nat_src"], nat["nat_sport"], nat["flags"]));
    }

    [Theory]
    // nf_conntrack_proto_tcp.c tcp_conntracks[] and tcp_timeouts[] (6.12); remaining time 0.5 s after each step.
    [InlineData("client-fin", "0.5", "SYN_SENT", "UNREPLIED", "119")]      // orig SYN: sNO -> sSS, 2 min
    [InlineData("client-fin", "1.5", "SYN_RECV", "", "59")]                // reply SYN/ACK: sSS -> sSR, 60 s
    [InlineData("client-fin", "2.5", "ESTABLISHED", "ASSURED", "431999")]  // orig ACK: sSR -> sES, 5 days, ASSURED
    [InlineData("client-fin", "10.5", "FIN_WAIT", "ASSURED", "119")]       // orig FIN: sES -> sFW, 2 min
    [InlineData("client-fin", "11.5", "CLOSE_WAIT", "ASSURED", "59")]      // reply ACK of the FIN: sFW -> sCW, 60 s
    [InlineData("client-fin", "12.5", "LAST_ACK", "ASSURED", "29")]        // reply FIN: sCW -> sLA, 30 s
    [InlineData("client-fin", "13.5", "TIME_WAIT", "ASSURED", "119")]      // orig ACK: sLA -> sTW, 2 min
    [InlineData("client-fin", "20.5", "TIME_WAIT", "ASSURED", "112")]
    [InlineData("server-fin", "10.5", "FIN_WAIT", "ASSURED", "119")]       // reply FIN: sES -> sFW
    [InlineData("server-fin", "11.5", "CLOSE_WAIT", "ASSURED", "59")]      // orig ACK: sFW -> sCW
    [InlineData("server-fin", "12.5", "LAST_ACK", "ASSURED", "29")]        // orig FIN: sCW -> sLA
    [InlineData("server-fin", "13.5", "TIME_WAIT", "ASSURED", "119")]      // reply ACK: sLA -> sTW
    [InlineData("reset", "10.5", "CLOSE", "ASSURED", "9")]                 // orig RST: sES -> sCL, 10 s
    [InlineData("reset", "13.5", "CLOSE", "ASSURED", "6")]
    public void Tcp_states_follow_the_kernel_table_through_a_close_from_either_side(string flow, string time, string state, string flags, string timeout)
    {
        var rows = Probes(Example("script-tcp-close.yaml"));
        var r = Row(rows, time, "conntrack", flow);
        Assert.Equal((state, flags, timeout), (r["state"], r["flags"], r["timeout"]));
    }

    [Fact]
    public void Closed_tcp_entries_leave_the_listing_when_their_timeout_ends()
    {
        var rows = Probes(Example("script-tcp-close.yaml"));
        Assert.Empty(Rows(rows, "20.5", "conntrack", "reset"));          // CLOSE since 10 s: gone at 20 s
        Assert.Empty(Rows(rows, "133.5", "conntrack"));                  // TIME_WAIT since 13 s: gone at 133 s
        Assert.Equal("3", Counter(rows, "133.5", "conntrack_stats", "insert"));
        Assert.Equal("0", Counter(rows, "133.5", "conntrack_stats", "invalid"));
    }

    [Fact]
    public void Masquerade_keeps_low_source_ports_within_their_class()
    {
        var rows = Probes(Example("script-nat-low-ports.yaml"));
        int Port(string flow) => int.Parse(Row(rows, "3", "nat", flow)["nat_sport"], System.Globalization.CultureInfo.InvariantCulture);
        // get_unique_tuple: the first of each keeps its port (its tuple is unique).
        Assert.Equal((100, 700, 5000), (Port("low-a"), Port("mid-a"), Port("high-a")));
        // nf_nat_l4proto_unique_tuple without a range: port < 512 -> min 1, range 511; 512..1023 -> min 600, range 424.
        foreach (var f in new[] { "low-b", "low-c" }) Assert.InRange(Port(f), 1, 511);
        foreach (var f in new[] { "mid-b", "mid-c" }) Assert.InRange(Port(f), 600, 1023);
        Assert.Equal(4, new[] { 100, Port("low-b"), Port("low-c"), 700 }.Distinct().Count());
        Assert.NotEqual(Port("mid-b"), Port("mid-c"));
        Assert.NotEqual(700, Port("mid-b"));
        Assert.NotEqual(700, Port("mid-c"));
        Assert.All(Rows(rows, "3", "nat"), r => Assert.Equal("203.0.113.1", r["nat_src"]));
        // low-b's reply went to 203.0.113.1:<its new port> and was de-NATed onto its entry: replied.
        Assert.Equal("", Row(rows, "3", "conntrack", "low-b")["flags"]);
        Assert.Equal("UNREPLIED", Row(rows, "3", "conntrack", "low-c")["flags"]);
        Assert.Equal(Port("low-b").ToString(System.Globalization.CultureInfo.InvariantCulture), Row(rows, "3", "conntrack", "low-b")["reply_dport"]);
    }

    [Fact]
    public void Esp_replay_trace_gives_the_kernel_replay_state_after_every_step()
    {
        var rows = Probes(Example("script-esp-replay.yaml"));
        // xfrm_replay_check_legacy / xfrm_replay_advance, window 32 (worked out in the scenario's comment).
        (string Seq, string Bitmap, string Window, string Replay, string SeqError)[] expected =
        [
            ("0x3", "0x00000007", "0", "0", "0"),   // 3.5 ms: 1, 2, 3
            ("0x3", "0x00000007", "0", "1", "1"),   // 4.5 ms: 3 again
            ("0x28", "0x00000001", "0", "1", "1"),  // 5.5 ms: 40, a jump past the window
            ("0x28", "0x00000001", "1", "1", "2"),  // 6.5 ms: 5 is 35 behind
            ("0x28", "0x40000001", "1", "1", "2"),  // 7.5 ms: 10 is 30 behind, new
            ("0x28", "0x40000001", "1", "2", "3"),  // 8.5 ms: 10 again
        ];
        string[] times = ["0.0035", "0.0045", "0.0055", "0.0065", "0.0075", "0.0085"];
        for (int i = 0; i < times.Length; i++)
        {
            var sa = Assert.Single(Rows(rows, times[i], "xfrm_state"));
            Assert.Equal(("0x00001000", "32", "0x0"), (sa["spi"], sa["replay_window"], sa["oseq"]));
            Assert.Equal(expected[i], (sa["seq"], sa["bitmap"], sa["stats_replay_window"], sa["stats_replay"], Counter(rows, times[i], "xfrm_stat", "XfrmInStateSeqError")));
            Assert.Equal("0", sa["stats_failed"]);
        }
        Assert.Equal("5", Assert.Single(Rows(rows, "0.0085", "xfrm_state"))["packets"]);
        Assert.Equal("0", Counter(rows, "0.0085", "xfrm_stat", "XfrmInNoStates"));
        Assert.Equal("1", Counter(rows, "0.0095", "xfrm_stat", "XfrmInNoStates")); // SPI 0x2000: no SA
    }

    /// <summary>
    /// x->curlft.bytes is skb->len after esp_input_done2 (xfrm_input, net/xfrm/xfrm_input.c, 6.1 and 6.12).
    /// Frames of 200 B and 1000 B are IP packets of 182 B and 982 B (Ethernet header 14 + FCS 4 off).
    /// Tunnel: the whole inner packet, 182 + 982 = 1164, whatever the outer family. Transport: the IP
    /// header was pulled before xfrm4_rcv / xfrm6_rcv, so 20 B less each for IPv4 (162 + 962 = 1124),
    /// 40 B less each for IPv6 (142 + 942 = 1084). The VM's kernel printed 26 for one 64 B frame in IPv4
    /// transport mode (scenarios/fuzz/fuzz-20261206-5): 64 - 18 - 20 = 26.
    /// </summary>
    [Theory]
    [InlineData("tunnel", "ipv4", "192.0.2", 1164)]
    [InlineData("tunnel", "ipv6", "2001:db8::", 1164)]
    [InlineData("transport", "ipv4", "192.0.2", 1124)]
    [InlineData("transport", "ipv6", "2001:db8::", 1084)]
    public void Esp_lifetime_bytes_count_what_xfrm_input_counts_in_each_mode(string mode, string family, string net, int bytes)
    {
        string src = net.EndsWith(':') ? $"\"{net}1\"" : net + ".1", dst = net.EndsWith(':') ? $"\"{net}2\"" : net + ".2";
        var rows = ProbesOf($$"""
            name: bytes
            run: { duration: 1s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: t
                kind: script
                packets:
                  - { at: 1ms, flow: sa, proto: esp, src: {{src}}, dst: {{dst}}, seq: 1, size: 200B }
                  - { at: 2ms, flow: sa, seq: 2, size: 1000B }
            path:
              - esp_in: { mode: {{mode}}, family: {{family}} }
            probes: { at: [0.5s] }
            """);
        var sa = Assert.Single(Rows(rows, "0.5", "xfrm_state"));
        Assert.Equal(("2", bytes.ToString(CultureInfo.InvariantCulture)), (sa["packets"], sa["bytes"]));
    }

    /// <summary>
    /// Without its own mode and family esp_in takes the esp_out's before it (as lab validate does): 1000 B
    /// frames are 982 B IP packets; esp_out in IPv6 transport mode, so esp_in counts 982 - 40 = 942 per packet.
    /// </summary>
    [Fact]
    public void Esp_in_takes_the_mode_and_family_of_the_esp_out_before_it()
    {
        var rows = ProbesOf("""
            name: follow
            run: { duration: 10ms, seed: 1 }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - { name: c, kind: cbr, rate: 8.16Mbit/s, size: 1000B, flows: 1 }
            path:
              - esp_out: { mode: transport, family: ipv6, inner_family: ipv6 }
              - esp_in: {}
            probes: { at: [9.5ms] }
            """);
        var sa = Assert.Single(Rows(rows, "0.0095", "xfrm_state"));
        long packets = long.Parse(sa["packets"], CultureInfo.InvariantCulture);
        // 8.16 Mbit/s of 1000 B frames (+20 B preamble and gap = 8160 bit) is one packet a millisecond.
        Assert.InRange(packets, 9, 10);
        Assert.Equal(packets * 942, long.Parse(sa["bytes"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Bmp_window_prints_the_bitmap_words_last_first()
    {
        // window 64: xfrm_replay_advance_bmp sets bit (pos + diff) mod 64 with pos = (top - 1) mod 64,
        // i.e. bit (seq - 1) mod 64 for each accepted seq; iproute2 prints bmp[bmp_len - 1] first.
        var rows = ProbesOf("""
            name: bmp
            run: { duration: 1s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: t
                kind: script
                packets:
                  - { at: 1ms, flow: sa, proto: esp, src: 192.0.2.1, dst: 192.0.2.2, seq: 1 }
                  - { at: 2ms, flow: sa, seq: 2 }
                  - { at: 3ms, flow: sa, seq: 40 }
            path:
              - esp_in: { window: 64 }
            probes: { at: [0.5s] }
            """);
        var sa = Assert.Single(Rows(rows, "0.5", "xfrm_state"));
        // xfrm_replay_advance_bmp: bit (seq - 1) mod 64 of the 2-word bitmap; seq 1, 2, 40 -> bits 0, 1, 39:
        // word 0 = 0x00000003, word 1 = 1 << 7 = 0x00000080; printed word 1 first.
        Assert.Equal(("0x28", "00000080 00000003", "64"), (sa["seq"], sa["bitmap"], sa["replay_window"]));
    }

    [Fact]
    public void Masquerade_with_a_port_range_and_random_uses_only_that_range_and_drops_when_it_is_full()
    {
        var rows = ProbesOf("""
            name: masq
            run: { duration: 10s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: t
                kind: script
                packets:
                  - { at: 1s, flow: x, proto: udp, src: 10.0.0.1:5000, dst: 198.18.0.1:53 }
                  - { at: 2s, flow: y, proto: udp, src: 10.0.0.2:5000, dst: 198.18.0.1:53 }
                  - { at: 3s, flow: z, proto: udp, src: 10.0.0.3:5000, dst: 198.18.0.1:53 }
            path:
              - forward: { protocol: udp, masquerade: { address: 192.0.2.9, ports: 20000-20001, flags: [random] } }
            probes: { at: [5s] }
            """);
        // NF_NAT_RANGE_PROTO_RANDOM: the original port is never kept; two ports for one destination,
        // so the third flow's search (min(2, 128) tries, then "attempts >= range_size: return") ends on a
        // taken tuple and __nf_conntrack_confirm fails: insert_failed 1, drop 1.
        var ports = Rows(rows, "5", "nat").Select(r => r["nat_sport"]).Order().ToList();
        Assert.Equal(["20000", "20001"], ports);
        Assert.All(Rows(rows, "5", "nat"), r => Assert.Equal("192.0.2.9", r["nat_src"]));
        Assert.Empty(Rows(rows, "5", "conntrack", "z"));
        Assert.Equal("1", Counter(rows, "5", "conntrack_stats", "insert_failed"));
        Assert.Equal("1", Counter(rows, "5", "conntrack_stats", "drop"));
    }

    [Fact]
    public void Snat_address_range_spreads_clients_over_the_pool()
    {
        var rows = ProbesOf("""
            name: pool
            run: { duration: 10s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: t
                kind: script
                packets:
                  - { at: 1s, flow: a, proto: tcp, src: 10.0.0.1:40000, dst: 198.18.0.1:443, flags: [syn] }
                  - { at: 1s, flow: b, proto: tcp, src: 10.0.0.2:40000, dst: 198.18.0.1:443, flags: [syn] }
                  - { at: 1s, flow: c, proto: tcp, src: 10.0.0.3:40000, dst: 198.18.0.1:443, flags: [syn] }
            path:
              - forward: { snat: { address: 198.51.100.4-198.51.100.7, ports: 1024-65535, flags: [persistent] } }
            probes: { at: [2s] }
            """);
        // find_best_ips_proto picks from 198.51.100.4..7; with a port range that contains 40000 the
        // port is kept whenever the translated tuple is unique (different addresses, or a free port).
        Assert.Equal(3, Rows(rows, "2", "nat").Count);
        Assert.All(Rows(rows, "2", "nat"), r => Assert.Matches(@"^198\.51\.100\.[4-7]$", r["nat_src"]));
        Assert.All(Rows(rows, "2", "conntrack"), r => Assert.Equal(("SYN_SENT", "UNREPLIED", "119"), (r["state"], r["flags"], r["timeout"])));
    }

    [Fact]
    public void Flowtable_entries_and_offload_flags_appear_in_the_probes()
    {
        var rows = ProbesOf("""
            name: ft
            run: { duration: 10s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: s
                kind: script
                packets:
                  - { at: 0s, flow: t, proto: tcp, src: 10.0.0.1:40000, dst: 198.18.0.1:443, flags: [syn] }
                  - { at: 0.1s, flow: t, dir: reply, flags: [syn, ack] }
                  - { at: 0.2s, flow: t, flags: [ack] }
                  - { at: 1s, flow: t, flags: [fin, ack] }
            path:
              - forward: { flowtable: true }
            probes: { at: [0.5s, 1.5s] }
            """);
        // nft_flow_offload_eval: ESTABLISHED and ASSURED after the handshake ACK -> offloaded (IPS_OFFLOAD).
        Assert.Equal("ASSURED OFFLOAD", Row(rows, "0.5", "conntrack", "t")["flags"]);
        var f = Row(rows, "0.5", "flowtable", "t");
        // flow_offload_add: nf_flowtable_tcp_timeout 30 s from 0.2 s -> 29.7 s left.
        Assert.Equal(("tcp", "", "29"), (f["proto"], f["flags"], f["timeout"]));
        Assert.Equal(("198.18.0.1", "10.0.0.1", "443", "40000"), (f["reply_src"], f["reply_dst"], f["reply_sport"], f["reply_dport"]));
        // the FIN goes to the slow path and tears the flow down: FIN_WAIT, no OFFLOAD.
        var ct = Row(rows, "1.5", "conntrack", "t");
        Assert.Equal(("FIN_WAIT", "ASSURED"), (ct["state"], ct["flags"]));
        Assert.Contains("TEARDOWN", Row(rows, "1.5", "flowtable", "t")["flags"], StringComparison.Ordinal);
    }

    [Fact]
    public void Same_script_gives_byte_identical_probes()
    {
        string f = Example("script-nat-low-ports.yaml");
        Probes(f, "one");
        Probes(f, "two");
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "one", "probes.csv")), File.ReadAllBytes(Path.Combine(_dir, "two", "probes.csv")));
    }

    [Fact]
    public void A_sweep_keeps_the_probes_of_every_point_and_every_takes_periodic_snapshots()
    {
        string f = Path.Combine(_dir, "sw.yaml");
        File.WriteAllText(f, """
            name: sw
            run: { duration: 20s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - { name: s, kind: script, packets: [ { at: 0s, flow: a, proto: udp, src: 10.0.0.1:1000, dst: 10.0.0.2:53 } ] }
            path:
              - forward: { protocol: udp }
            probes: { every: 5s }
            sweep:
              path.forward.timeouts.udp: [30s, 12s]
            """);
        string outDir = Path.Combine(_dir, "sweep");
        var (code, _, err) = ScenarioRun.Lab("sweep", f, "--out", outDir, "--no-store");
        Assert.True(code == 0, err);
        var rows = ProbeCsv.Read(Path.Combine(outDir, "probes.csv")).Where(r => r["table"] == "conntrack").ToList();
        // every 5 s in a 20 s run: 5, 10, 15. Unreplied entry created at 0 s: timeout 30 s or 12 s; at 5 s,
        // 25 s = 6250 jiffies remain exactly -> 25 (and 7 with 12 s); at 15 s the 12 s entry is gone.
        Assert.Equal(["0:5:25", "0:10:20", "0:15:15", "1:5:7", "1:10:2"],
            rows.Select(r => $"{r["point"]}:{r["time_s"]}:{r["timeout"]}").ToList());
    }

    [Fact]
    public void Esp_through_forward_is_tracked_by_the_generic_tracker_and_natted_by_address_only()
    {
        var rows = ProbesOf("""
            name: espfw
            run: { duration: 10s }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: s
                kind: script
                packets:
                  - { at: 1s, flow: e, proto: esp, src: 10.0.0.1, dst: 198.18.0.1, seq: 1 }
                  - { at: 2s, flow: e, dir: reply, seq: 1 }
            path:
              - forward: { masquerade: true }
            probes: { at: [3s] }
            """);
        // nf_conntrack_proto_generic.c: 600 s from the reply at 2 s, no ASSURED; nf_nat_l4proto_unique_tuple
        // "default: return": no ports to change, only the address.
        var ct = Row(rows, "3", "conntrack", "e");
        Assert.Equal(("esp", "", "599", "203.0.113.1"), (ct["proto"], ct["flags"], ct["timeout"], ct["reply_dst"]));
    }

    [Fact]
    public void Lab_validate_refuses_a_script_outside_the_kernels_test_network_with_its_position()
    {
        string f = Path.Combine(_dir, "v.yaml");
        File.WriteAllText(f, "name: v\ntraffic:\n  - { name: s, kind: script, packets: [ { at: 0s, flow: a, proto: udp, src: 10.0.0.1:1, dst: 10.0.0.2:2 } ] }\npath:\n  - forward: { protocol: udp }\n");
        var (code, _, err) = ScenarioRun.Lab("validate", f, "--kernel", "host", "--out", Path.Combine(_dir, "vout"));
        Assert.Equal(2, code);
        // The DUT routes 198.18.0.0/15 to the server side (ForwardDutScripts): 10.0.0.2 is a client address there.
        Assert.Contains("v.yaml:3:5: lab validate: packet udp 10.0.0.1:1 -> 10.0.0.2:2: the kernel's test network puts clients in 10.0.0.0/8 and servers in 198.18.0.0/15", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "vout")));
    }

    [Fact]
    public void A_scenario_without_probes_writes_no_probes_file()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, """
            name: plain
            run: { duration: 1s }
            traffic:
              - { name: s, kind: script, packets: [ { at: 0s, flow: a, proto: udp, src: 10.0.0.1:1, dst: 10.0.0.2:2 } ] }
            path:
              - forward: { protocol: udp }
            """);
        string outDir = Path.Combine(_dir, "plain");
        var (code, _, err) = ScenarioRun.Lab("run", f, "--out", outDir, "--no-store");
        Assert.True(code == 0, err);
        Assert.False(File.Exists(Path.Combine(outDir, "probes.csv")));
    }

    [Theory]
    [InlineData("- { at: 0s, flow: a, proto: udp, dst: 10.0.0.2:53 }", 5, 9, "flow 'a' starts here without 'src'")]
    [InlineData("- { at: 0s, flow: a, dir: reply, proto: udp, src: 10.0.0.1:5, dst: 10.0.0.2:53 }", 5, 33, "found reply before any orig")]
    [InlineData("- { at: 2s, flow: a, proto: udp, src: 10.0.0.1:5, dst: 10.0.0.2:53 }\n      - { at: 1s, flow: a }", 6, 15, "expected times in order")]
    [InlineData("- { at: 0s, flow: a, proto: tcp, src: 10.0.0.1:5, dst: 10.0.0.2:80, flags: [syn, fni] }", 5, 88, "found 'fni' (did you mean 'fin'?)")]
    [InlineData("- { at: 0s, flow: a, proto: udp, src: 10.0.0.1:5, dst: 10.0.0.2:53, flags: [syn] }", 5, 82, "TCP flags on a udp packet")]
    [InlineData("- { at: 0s, flow: a, proto: udp, src: 10.0.0.1, dst: 10.0.0.2:53 }", 5, 45, "expected ADDRESS:PORT")]
    [InlineData("- { at: 0s, flow: a, proto: udp, src: 10.0.0.1:5, dst: 10.0.0.2:53, spi: 5 }", 5, 80, "only ESP packets carry an SPI")]
    public void Script_errors_name_file_line_and_column_and_exit_2(string packet, int line, int column, string message)
    {
        string f = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(f, "name: bad\ntraffic:\n  - name: s\n    kind: script\n    packets:\n      " + packet + "\npath:\n  - forward: { protocol: udp }\n");
        // line numbers above count from the packets: key (line 5): the first packet is on line 6.
        var (code, stdout, err) = ScenarioRun.Lab("run", f, "--out", Path.Combine(_dir, "never"), "--no-store");
        Assert.Equal(2, code);
        Assert.Contains($"bad.yaml:{line + 1}:{column}", err, StringComparison.Ordinal);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
        Assert.Equal("", stdout);
    }

    [Fact]
    public void A_script_beside_generated_traffic_runs_at_every_point_of_a_sweep_with_that_points_values()
    {
        // scenarios/examples/script-sweep-mixed.yaml: the DNS query at 0 s and its reply at 1.5 s beside a cbr generator,
        // swept over timeouts.udp (nf_conntrack_proto_udp.c, 6.18; conntrack -L prints whole seconds, rounded down).
        var rows = Probes(Example("script-sweep-mixed.yaml"));
        var metrics = File.ReadAllLines(Path.Combine(_dir, "out", "metrics.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => (c[0], c[3]), c => c[5]);
        List<Dictionary<string, string>> At(string point, string time, string flow) =>
            rows.Where(r => r["point"] == point && r["time_s"] == time && r["table"] == "conntrack" && r["flow"] == flow).ToList();

        // udp 1s: the entry of 0 s expired at 1 s; the reply at 1.5 s has nothing to translate it back: no route.
        Assert.Empty(At("0", "1.2", "q"));
        Assert.Empty(At("0", "2", "q"));
        Assert.Equal("1", metrics[("0", "drop.forward.no_route")]);
        // udp 3s: 1.8 s left at 1.2 s, unreplied; the reply refreshes it by 3 s (IPS_SEEN_REPLY is set after the
        // tracker ran, and 1.5 s is not after stream_ts = 2 s): 2.5 s left at 2 s, replied, not ASSURED.
        var q = Assert.Single(At("1", "1.2", "q"));
        Assert.Equal(("UNREPLIED", "1", "5000"), (q["flags"], q["timeout"], q["reply_dport"]));
        q = Assert.Single(At("1", "2", "q"));
        Assert.Equal(("", "2"), (q["flags"], q["timeout"]));
        Assert.Equal("0", metrics[("1", "drop.forward.no_route")]);
        // The generator's 4 flows (subscribers 10.0.0.1-4, unlabelled) are listed at both points and both probes: their
        // packets, about 4 ms apart per flow, keep them alive even at udp 1s.
        foreach (var point in new[] { "0", "1" })
            foreach (var time in new[] { "1.2", "2" })
                Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"], At(point, time, "").Select(r => r["src"]).Order(StringComparer.Ordinal));
        // Offered: 10 Mbit/s of 1250 B frames, 1270 B on the wire with preamble and gap: 10e6 / (1270 x 8) = 984.25 frames/s,
        // 2953 in 3 s (the first at 0 s), plus the script's 2 packets: 2955 / 3 s = 985 pps at both points.
        Assert.Equal(985, double.Parse(metrics[("0", "offered_pps")], CultureInfo.InvariantCulture), 6);
        Assert.Equal(985, double.Parse(metrics[("1", "offered_pps")], CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void A_sweep_can_move_a_scripted_packet()
    {
        // traffic.NAME.packets.K.at addresses the script's own packet K: the reply at 0.5 s finds its entry (udp 1s), the
        // one at 1.5 s does not and is dropped at routing.
        string yaml = File.ReadAllText(Example("script-sweep-mixed.yaml"))
            .Replace("path.forward.timeouts.udp: [1s, 3s]", "traffic.dns.packets.1.at: [0.5s, 1.5s]", StringComparison.Ordinal)
            .Replace("timeouts: { udp: 3s }", "timeouts: { udp: 1s }", StringComparison.Ordinal);
        var m = ScenarioRun.Metrics(_dir, yaml);
        Assert.Equal(0, m[(0, "drop.forward.no_route")]);
        Assert.Equal(1, m[(1, "drop.forward.no_route")]);
    }

    [Fact]
    public void Ipv6_flows_are_tracked_masqueraded_and_expire_as_ipv4_ones_beside_them()
    {
        var rows = Probes(Example("script-ipv6-nat.yaml"));
        // Masquerade translates IPv6 to the out interface's IPv6 address (nf_nat_masquerade_ipv6), port 5000 kept;
        // the tuple as conntrack -L prints it (RFC 5952). UNREPLIED, 30 s -> 29 s left at 0.5 s, as dns4 beside it.
        var d = Row(rows, "0.5", "conntrack", "dns6");
        Assert.Equal(("2001:db8:1::2", "2001:db8:2::1", "5000", "53"), (d["src"], d["dst"], d["sport"], d["dport"]));
        Assert.Equal(("2001:db8:2::1", "2001:db8:ffff::1", "53", "5000"), (d["reply_src"], d["reply_dst"], d["reply_sport"], d["reply_dport"]));
        Assert.Equal(("UNREPLIED", "29"), (d["flags"], d["timeout"]));
        Assert.Equal(("UNREPLIED", "29"), (Row(rows, "0.5", "conntrack", "dns4")["flags"], Row(rows, "0.5", "conntrack", "dns4")["timeout"]));
        var nat = Row(rows, "0.5", "nat", "dns6");
        Assert.Equal(("2001:db8:ffff::1", "5000", "SNAT"), (nat["nat_src"], nat["nat_sport"], nat["flags"]));
        // IPv4 rows first (sorted by family, then tuple).
        Assert.Equal(["dns4", "dns6", "web6"], Rows(rows, "0.5", "conntrack").Select(r => r["flow"]));
        // The reply at 1 s refreshes with 30 s (SEEN_REPLY set after the tracker); the packet at 3 s, after stream_ts
        // (0 s + 2 s), makes it ASSURED with 120 s: 119 s left at 3.5 s; expired at 123 s, so absent at 124 s.
        Assert.Equal(("", "29"), (Row(rows, "1.5", "conntrack", "dns6")["flags"], Row(rows, "1.5", "conntrack", "dns6")["timeout"]));
        Assert.Equal(("ASSURED", "119"), (Row(rows, "3.5", "conntrack", "dns6")["flags"], Row(rows, "3.5", "conntrack", "dns6")["timeout"]));
        Assert.Empty(Rows(rows, "124", "conntrack", "dns6"));
        // TCP: SYN_SENT 120 s, SYN_RECV 60 s, ESTABLISHED 5 days (432000 s) and ASSURED, FIN_WAIT 120 s, TIME_WAIT 120 s
        // from 13 s: 9 s left at 124 s, gone at 134 s.
        string[] states = ["SYN_SENT/119", "SYN_RECV/59", "ESTABLISHED/431999", "ESTABLISHED/431998", "FIN_WAIT/119", "TIME_WAIT/119", "TIME_WAIT/9"];
        string[] times = ["0.5", "1.5", "2.5", "3.5", "10.5", "13.5", "124"];
        Assert.Equal(states, times.Select(t => Row(rows, t, "conntrack", "web6") is var w ? $"{w["state"]}/{w["timeout"]}" : ""));
        Assert.Empty(Rows(rows, "134", "conntrack", "web6"));
        // conntrack -S counts both families together (one table): three entries inserted.
        Assert.Equal("3", Counter(rows, "3.5", "conntrack_stats", "insert"));
        Assert.Equal("3", Counter(rows, "3.5", "conntrack_stats", "nf_conntrack_count"));
    }

    [Fact]
    public void Late_ipv6_replies_to_the_masquerade_address_are_dropped_for_no_route_as_ipv4_ones()
    {
        // script-nat-no-route.yaml's late-syn and late-udp in IPv6: the entries expire after 1 s, the replies at 1.5 s
        // and 1.6 s to [2001:db8:ffff::1] find none, are not de-NATed, and the DUT has no route for the address
        // (ip6_route_input -> ip6_pkt_drop, IP_INNOROUTES): two no-route drops, none before the entries expired.
        string yaml = """
            name: v6-no-route
            run: { duration: 3s, seed: 1 }
            outputs: { timeseries: 0s, latency_cdf: false }
            traffic:
              - name: stale
                kind: script
                packets:
                  - { at: 0s,   flow: late-syn, proto: tcp, src: "[2001:db8:1::2]:5001", dst: "[2001:db8:2::1]:80", flags: [syn] }
                  - { at: 0.1s, flow: late-udp, proto: udp, src: "[2001:db8:1::3]:5000", dst: "[2001:db8:2::1]:53" }
                  - { at: 0.5s, flow: late-udp, dir: reply }
                  - { at: 1.5s, flow: late-syn, dir: reply, flags: [syn, ack] }
                  - { at: 1.6s, flow: late-udp, dir: reply }
            path:
              - forward: { masquerade: true, timeouts: { tcp_syn_sent: 1s, udp: 1s } }
            """;
        var m = ScenarioRun.Metrics(_dir, yaml);
        Assert.Equal(2, m[(0, "drop.forward.no_route")]);
        Assert.Equal(5, m[(0, "forward.packets")]);
    }

    [Fact]
    public void A_script_flow_mixing_families_is_refused_with_the_position()
    {
        string f = Path.Combine(_dir, "v6.yaml");
        File.WriteAllText(f, "name: v6\ntraffic:\n  - name: s\n    kind: script\n    packets:\n      - { at: 0s, flow: a, proto: udp, src: \"[2001:db8::1]:5\", dst: 198.18.0.1:53 }\npath:\n  - forward: { protocol: udp }\n");
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        Assert.Contains("v6.yaml:6:", err, StringComparison.Ordinal);
        Assert.Contains("expected the same address family as src (IPv6), found IPv4", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("masquerade: { address: 192.0.2.1-192.0.2.2 }", "expected an IPv4 address")]
    [InlineData("masquerade: { addresses: 2 }", "addresses")]
    [InlineData("masquerade: { flags: [random, sticky] }", "expected random, fully-random or persistent, found 'sticky'")]
    [InlineData("snat: { address: 192.0.2.9-192.0.2.1 }", "expected an address or a range FIRST-LAST")]
    [InlineData("snat: { address6: 192.0.2.1 }", "forward.snat.address6: expected an IPv6 address or a range FIRST-LAST (2001:db8:ffff::1-2001:db8:ffff::8), found '192.0.2.1'")]
    [InlineData("snat: { address6: 2001:db8::9-2001:db8::1 }", "expected an IPv6 address or a range FIRST-LAST")]
    [InlineData("masquerade: { address6: 2001:db8::1-2001:db8::2 }", "masquerade translates to the interface's one address, found the range '2001:db8::1-2001:db8::2'")]
    public void Bad_nat_options_exit_2(string nat, string message)
    {
        string f = Path.Combine(_dir, "nat.yaml");
        File.WriteAllText(f, $"name: nat\ntraffic:\n  - {{ name: t, kind: poisson, rate: 1Mbit/s }}\npath:\n  - forward: {{ {nat} }}\n");
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        Assert.Contains("nat.yaml:5:", err, StringComparison.Ordinal);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("probes: { at: [2s] }", "expected a time from 0s to before run.duration")]
    [InlineData("probes: { at: [soon] }", "expected durations such as [1s, 29s], found 'soon'")]
    [InlineData("probes: {}", "expected 'at' (a list of times) or 'every'")]
    public void Bad_probes_exit_2(string probes, string message)
    {
        string f = Path.Combine(_dir, "p.yaml");
        File.WriteAllText(f, $"name: p\nrun: {{ duration: 1s }}\ntraffic:\n  - {{ name: t, kind: poisson, rate: 1Mbit/s }}\npath:\n  - forward: {{}}\n{probes}\n");
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        Assert.Contains("p.yaml:7:", err, StringComparison.Ordinal);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }
}

/// <summary>Reads probes.csv (RESULTS-FORMAT.md): the header names the columns; no value contains a comma.</summary>
static class ProbeCsv
{
    public static List<Dictionary<string, string>> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l =>
        {
            var cells = l.Split(',');
            Assert.Equal(header.Length, cells.Length);
            return header.Zip(cells).ToDictionary(x => x.First, x => x.Second, StringComparer.Ordinal);
        }).ToList();
    }
}
