using System.Text;
using Lab.Captures.Pcap;

namespace Lab.Cli.Tests;

/// <summary>Issue 16, items 3, 7, 8, 14 and 15 through the command line: exit 2, one clear line, nothing written.</summary>
public sealed class HostileInputTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    const string Good = """
        name: t
        run: { duration: 10ms }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s }
        path:
          - link: { rate: 10Gbit/s }
        """;

    string Write(string name, string text)
    {
        string f = Path.Combine(_dir, name);
        File.WriteAllText(f, text);
        return f;
    }

    void AssertRefused((int Code, string Out, string Err) r, string outDir, params string[] fragments)
    {
        Assert.Equal(2, r.Code);
        foreach (var f in fragments) Assert.Contains(f, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Stack overflow", r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "nothing may be written on bad input");
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_dir), e => Path.GetFileName(e).StartsWith('.'));
    }

    (int, string, string) CheckAndRun(string file, string outDir, params string[] extra)
    {
        var check = Lab(["check", file, .. extra]);
        var run = Lab(["run", file, "--out", outDir, "--no-store", .. extra]);
        Assert.Equal(check.Code, run.Code);
        Assert.Equal(check.Err, run.Err);
        return run;
    }

    [Fact]
    public void Extends_to_etc_shadow_prints_none_of_its_lines()
    {
        // The issue's own case: a relative path up to /etc/shadow (root may read it; its lines must not appear).
        string shadow = File.Exists("/etc/shadow") ? "/etc/shadow" : Write("shadow", "root:*:20228:0:99999:7:::\n");
        string f = Write("s.yaml", $"name: x\nextends: {Path.GetRelativePath(_dir, shadow)}\n");
        string outDir = Path.Combine(_dir, "out");
        var r = CheckAndRun(f, outDir);
        AssertRefused(r, outDir, $"{f}:2:10: extends: expected a YAML scenario file (.yaml or .yml), found 'shadow'");
        Assert.Single(r.Item3.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        foreach (var line in File.ReadLines(shadow).Where(l => l.Length > 0)) Assert.DoesNotContain(line.Split(':')[0] + ":", r.Item3, StringComparison.Ordinal);
    }

    [Fact]
    public void A_billion_laughs_bomb_is_refused_by_check_and_run()
    {
        var sb = new StringBuilder(Good + "\ndescription: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i <= 8; i++) sb.Append($"x{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");
        string outDir = Path.Combine(_dir, "out");
        AssertRefused(CheckAndRun(Write("bomb.yaml", sb.ToString()), outDir), outDir, "expected at most 1000000 YAML nodes with every alias expanded");
    }

    [Fact]
    public void A_hundred_thousand_nested_brackets_give_a_clean_error()
    {
        string f = Write("deep.yaml", "name: " + new string('[', 100_000) + "\n");
        string outDir = Path.Combine(_dir, "out");
        var r = CheckAndRun(f, outDir);
        AssertRefused(r, outDir);
        Assert.Equal($"lab: error: {f}:1:70: expected mappings and lists nested at most 64 deep, found deeper nesting here", r.Item3.Trim());
    }

    [Fact]
    public void A_picosecond_time_series_is_refused_before_running()
    {
        string f = Write("s.yaml", Good + "\noutputs: { timeseries: 1ps }\n");
        string outDir = Path.Combine(_dir, "out");
        var r = CheckAndRun(f, outDir);
        // 10 ms / 1 ps = 10^10 samples; 10^10 ps / 10^6 samples = 10 ns is the smallest interval that fits.
        AssertRefused(r, outDir, $"{f}:7:24: outputs.timeseries: expected at most 1000000 time-series samples per run, found an estimate of 10000000000 " +
            "(run.duration 10ms / 1ps = 10000000000 per replication x 1 replication(s)); use an interval of at least 10ns, or 0s to turn the time series off");
    }

    [Fact]
    public void The_time_series_estimate_counts_the_replications_flag()
    {
        // 10 ms / 10 us = 1000 samples per replication; x 1001 replications passes 10^6.
        string f = Write("s.yaml", Good + "\noutputs: { timeseries: 10us }\n");
        string outDir = Path.Combine(_dir, "out");
        AssertRefused(Lab("run", f, "--replications", "1001", "--out", outDir, "--no-store"), outDir,
            "found an estimate of 1001000 (run.duration 10ms / 10us = 1000 per replication x 1001 replication(s))");
    }

    [Fact]
    public void A_replications_flag_out_of_range_names_the_flag()
    {
        string f = Write("s.yaml", Good);
        string outDir = Path.Combine(_dir, "out");
        var r = Lab("run", f, "--replications", "1000000000", "--out", outDir, "--no-store");
        AssertRefused(r, outDir);
        Assert.Equal("lab: error: --replications 1000000000: run.replications: expected an integer from 1 to 10000, found 1000000000", r.Err.Trim());
        var sweep = Lab("sweep", f, "--replications", "0", "--out", outDir, "--no-store");
        Assert.Equal(2, sweep.Code);
        Assert.Equal("lab: error: --replications 0: run.replications: expected an integer from 1 to 10000, found 0", sweep.Err.Trim());
    }

    [Theory]
    [InlineData("pps:1e-300", "--timing: expected pps:N with N from 0.001 to 1000000000000 packets/s, found 'pps:1e-300'")]
    [InlineData("mbps:1e-300", "--timing: expected mbps:N with N from 1E-06 to 1000000000 Mbit/s, found 'mbps:1e-300'")]
    [InlineData("pps:1e300", "--timing: expected pps:N with N from 0.001 to 1000000000000 packets/s, found 'pps:1e300'")]
    public void A_replay_rate_that_would_overflow_the_schedule_names_the_flag(string timing, string message)
    {
        var r = Lab("replay", Path.Combine(_dir, "none.pcap"), "--iface", "lo", "--timing", timing);
        Assert.Equal(2, r.Code);
        Assert.Equal("lab: error: " + message, r.Err.Trim());
    }

    [Fact]
    public void A_pcap_file_that_is_not_a_pcap_is_refused_by_check()
    {
        Write("notes.pcap", "these are notes, not a capture at all\n");
        string f = Write("p.yaml", "name: t\ntraffic: [{ name: c, kind: pcap, file: notes.pcap }]\npath: [{ link: { rate: 1Gbit/s } }]\n");
        string outDir = Path.Combine(_dir, "out");
        // "thes" = 74 68 65 73.
        AssertRefused(CheckAndRun(f, outDir), outDir,
            $"{f}:2:40: traffic[0].file: 'notes.pcap' is not a usable pcap: offset 0: expected pcap magic a1b2c3d4 or a1b23c4d in either byte order, or a pcapng Section Header Block 0a0d0d0a, found 74686573");
    }

    [Fact]
    public void A_pcapng_file_with_a_broken_section_header_is_refused_by_check_with_the_offset()
    {
        // A Section Header Block is type (4 bytes), total length (4), then the byte-order magic at offset 8: here zeros.
        File.WriteAllBytes(Path.Combine(_dir, "c.pcapng"), [0x0A, 0x0D, 0x0D, 0x0A, .. new byte[28]]);
        string f = Write("p.yaml", "name: t\ntraffic: [{ name: c, kind: pcap, file: c.pcapng }]\npath: [{ link: { rate: 1Gbit/s } }]\n");
        var r = Lab("check", f);
        Assert.Equal(2, r.Code);
        Assert.Contains("'c.pcapng' is not a usable pcap: offset 8: Section Header Block: expected byte-order magic 1a2b3c4d in either byte order, found 00000000", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_record_earlier_than_the_first_counts_from_the_earliest()
    {
        // Records at 1.000010 s, 1.000000 s, 1.000020 s: sent at 10 us, 0 and 20 us; all three arrive in a 1 ms run.
        string pcap = Path.Combine(_dir, "t.pcap");
        using (var w = PcapWriter.Create(pcap))
        {
            foreach (long t in new[] { 1_000_010_000L, 1_000_000_000L, 1_000_020_000L }) w.Write(t, new byte[60]);
            w.Commit();
        }
        var m = ScenarioRun.Metrics(_dir, "name: c\nrun: { duration: 1ms }\ntraffic: [{ name: c, kind: pcap, file: t.pcap }]\npath: [{ link: { rate: 10Gbit/s } }]\noutputs: { timeseries: 0s }\n");
        Assert.Equal(3 / 1e-3, m[(0, "delivered_pps")]);
    }

    [Fact]
    public void A_capture_record_longer_than_any_snapshot_is_refused_at_run()
    {
        string pcap = Path.Combine(_dir, "t.pcap");
        using (var w = PcapWriter.Create(pcap))
        {
            w.Write(1_000_000_000L, new byte[60], originalLength: 300_000);
            w.Commit();
        }
        string f = Write("p.yaml", "name: c\nrun: { duration: 1ms }\ntraffic: [{ name: c, kind: pcap, file: t.pcap }]\npath: [{ link: { rate: 10Gbit/s } }]\n");
        string outDir = Path.Combine(_dir, "out");
        // The first record header starts after the 24-byte file header; orig_len is its fourth field, at 24 + 12 = 36.
        AssertRefused(Lab("run", f, "--out", outDir, "--no-store"), outDir,
            $"{pcap}: offset 36: record 1: expected an original length of at most 262144 bytes, found 300000");
    }

    [Fact]
    public void A_duplicate_key_is_named()
    {
        string f = Write("s.yaml", Good + "\nname: u\n");
        var r = Lab("check", f);
        Assert.Equal(2, r.Code);
        Assert.Equal($"lab: error: {f}:7:1: duplicate key 'name' (first at line 1, column 1); each key may appear once in a mapping", r.Err.Trim());
    }

    [Theory]
    [InlineData("1ps")]
    [InlineData("10s,1ps")]
    public void A_keepalive_interval_too_short_for_the_duration_names_the_flag(string intervals)
    {
        // 1 s / 1 ps + 1 = 10^12 + 1 keepalives; 10^12 ps / 10^7 + 1 ps = 100.001 ns is the shortest that fits.
        var r = Lab("power", "keepalive", "--radio", "lte", "--interval", intervals, "--duration", "1s");
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Out);
        Assert.Equal("lab: error: --interval: expected at most 10000000 keepalives over --duration 1s, found 1000000000001 at 1ps; use an interval of at least 100.001ns", r.Err.Trim());
    }

    [Theory]
    [InlineData("9223372036854775807d")]
    [InlineData("79228162514264337593543950335h")]
    public void A_duration_beyond_decimal_range_is_a_message_not_an_overflow(string duration)
    {
        // The fuzzer's first find: lab check ended in an OverflowException from decimal arithmetic.
        string f = Write("s.yaml", Good.Replace("duration: 10ms", $"duration: {duration}", StringComparison.Ordinal));
        var r = Lab("check", f);
        Assert.Equal(2, r.Code);
        Assert.Equal($"lab: error: {f}:2:18: run.duration: expected a duration such as 10ms, 1.2us or 20s, found '{duration}' (out of range)", r.Err.Trim());
    }
}
