using Lab.KernelLab.Calibration;
using Lab.Captures.Netns;
using Lab.Captures.Tests.KernelChecks;
using Lab.Captures.Tests.Support;

namespace Lab.Captures.Tests.Calibration;

/// <summary>The kernel meter on a real topology in namespaces of its own (host kernel).</summary>
[Collection(KernelCollection.Name)]
public sealed class KernelCostMeterTests
{
    static readonly MeterLoad Small = new() { Packets = 20_000, Flows = 100, InjectorCpu = 0 };

    [HostNatFact]
    public void Every_sent_packet_is_forwarded_and_costs_busy_time()
    {
        using var meter = new KernelCostMeter();
        foreach (var config in new[] { RouterConfig.Baseline, RouterConfig.Plain, new RouterConfig { Conntrack = true, Masquerade = true } })
        {
            var s = meter.Measure(config, Small);
            Assert.Equal(20_000, s.Offered);
            Assert.Equal(20_000, s.Sent);
            Assert.Equal(0, s.Failed);
            // The sink counts every frame: nothing else is sent in these namespaces, and nothing may be lost.
            Assert.Equal(20_000, s.Forwarded);
            Assert.Equal(0, s.Dropped);
            Assert.True(s.Total.Busy > 0, $"{config}: no busy ticks over the window");
            Assert.True(s.BusyNsPerPacket > 0);
            Assert.Equal(ProcStat.Read().Cpus.Count, s.PerCpu.Count);
        }
    }

    [HostNatFact]
    public void A_new_flow_per_packet_creates_one_conntrack_entry_each()
    {
        using var meter = new KernelCostMeter();
        var load = Small with { Packets = 5_000, NewFlows = true };
        var s = meter.Measure(new RouterConfig { Conntrack = true }, load);
        Assert.Equal(5_000, s.Forwarded);
        // 5,000 window flows plus the 5,000 warm-up flows (min(packets, 20,000)), none expired yet (30 s unreplied timeout).
        Assert.Equal(10_000, meter.ConntrackCount());
    }

    [HostNatFact]
    public void Two_hundred_rules_cost_more_than_none()
    {
        using var meter = new KernelCostMeter();
        var load = Small with { Packets = 50_000 };
        var none = new List<double>();
        var rules = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            none.Add(meter.Measure(RouterConfig.Plain, load).BusyNsPerPacket);
            rules.Add(meter.Measure(new RouterConfig { LinearRules = 200 }, load).BusyNsPerPacket);
        }
        // 200 rules at a few ns each are several hundred ns per packet; the machine's noise is far below that
        // for the sum of three windows of 50,000 packets each.
        Assert.True(rules.Sum() > none.Sum(), $"200 rules: {string.Join(", ", rules)} ns; none: {string.Join(", ", none)} ns");
    }

    [HostNatFact]
    public void An_offered_rate_is_kept()
    {
        using var meter = new KernelCostMeter();
        var s = meter.Measure(RouterConfig.Plain, Small with { Packets = 10_000, OfferedPps = 50_000 });
        Assert.Equal(10_000, s.Forwarded);
        // 10,000 packets at 50,000/s take 0.2 s; the last batch leaves at (10,000 - 64) / 50,000 s.
        Assert.InRange(s.Elapsed.TotalSeconds, 0.19, 0.5);
    }

    [HostNatFact]
    public void The_namespaces_are_removed()
    {
        string router;
        using (var meter = new KernelCostMeter()) router = meter.RouterNamespace;
        Assert.False(NetworkNamespace.Exists(router));
    }

    [Fact]
    public void The_ruleset_has_one_construct_per_switch()
    {
        string r = RouterRuleset.Build(new RouterConfig { Conntrack = true, Masquerade = true, LinearRules = 2, SetLookups = 1 }, "r0", "r1");
        Assert.Equal(2, r.Split('\n').Count(l => l.Contains("meta l4proto udp ip saddr 203.0.113.", StringComparison.Ordinal)));
        Assert.Single(r.Split('\n'), l => l.Trim() == "ip saddr @blocked drop");
        Assert.Contains("ct state invalid drop", r, StringComparison.Ordinal);
        Assert.Contains("oifname \"r1\" masquerade", r, StringComparison.Ordinal);
        Assert.DoesNotContain("flowtable", r, StringComparison.Ordinal);
        Assert.True(new RouterConfig().IsPlainForwarding);
        Assert.False(new RouterConfig { LinearRules = 1 }.IsPlainForwarding);
    }

    [Fact]
    public void Proc_stat_busy_time_leaves_out_idle_iowait_and_steal()
    {
        var stat = ProcStat.Parse("cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 1 2 3 100 5 6 7 8 0 0\ncpu1 10 0 0 50 0 0 1 40 0 0\nintr 1\n");
        Assert.Equal(2, stat.Cpus.Count);
        Assert.Equal(1 + 2 + 3 + 6 + 7, stat.Cpus[0].Busy);
        Assert.Equal(11, stat.Cpus[1].Busy);
        var later = ProcStat.Parse("cpu0 2 2 3 100 5 6 9 8 0 0\ncpu1 10 0 0 50 0 0 1 45 0 0\n");
        var d = later.Since(stat);
        Assert.Equal(3, d[0].Busy);
        Assert.Equal(2, d[0].SoftIrq);
        Assert.Equal(0, d[1].Busy);
        Assert.Equal(5, d[1].Steal);
    }
}
