using Lab.Calibration;
using Lab.KernelLab.Calibration;
using Lab.KernelLab.TestSupport;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;
using Lab.Netfilter.Stages;
using Lab.Scenarios.Profiles;

namespace Lab.Cli.Tests;

/// <summary>
/// The nat_attempt calibration stage: the tuples its windows send make the model's NAT count exactly the checks the
/// stage divides by, its slope estimator gives the exact per-check cost on synthetic samples, and the profile keys.
/// </summary>
public sealed class NatAttemptCalibrationTests
{
    static readonly uint RouterOutside = FlowTuple.Ip(198, 51, 100, 1);

    /// <summary>
    /// The model's forward path (conntrack, NatPortAllocator, confirm) fed the window's plan: the holders through the
    /// holding client's rule (masquerade over the whole range), then <paramref name="clashers"/> clashing connections through
    /// the window's rule, <c>masquerade to :20000-(20000+ports-1)</c>; both rules share one conntrack table and NAT, as the
    /// two rules of one nat chain do. Returns each flow's checks, verdict and charged cost.
    /// </summary>
    static (int[] Attempts, ForwardVerdict[] Verdicts, long[] Cost) RunModel(int ports, int clashers, ForwardingCosts costs)
    {
        var plan = new PortClashPlan(ports);
        var cfg = new ForwardStageConfig();
        var ct = new ConntrackTable(cfg.ConntrackConfig(1, 0));
        var nat = new NatPortAllocator(ct, 1, 0);
        var holding = new ForwardPath(ct, null, costs, cfg.Rules, nat, NatRange.Snat(RouterOutside));
        var range = NatRange.Snat(RouterOutside).WithPorts(PortClashPlan.RangeStart, (ushort)(PortClashPlan.RangeStart + ports - 1));
        var clashing = new ForwardPath(ct, null, costs, cfg.Rules, nat, range);
        int flows = PortClashPlan.Holders + clashers;
        var attempts = new int[flows];
        var verdicts = new ForwardVerdict[flows];
        var cost = new long[flows];
        for (int k = 0; k < flows; k++)
        {
            var t = plan.Tuple(k);
            var path = t.Source == PortClashPlan.HoldingClient ? holding : clashing;
            var o = path.Process(new FlowTuple(t.Source, t.Destination, t.SourcePort, t.DestinationPort, IpProto.Udp), TcpFlags.None, 1_000L * k);
            attempts[k] = nat.LastAttempts;
            verdicts[k] = o.Verdict;
            cost[k] = o.CostPs;
        }
        return (attempts, verdicts, cost);
    }

    [Theory]
    [InlineData(CalibrationStages.FewerAttempts)]
    [InlineData(CalibrationStages.MoreAttempts)]
    public void Every_clashing_connection_makes_exactly_as_many_checks_as_the_range_has_ports(int ports)
    {
        // Holders: 10.0.0.2 with source port 20000 + j to each of 512 destinations, j = 0..127, over the whole range: a unique
        // tuple, kept after one nf_nat_used_tuple check (the first of a source port by get_unique_tuple's "in range and
        // unique", the others through find_appropriate_src's mapping of the same source, checked once towards the new
        // destination). Every later flow (source port 40000, outside the window's range: not kept, not checked) searches:
        // min(ports, 128) = ports checks, all taken, no second round (attempts >= range_size); confirm then finds the reply
        // tuple taken and drops it.
        var (attempts, verdicts, _) = RunModel(ports, 1000, new ForwardingCosts());
        for (int k = 0; k < PortClashPlan.Holders; k++)
        {
            Assert.Equal(1, attempts[k]);
            Assert.Equal(ForwardVerdict.SlowPathNew, verdicts[k]);
        }
        for (int k = PortClashPlan.Holders; k < attempts.Length; k++)
        {
            Assert.Equal(ports, attempts[k]);
            Assert.Equal(ForwardVerdict.Dropped, verdicts[k]);
        }
    }

