using System.Globalization;
using Lab.Captures.Pcap;
using Lab.Cli;
using Lab.KernelLab.Netns;

namespace Lab.Cli.Tests;

/// <summary>The traffic kinds a scenario can name, checked through `lab run` with values worked out by hand.</summary>
public sealed class TrafficKindsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-traffic-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    Dictionary<string, double> Run(string yaml)
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, yaml);
        string outDir = Path.Combine(_dir, "out");
        var se = new StringWriter();
        Assert.True(LabCommand.Run(["run", f, "--out", outDir, "--no-store"], new StringWriter(), se) == 0, se.ToString());
        return File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => c[2], c => double.Parse(c[4], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_pcap_is_replayed_as_the_traffic_at_its_own_times_and_sizes()
    {
        // 100 frames of 60 captured bytes, 10 us apart: 64 B frames once the FCS is added.
        string pcap = Path.Combine(_dir, "t.pcap");
        using (var w = PcapWriter.Create(pcap))
        {
            var frame = new byte[60];
            for (int i = 0; i < 100; i++)
            {
                frame[0] = (byte)i;
                w.Write(1_000_000_000L + i * 10_000L, frame);
            }
            w.Commit();
        }
        var m = Run("""
            name: pcap
            run: { duration: 2ms }
            traffic:
              - { name: cap, kind: pcap, file: t.pcap }
            path:
              - link: { rate: 10Gbit/s }
            outputs: { timeseries: 0s }
            """);
        // 100 packets in 2 ms; 64 B at 10 Gbit/s is 67.2 ns on the wire, and they never queue.
        Assert.Equal(50_000, m["delivered_pps"]);
        Assert.Equal(0.0672, m["latency_max_us"], 9);
        Assert.Equal(50_000 * 64 * 8 + 50_000 * 20 * 8, m["wire_bps"], 6);
    }

    [Fact]
    public void A_cooked_capture_counts_its_packets_as_ethernet_frames_also_as_pcapng()
    {
        // 100 SLL2 records of 20 + 46 bytes: as Ethernet frames 14 + 46 = 60 bytes, 64 B with
        // the FCS, so the same figures as the Ethernet capture above (a 20-byte cooked header
        // counted as link header would give 70 B frames and a higher wire_bps).
        string pcap = Path.Combine(_dir, "sll2.pcap");
        using (var w = PcapWriter.Create(pcap, PcapLinkType.LinuxSll2))
        {
            var record = new byte[66];
            record[0] = 0x08;   // protocol 0x0800
            record[20] = 0x45;  // an IPv4 header follows
            for (int i = 0; i < 100; i++)
            {
                record[30] = (byte)i;
                w.Write(1_000_000_000L + i * 10_000L, record);
            }
            w.Commit();
        }
        var files = new List<string> { "sll2.pcap" };
        // editcap (Wireshark) writes the same records as pcapng, when it is installed.
        if (CommandRunner.FindOnPath("editcap") is not null)
        {
            var r = CommandRunner.Run("editcap", ["-F", "pcapng", pcap, Path.Combine(_dir, "sll2.pcapng")]);
            Assert.True(r.Succeeded, r.StandardError);
            files.Add("sll2.pcapng");
        }
        foreach (string file in files)
        {
            var m = Run($$"""
                name: pcap
                run: { duration: 2ms }
                traffic:
                  - { name: cap, kind: pcap, file: {{file}} }
                path:
                  - link: { rate: 10Gbit/s }
                outputs: { timeseries: 0s }
                """);
            Assert.Equal(50_000, m["delivered_pps"]);
            Assert.Equal(50_000 * 64 * 8 + 50_000 * 20 * 8, m["wire_bps"], 6);
        }
    }

    [Fact]
    public void A_sequence_sends_exactly_the_listed_packets()
    {
        var m = Run("""
            name: seq
            run: { duration: 1ms }
            traffic:
              - name: list
                kind: sequence
                packets:
                  - { at: 0us, size: 1518B }
                  - { at: 0us, size: 64B }
                  - { at: 500us, size: 64B }
            path:
              - link: { rate: 1Gbit/s }
            outputs: { timeseries: 0s }
            """);
        // 3 packets in 1 ms. At 1 Gbit/s, 1538 B take 12.304 us; the 64 B frame behind it waits for
        // them and then takes its own 0.672 us: 12.976 us; the last one finds the link idle: 0.672 us.
        // Nearest-rank median of {0.672, 12.304, 12.976} is the second: 12.304 us.
        Assert.Equal(3000, m["delivered_pps"]);
        Assert.Equal(12.976, m["latency_max_us"], 9);
        Assert.Equal(12.304, m["latency_p50_us"], 9);
        Assert.Equal((0.672 + 12.304 + 12.976) / 3, m["latency_mean_us"], 9);
    }

    [Fact]
    public void An_on_off_source_averages_its_rate_times_the_on_share()
    {
        // On and off periods with equal means: half the time at 1 Gbit/s of 64 B frames,
        // 1e9 / 672 / 2 = 744,048 pps on average over a long run.
        var m = Run("""
            name: onoff
            run: { duration: 2s, seed: 5 }
            traffic:
              - { name: bursty, kind: onoff, rate: 1Gbit/s, size: 64B, on: 1ms, off: 1ms }
            path:
              - link: { rate: 10Gbit/s }
            outputs: { timeseries: 0s, latency_cdf: false }
            """);
        // About 1000 on periods: the on share's standard error is about 0.7/sqrt(1000) x 0.5 = 1.1%; allow 4%.
        Assert.InRange(m["delivered_pps"], 744_048 * 0.96, 744_048 * 1.04);
    }

    [Fact]
    public void A_churning_flow_mix_starts_flows_with_the_pareto_mean_length()
    {
        // 1 Mpps (672 Mbit/s of 64 B frames); every flow averages 20 packets (Pareto, shape 2.5, minimum
        // 12), so new flows start at about 1e6 / 20 = 50,000 per second. Over ~50,000 flows the mean
        // length's standard error is sqrt(320) / sqrt(50,000) = 0.08 packets (0.4%); allow 2%.
        var m = Run("""
            name: churn
            run: { duration: 1s, seed: 2 }
            traffic:
              - { name: mix, kind: cbr, rate: 672Mbit/s, size: 64B, flows: 100, flow_mix: { alpha: 2.5, mean_packets: 20 } }
            path:
              - link: { rate: 10Gbit/s }
            outputs: { timeseries: 0s, latency_cdf: false }
            """);
        Assert.Equal(1_000_000, m["delivered_pps"], 0);
        Assert.InRange(m["traffic.mix.new_flows_per_s"], 49_000, 51_000);
    }
}
