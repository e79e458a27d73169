using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>The cellular bearer in the packet path (replay drops from its reordering), lab reorder, the keepalive sweep.</summary>
public sealed class CellularScenarioTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-cellular-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    Dictionary<(int Point, string Metric), double> RunScenario(string yaml) => ScenarioRun.Metrics(_dir, yaml);

    // NR with LTE's timing (1 ms slots at numerology 0, 8 processes, 8 ms round trip): out-of-order delivery is
    // NR's (LTE delivers in order and refuses it). 1230 B frames at 80 Mbit/s: 10,000 wire bits each, one every 125 us, 8 per 1 ms TTI. The carrier
    // (1 Gbit/s: 10^6 bits per block) takes each TTI's 8 packets in one block at the next 1 ms tick: ESP
    // sequence numbers 8j-7 .. 8j go in the block of tick j and arrive 1 ms later. Every 10th block fails
    // once and arrives 8 ms later, at j + 9 ms. At tick j + 8 all 8 HARQ processes are busy (block j's
    // until j + 16, blocks j+1 .. j+7 until j+9 .. j+15): no block; tick j + 9 carries 16 packets.
    // Failing ticks: 10, 21, 32, ... (11 apart: the stalled tick forms no block).
    // When block j arrives, blocks up to tick j + 7 have: top = 8j + 56. Its packets lie 63 .. 56 below
    // the top: all dropped as too old by a 32-packet window, none by 64; the smallest window is 64.
    // Measured over [20, 120) ms: the blocks of failing ticks 21 .. 109 (arriving 30 .. 118 ms): 9 x 8 = 72
    // packets. Delivered in the window: the blocks of ticks 19 .. 118, which hold the packets that reached
    // the bearer in (17, 118] ms (tick 18 stalls): 101 x 8 = 808, so the probe sees 8080 packets/s.
    // RFC 4737: the k-th packet of a late block is received 56 + k - 1 positions after the first packet of
    // the next block, its first larger packet: extents 56 .. 63, max 63, mean 59.5.
    const string HarqEveryTenthBlock = """
        name: cellular-harq
        run: { duration: 120ms, warmup: 20ms, seed: 1 }
        traffic:
          - { name: t, kind: cbr, rate: 80Mbit/s, size: 1230B }
        path:
          - esp_out:  { mode: tunnel }
          - cellular: { radio: nr, numerology: 0, harq_rtt: 8ms, harq_processes: 8, delivery: out-of-order, rate: 1Gbit/s, retransmission_probability: 0, retransmit_every: 10, base_delay: 0s }
          - reorder_probe: {}
          - esp_in:   { window: 32, per_packet: 10ns, cycles_per_byte: 0 }
        outputs: { timeseries: 0s }
        sweep:
          path.esp_in.window: [32, 64]
        """;

    [Fact]
    public void Harq_retransmissions_cost_a_32_window_every_late_block_and_a_64_window_nothing()
    {
        var m = RunScenario(HarqEveryTenthBlock);
        Assert.Equal(72, m[(0, "esp_in.replay_window")]);
        Assert.Equal(72, m[(0, "drop.esp_in.replay_window")]);
        Assert.Equal(0, m[(1, "esp_in.replay_window")]);
        Assert.Equal(0, m[(1, "drops_total")]);
        Assert.Equal(808, m[(1, "reorder.received")]);
        Assert.Equal(72.0 / 808, m[(1, "reorder.reordered_ratio")], 12);
        Assert.Equal(64, m[(1, "reorder.min_window")]);
        Assert.Equal(63, m[(1, "reorder.max_extent")]);
        Assert.Equal(59.5, m[(1, "reorder.mean_extent")], 12);
        // The bearer never lost or discarded anything: the drops are the replay window's alone.
        Assert.Equal(0, m[(0, "drop.cellular.pdcp_discard")] + m[(0, "drop.cellular.harq_failure")] + m[(0, "drop.cellular.queue_full")]);
    }

    [Fact]
    public void The_rule_of_thumb_against_the_simulated_minimum_window()
    {
        // The rule window >= rate x worst reorder delay, checked against the simulation's 64.
        // With the HARQ round trip as the delay: 8000/s x 8 ms = 64, exact.
        // With the RFC 4737 late time offset a receiver can measure: the last packet of a late block waits
        // (j + 9 ms + 7 x 70 ns of esp_in work ahead of it) - (j + 2 ms, the next block) = 7.00049 ms;
        // 8080/s x 7.00049 ms = 56.56 -> 57: one TTI of packets short (they waited in the block already).
        // With the one-way delay excess over the packet that set the top: the first packet of block j is sent
        // at j - 1 ms and arrives at j + 9 ms (10 ms); the top, 8j + 56, sent at j + 6.875 ms, arrives at
        // j + 8 ms + 7 x 70 ns (1.12549 ms): 8.87451 ms x 8080/s = 71.7 -> 72: an upper bound, 8 over.
        var m = RunScenario(HarqEveryTenthBlock);
        Assert.Equal(7000.49, m[(1, "reorder.max_late_time_offset_us")], 2);
        Assert.Equal(57, m[(1, "reorder.rule_window")]);
        Assert.Equal(72, m[(1, "reorder.rule_window_delay")]);
        Assert.True(m[(1, "reorder.rule_window")] < m[(1, "reorder.min_window")]);
        Assert.True(m[(1, "reorder.rule_window_delay")] > m[(1, "reorder.min_window")]);
    }

    [Fact]
    public void Two_dscp_classes_on_one_sa_cause_replay_drops_only_when_the_bearer_prioritises()
    {
        // RFC 4301 section 4.1. EF (46) and best effort share one SA. The carrier (10 Mbit/s: one 1250 B
        // block per TTI, about one 1230 B frame) is loaded to 1.6x by both, so both queues build; with EF
        // in its own strict-priority class, best-effort packets wait behind later-numbered EF packets.
        const string Yaml = """
            name: cellular-dscp
            run: { duration: 150ms, warmup: 20ms, seed: 2 }
            traffic:
              - { name: ef, kind: cbr, rate: 8Mbit/s, size: 1230B, dscp: 46 }
              - { name: be, kind: cbr, rate: 8Mbit/s, size: 1230B, dscp: 0 }
            path:
              - esp_out:  { mode: tunnel }
              - cellular: { rate: 10Mbit/s, retransmission_probability: 0, base_delay: 0s, priority_dscp: "46" }
              - reorder_probe: {}
              - esp_in:   { window: 32 }
            outputs: { timeseries: 0s }
            sweep:
              path.cellular.priority_dscp: ["46", ""]
            """;
        var m = RunScenario(Yaml);
        Assert.True(m[(0, "esp_in.replay_window")] > 0, "best effort overtaken by more than 32 EF packets must be dropped");
        Assert.True(m[(0, "reorder.min_window")] > 32);
        Assert.Equal(0, m[(1, "esp_in.replay_window")]);
        Assert.Equal(0, m[(1, "reorder.reordered_ratio")]);
    }

    // 100 packets, one every 0.1 ms (packet k at k x 0.1 ms), except 10, which arrives at 6.05 ms, just after 60.
    string LatePacketList()
    {
        var lines = new List<string> { "# seq  arrival" };
        for (int k = 1; k <= 100; k++)
        {
            if (k == 10) continue;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{k} {k * 100}us"));
            if (k == 60) lines.Add("10 6050us");
        }
        string f = Path.Combine(_dir, "arrivals.txt");
        File.WriteAllLines(f, lines);
        return f;
    }

    [Fact]
    public void Lab_reorder_prints_the_metrics_the_drops_per_window_and_the_rule_of_thumb()
    {
        // 10 arrives with top 60: distance 50, so 51 is the smallest window. RFC 4737: position 60, first larger
        // (11) at position 10: extent 50; late time offset 6.05 - 1.1 = 4.95 ms. RFC 5236 (DT 64): 11 .. 60 take
        // RI 10 .. 59 (D = -1, 50 packets), 10 takes RI 60 (D = +50), 49 in place: displaced 51/100.
        // Rate: 99 gaps over 0.1 .. 10 ms = 10,000/s; rule 10,000 x 4.95 ms = 49.5 -> 50 against 51.
        var (code, output, err) = Lab("reorder", LatePacketList(), "--windows", "32,64");
        Assert.True(code == 0, err);
        Assert.Contains("rfc4737 reordered   1 (ratio 0.010000)", output, StringComparison.Ordinal);
        Assert.Contains("rfc4737 extent      max 50, mean 50.00", output, StringComparison.Ordinal);
        Assert.Contains("rfc4737 late time   max 4.95ms", output, StringComparison.Ordinal);
        Assert.Contains("sequence distance   max 50 (smallest window without too-old drops 51)", output, StringComparison.Ordinal);
        Assert.Contains("rfc5236 rd          DT 64: displaced 0.510000, max displacement 50, RD[-1] 0.500000, RD[0] 0.490000, RD[+1] 0.000000", output, StringComparison.Ordinal);
        Assert.Contains("replay mode bmp", output, StringComparison.Ordinal);
        Assert.Contains("32      1      1              0       0", output, StringComparison.Ordinal);
        Assert.Contains("64      0      0              0       0", output, StringComparison.Ordinal);
        Assert.Contains("minimum window      51 (drops <= 0)", output, StringComparison.Ordinal);
        Assert.Contains("rule of thumb       window >= rate x worst reorder delay = 10000.0 pkt/s x 4.95ms = 49.5 -> 50; kernel replay minimum 51 (the rule is 1 short)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Lab_reorder_target_and_legacy_clamp()
    {
        // Allowing one drop, window 1 already suffices (only 10 is ever late). Legacy clamps at 32: 64 acts as 32.
        var (_, output, _) = Lab("reorder", LatePacketList(), "--target", "1", "--mode", "legacy", "--windows", "64");
        Assert.Contains("minimum window      1 (drops <= 1)", output, StringComparison.Ordinal);
        Assert.Contains("64      1      1              0       0  (clamped to 32)", output, StringComparison.Ordinal);
        var (_, strict, _) = Lab("reorder", LatePacketList(), "--mode", "legacy");
        Assert.Contains("minimum window      none up to 32 (drops stay above 0; legacy clamps the window to 32: use bmp or esn)", strict, StringComparison.Ordinal);
    }

    [Fact]
    public void Lab_reorder_reads_esp_sequence_numbers_from_a_pcap()
    {
        // Real AES-GCM ESP frames with sequence numbers 1 2 4 5 3 6, 1 ms apart: 3 is 2 below the top.
        string path = Path.Combine(_dir, "esp.pcap");
        EspTestCapture.Write(path);
        var (code, output, err) = Lab("reorder", path, "--pcap", "--windows", "2,3");
        Assert.True(code == 0, err);
        Assert.Contains($"input               {path} (SPI 0x1234): 6 arrivals (with arrival times)", output, StringComparison.Ordinal);
        Assert.Contains("sequence distance   max 2 (smallest window without too-old drops 3)", output, StringComparison.Ordinal);
        Assert.Contains("2       1      1              0       0", output, StringComparison.Ordinal);
        Assert.Contains("minimum window      3 (drops <= 0)", output, StringComparison.Ordinal);
        // 3 at 4 ms, its first larger (4) at 2 ms: 2 ms; rate 5 gaps / 5 ms = 1000/s: 2 -> 2 against 3.
        Assert.Contains("rule of thumb       window >= rate x worst reorder delay = 1000.0 pkt/s x 2ms = 2.0 -> 2; kernel replay minimum 3 (the rule is 1 short)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1\n2\nx3\n", "arrivals.txt:3:1: expected a sequence number (decimal or 0x hex, below 2^63), found 'x3'")]
    [InlineData("1 1ms\n2\n", "arrivals.txt:2:2: expected an arrival time after the sequence number, as on the first line")]
    [InlineData("1 1ms\n2 2xs\n", "arrivals.txt:2:3: ")]
    [InlineData("1 2ms\n2 1ms\n", "arrivals.txt:2:3: expected arrival times in order, found 1ms after 2ms")]
    [InlineData("1 1ms extra\n", "arrivals.txt:1:7: expected at most two fields (SEQ TIME), found 'extra'")]
    [InlineData("# nothing\n", "arrivals.txt: expected at least one sequence number, found none")]
    public void Lab_reorder_bad_input_exits_2_with_file_line_column(string content, string message)
    {
        string f = Path.Combine(_dir, "arrivals.txt");
        File.WriteAllText(f, content);
        var (code, output, err) = Lab("reorder", f);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("lab: error: " + f[..^"arrivals.txt".Length] + message, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--windows", "32,0", "--windows: expected comma-separated windows 1..4096, found '0'")]
    [InlineData("--mode", "xyz", "--mode: expected legacy, bmp or esn, found 'xyz'")]
    [InlineData("--spi", "zz", "--spi: expected a number 0..4294967295, decimal or 0x hex, found 'zz'")]
    public void Lab_reorder_bad_flags_exit_2(string flag, string value, string message)
    {
        string f = Path.Combine(_dir, "arrivals.txt");
        File.WriteAllText(f, "1\n");
        var (code, _, err) = Lab("reorder", f, flag, value);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Keepalive_interval_sweep_against_a_nat_timeout()
    {
        // A fixed 30 s NAT timeout over 1 h. Every 20 s: 179 keepalives (20 .. 3580 s), the mapping never expires.
        // Every 60 s: 59 keepalives (60 .. 3540 s), each finds the mapping gone (60 > 30): 59 losses, each
        // re-established with IKE (a NAT-T keepalive is not authenticated), plus the loss after the last one.
        var (code, output, err) = Lab("power", "keepalive", "--interval", "20s,60s", "--nat-timeout", "30s", "--duration", "1h");
        Assert.True(code == 0, err);
        Assert.Contains("nat timeout         30s", output, StringComparison.Ordinal);
        Assert.Contains("interval  sent    mappings-lost  re-established  radio-W  total-W  daily-Wh  battery-%", output, StringComparison.Ordinal);
        Assert.Matches(@"\n20s\s+179\s+0\s+0\s", output);
        Assert.Matches(@"\n1min\s+59\s+60\s+59\s", output);
        Assert.Contains("longest interval that never lost a mapping: 20s", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("uniform:30s", "--nat-timeout: expected uniform:MIN..MAX such as uniform:30s..300s, found 'uniform:30s'")]
    [InlineData("uniform:60s..30s", "--nat-timeout: expected 0 < MIN <= MAX, found 'uniform:60s..30s'")]
    [InlineData("30", "--nat-timeout: expected a duration such as 10ms, 1.2us or 20s, found '30' (the unit is missing)")]
    public void Keepalive_sweep_bad_nat_timeout_exits_2(string value, string message)
    {
        var (code, _, err) = Lab("power", "keepalive", "--interval", "20s,60s", "--nat-timeout", value);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_scenario_checks()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        var (code, output, err) = Lab("check", Path.Combine(root, "scenarios", "examples", "cellular-replay-window.yaml"));
        Assert.True(code == 0, err + output);
    }
}