    [Fact]
    public void The_two_windows_differ_in_the_model_by_exactly_the_checks_the_stage_divides_by()
    {
        // With per_nat_attempt 13 ns and every other cost as the defaults, a clashing connection costs the same in both
        // windows except for 128 - 2 = 126 checks: 126 x 13 ns = 1,638 ns, and the stage's divisor is 126.
        var costs = new ForwardingCosts { PerNatAttempt = 13 * Lab.Core.SimTime.Nanosecond };
        var few = RunModel(CalibrationStages.FewerAttempts, 200, costs).Cost[^1];
        var many = RunModel(CalibrationStages.MoreAttempts, 200, costs).Cost[^1];
        Assert.Equal(1_638_000L, many - few);
        var stage = CalibrationStages.Find("nat_attempt")!;
        Assert.Equal(126, stage.Divisor);
        Assert.Equal((CalibrationStages.ClashMany, CalibrationStages.ClashFew), (stage.Test, stage.Reference));
        Assert.True(stage.Test.RouterDrops && stage.Reference!.RouterDrops);
    }

    [Fact]
    public void The_ruleset_and_the_plans_tuples()
    {
        string rules = RouterRuleset.Build(CalibrationStages.ClashMany.Config, "r0", "r1");
        Assert.Contains("    ip saddr 10.0.0.2 oifname \"r1\" masquerade\n    oifname \"r1\" meta l4proto udp masquerade to :20000-20127\n", rules, StringComparison.Ordinal);
        Assert.Contains("policy accept;\n    oifname \"r1\" masquerade\n", RouterRuleset.Build(CalibrationStages.MasqueradeNew.Config, "r0", "r1"), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PortClashPlan(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PortClashPlan(129));
        var plan = new PortClashPlan(2);
        uint Dst(uint d) => FlowTuple.Ip(198, 18, 0, 1) + d;
        // The warm-up: 512 x 128 = 65,536 holders and 4,096 clashing connections.
        Assert.Equal(69_632L, plan.WarmupFlows);
        // Flow 7: holder towards destination 7, port 20000; flow 512: destination 0 again, port 20001.
        Assert.Equal(new MeterTuple(FlowTuple.Ip(10, 0, 0, 2), Dst(7), 20000, 443), plan.Tuple(7));
        Assert.Equal(new MeterTuple(FlowTuple.Ip(10, 0, 0, 2), Dst(0), 20001, 443), plan.Tuple(512));
        // Flow 65,536 is the first clasher, 10.1.0.1 to destination 0; flow 65,536 + 513: 10.1.0.1 + 513 = 10.1.2.2 to
        // destination 513 mod 512 = 1; flow 65,536 + 60,000: the client wraps to 10.1.0.1, destination 60,000 mod 512 = 96.
        Assert.Equal(new MeterTuple(FlowTuple.Ip(10, 1, 0, 1), Dst(0), 40000, 443), plan.Tuple(65_536));
        Assert.Equal(new MeterTuple(FlowTuple.Ip(10, 1, 2, 2), Dst(1), 40000, 443), plan.Tuple(65_536 + 513));
        Assert.Equal(new MeterTuple(FlowTuple.Ip(10, 1, 0, 1), Dst(96), 40000, 443), plan.Tuple(65_536 + 60_000));
    }

    [Fact]
    public void The_slope_is_the_per_check_cost_per_packet_sent_when_the_router_drops_everything()
    {
        // Synthetic kernel: a clashing connection costs 5,000 ns plus 1,000 ns per check, per packet SENT (the sink gets
        // none). The windows are capped at 40,000 packets per pass, 10,000 per block: 2 checks -> 7,000 ns x 1e4 = 70 ms
        // busy = 7 ticks of 10 ms; 128 checks -> 133,000 ns -> 133 ticks. Difference 126,000 ns over 126 checks = 1,000 ns
        // per check exactly, every pass.
        var meter = new SyntheticCostMeter((w, _) => w.MasqueradePorts > 0 ? 5000 + 1000.0 * w.MasqueradePorts : double.NaN) { Delivered = (_, _) => 0 };
        var options = new CalibrationOptions { Only = ["nat_attempt"], Repeat = 3, Blocks = 4, Pin = false };
        var result = new Calibrator(meter, options).Run();
        var s = Assert.Single(result.Stages);
        Assert.Equal(("nat_attempt", 1000.0, 1000.0, 1000.0, 3), (s.Name, s.Ns, s.Ci95Low, s.Ci95High, s.N));
        // 2 windows x 4 blocks x 3 passes, each 10,000 packets.
        Assert.Equal(24, result.Samples.Count);
        Assert.All(result.Samples, x => Assert.Equal((10_000L, 0L), (x.Sent, x.Forwarded)));
    }

    [Fact]
    public void The_profile_charges_each_check_and_takes_the_nat_setup_windows_one_check_out_of_nat_setup()
    {
        ProfileStage S(string name, double ns, double half) => new(name, ns, ns - half, ns + half, null, 5);
        var costs = ProfileBuilder.Costs([S("nat_setup", 1300, 130), S("nat_attempt", 50, 5)], label: null).ToDictionary(c => c.Key);
        Assert.Equal(50_000L, costs["per_nat_attempt"].ValuePs);
        Assert.Equal((45.0, 55.0), (costs["per_nat_attempt"].Ci95LowNs, costs["per_nat_attempt"].Ci95HighNs));
        // 1,300 - 1 x 50 = 1,250 ns; interval 1,170 - 50 and 1,430 - 50.
        Assert.Equal(1_250_000L, costs["nat_setup"].ValuePs);
        Assert.Equal((1120.0, 1380.0), (costs["nat_setup"].Ci95LowNs, costs["nat_setup"].Ci95HighNs));
        Assert.Equal(["nat_setup", "nat_attempt"], costs["nat_setup"].From);
        // Without nat_attempt, nat_setup is the stage as measured and per_nat_attempt stays the model's assumption.
        var alone = ProfileBuilder.Costs([S("nat_setup", 1300, 130)], label: null).ToDictionary(c => c.Key);
        Assert.Equal(1_300_000L, alone["nat_setup"].ValuePs);
        Assert.False(alone.ContainsKey("per_nat_attempt"));
        Assert.Contains("nat_attempt", CostProfileSchema.StageNames);
    }

    [Fact]
    public void The_stages_in_the_profiles_order_and_the_defaults()
    {
        Assert.Equal(["baseline", "forward", "forward_per_byte", "conntrack_lookup", "conntrack_new", "nat_established", "nat_setup", "nat_attempt",
            "linear_rule", "set_lookup", "flowtable_fast_path", "flow_offload_add"], CalibrationStages.All.Select(s => s.Name));
        Assert.Equal(CostProfileSchema.StageNames.Where(n => !n.StartsWith("esp_", StringComparison.Ordinal)), CalibrationStages.All.Select(s => s.Name));
        // 8 passes of 4 blocks of every window (CalibrationOptions.Repeat), then the 5-minute budget's extra passes, which the
        // CLI turns on (the library's default has none); the linear-rule window a quarter of the packets.
        var o = new CalibrationOptions();
        Assert.Equal((8, 4, 1_000_000L, (TimeSpan?)null, 20.0), (o.Repeat, o.Blocks, o.Packets, o.Budget, o.TargetPercent));
        Assert.Equal(0.25, CalibrationStages.Rules.PacketShare);
    }

    [Fact]
    public void A_drop_window_whose_packets_reach_the_sink_is_refused()
    {
        // One packet in 10,000 delivered: that connection found a free port, so it did not make the checks the stage divides by.
        var meter = new SyntheticCostMeter((w, _) => 5000 + 1000.0 * w.MasqueradePorts) { Delivered = (_, _) => 1 };
        var e = Assert.Throws<InvalidOperationException>(() => new Calibrator(meter, new CalibrationOptions { Only = ["nat_attempt"], Repeat = 2, Pin = false }).Run());
        Assert.Contains("1 of 10000 packets reached the sink, which the router should have dropped", e.Message, StringComparison.Ordinal);
    }
}
