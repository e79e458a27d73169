using System.Globalization;
using Lab.Cli;

namespace Lab.Cli.Tests;

/// <summary>The ESP model in the packet path: costs, shared against per-CPU SAs, bulking, async crypto against the replay window.</summary>
public sealed class EspScenarioTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-esp-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    Dictionary<(int Point, string Metric), double> Run(string yaml) => ScenarioRun.Metrics(_dir, yaml);

    // Costs with the defaults (EspCosts): fixed 3.1 us, SA lock 60 ns, 1 cycle/B at 3 GHz.
    // 1456 B frames carry 1438 B inner packets; in tunnel mode with AES-GCM-16 the encrypted part
    // is 1438 + 2 trailer = 1440 B (already a multiple of 4): 480 ns of cipher outbound; inbound
    // the cipher covers the 1438 inner bytes, 479.333 ns.
    // One core: outbound 3100 + 60 + 480 = 3640 ns -> 274,725 pps; inbound 3639.333 ns -> 274,776 pps.
    const string Throughput = """
        name: esp-scale
        run: { duration: 20ms, warmup: 2ms, seed: 1 }
        traffic:
          - { name: bulk, kind: poisson, rate: 100Gbit/s, size: 1456B, flows: 4096 }
        path:
          - rss:     { name: tx, cores: 1, ring: 4096 }
          - esp_out: { mode: tunnel, encap: udp, esn: true, per_cpu: false }
          - link:    { name: wire, rate: 100Gbit/s, queue: 4096 }
          - rss:     { name: rx, cores: 16, ring: 4096 }
          - esp_in:  { esn: true, window: 4096 }
        outputs: { timeseries: 0s }
        sweep:
          path.esp_out.per_cpu: [false, true]
          path.tx.cores: [1, 2]
        """;

    [Fact]
    public void One_shared_SA_is_capped_by_one_receiver_core_while_per_cpu_SAs_scale()
    {
        var m = Run(Throughput);
        // Points: 0 shared/1 core, 1 shared/2 cores, 2 per-CPU/1 core, 3 per-CPU/2 cores.
        Assert.InRange(m[(0, "delivered_pps")], 274_725 * 0.995, 274_725 * 1.005);
        // Two sender cores on one SA: the receiver still has the SA on one core.
        Assert.InRange(m[(1, "delivered_pps")], 274_776 * 0.995, 274_776 * 1.005);
        Assert.InRange(m[(1, "rx.utilization_max")], 0.999, 1.0);
        // Two per-CPU SAs hash to two receiver cores (CoreOf(0x40000000) = 12, CoreOf(0x40000001) = 14 of 16; with four SAs the fourth would share core 12): twice the rate.
        Assert.InRange(m[(3, "delivered_pps")], 2 * 274_725 * 0.995, 2 * 274_725 * 1.005);
        Assert.Equal(2, m[(3, "esp_out.sas")]);
        Assert.Equal(1, m[(1, "esp_out.sas")]);
        Assert.Equal(0, m[(3, "esp_in.replay_window")] + m[(3, "esp_in.replay")]);
    }

    [Fact]
    public void Bulking_amortises_the_batchable_share_of_the_fixed_cost()
    {
        // 64 B frames: 46 B inner, 48 B encrypted: 16 ns of cipher.
        // batch 1: 3100 + 60 + 16 = 3176 ns -> 314,861 pps.
        // batch 8: 3100 x (0.4 + 0.6 / 8) = 1472.5; + 60 + 16 = 1548.5 ns -> 645,786 pps.
        var m = Run("""
            name: esp-bulk
            run: { duration: 20ms, warmup: 2ms, seed: 1 }
            traffic:
              - { name: bulk, kind: cbr, rate: 10Gbit/s, size: 64B }
            path:
              - rss:     { name: tx, cores: 1, ring: 1024 }
              - esp_out: { mode: tunnel, batch: 1 }
            outputs: { timeseries: 0s }
            sweep:
              path.esp_out.batch: [1, 8]
            """);
        Assert.InRange(m[(0, "delivered_pps")], 314_861 * 0.998, 314_861 * 1.002);
        Assert.InRange(m[(1, "delivered_pps")], 645_786 * 0.998, 645_786 * 1.002);
    }

    [Fact]
    public void Async_crypto_reorders_before_the_recheck_and_a_larger_window_absorbs_it()
    {
        var m = Run("""
            name: esp-async
            run: { duration: 10ms, warmup: 1ms, seed: 3 }
            traffic:
              - { name: bulk, kind: poisson, rate: 8Gbit/s, size: imix, flows: 64 }
            path:
              - esp_out:    { mode: tunnel, esn: true, per_packet: 100ns, df: false }
              - esp_in:     { esn: true, window: 32, crypto: async, per_packet: 100ns }
              - esp_crypto: { input: esp_in, workers: 8, jitter: 20 }
            outputs: { timeseries: 0s }
            sweep:
              path.esp_in.window: [32, 4096]
              path.esp_crypto.preserve_order: [false, true]
            """);
        // Points: 0 w32 cryptd, 1 w32 pcrypt, 2 w4096 cryptd, 3 w4096 pcrypt.
        Assert.True(m[(0, "esp_in.replay_window")] > 0, "completions overtaking by more than 32 must be dropped as too old");
        // The per-SA counter, the MIB and the path's drop reason are the same packets.
        Assert.Equal(m[(0, "esp_in.replay_window")], m[(0, "drop.esp_in.replay_window")]);
        Assert.Equal(m[(0, "esp_in.replay_window")] + m[(0, "esp_in.replay")], m[(0, "esp_in.XfrmInStateSeqError")]);
        // pcrypt releases completions in submission order: nothing arrives out of order at the recheck.
        Assert.Equal(0, m[(1, "esp_in.replay_window")]);
        Assert.Equal(0, m[(2, "esp_in.replay_window")]);
        Assert.Equal(0, m[(3, "esp_in.replay_window")]);
        Assert.Equal(0, m[(0, "esp_in.replay")]); // reordering never duplicates
    }
}
