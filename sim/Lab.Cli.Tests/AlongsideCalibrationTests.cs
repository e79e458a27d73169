using System.Text.RegularExpressions;
using Lab.Calibration;
using Lab.Experiments.Validation;
using Lab.KernelLab.Calibration;
using Lab.KernelLab.TestSupport;
using Lab.KernelLab.TimingValidation;

namespace Lab.Cli.Tests;

/// <summary>
/// <c>lab validate --timing --calibrate</c>: the calibration windows of the scenario's stages run in the same passes as the
/// points and the points are predicted from the costs pooled over those passes. On a synthetic kernel whose every cost
/// doubles from the first pass to the second (a machine changing speed between passes), and end to end on the host.
/// </summary>
public sealed class AlongsideCalibrationTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-alongside-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static readonly Regex TimingLine = new(@"^timing: model \d+(\.\d)? ns/packet, kernel -?\d+(\.\d)? ns/packet, error ([+-]?\d+\.\d%|n/a)$", RegexOptions.Multiline);

    string Scenario(string forward, string costs = "")
    {
        string f = Path.Combine(_dir, "t.yaml");
        File.WriteAllText(f, $$"""
            name: alongside-test
            {{costs}}
            run: { duration: 10ms, seed: 1 }
            traffic:
              - { name: load, kind: cbr, rate: 1Gbit/s, size: 64B, flows: 100 }
            path:
              - forward: {{forward}}
            """);
        return f;
    }

    [Fact]
    public void The_stages_are_those_the_forward_model_charges_for_the_workload()
    {
        Assert.Equal(["forward", "conntrack_lookup", "nat_established", "linear_rule"],
            AlongsideCalibration.StagesFor(new TimingWorkload { FrameBytes = 64, Flows = 1000, Masquerade = true, LinearRules = 300 }));
        Assert.Equal(["forward", "forward_per_byte", "conntrack_lookup"], AlongsideCalibration.StagesFor(new TimingWorkload { FrameBytes = 1400, Flows = 1000 }));
        Assert.Equal(["forward", "conntrack_new", "nat_setup", "nat_attempt", "linear_rule"],
            AlongsideCalibration.StagesFor(new TimingWorkload { FrameBytes = 64, Flows = 1000, NewFlowPerPacket = true, Masquerade = true, LinearRules = 10 }));
    }

    [Fact]
    public void The_points_are_predicted_from_the_costs_of_the_same_passes()
    {
        // 300 rules, conntrack and masquerade on established flows, 64 B. The synthetic kernel (thread accounting) charges per
        // packet: baseline 600 ns; the router 800 (forward 200), + 300 with conntrack, + 200 with masquerade, + 10 a rule;
        // everything doubles in the second pass. Measured in the passes:
        //   kernel top point (router less baseline), measured as the stages are, in four ABBA blocks a pass: pass 1
        //   800 + 300 + 200 + 3000 - 600 = 3700 in every block, pass 2 7400: mean over the passes 5550.
        //   alongside, pooled over both passes: forward (200 + 400) / 2 = 300, conntrack_lookup (300 + 600) / 2 = 450,
        //   nat_established (200 + 400) / 2 = 300, linear_rule (2000 / 200 + 4000 / 200) / 2 = 15;
        //   model: 300 + 450 + 300 (snat; dnat 0) + 300 x 15 = 5550 ns a packet: error 0.
        // A calibration made in pass 1's minutes alone would predict 3700 against a kernel measured later at 7400 (-50%).
        string f = Scenario("{ protocol: udp, rules: 300, masquerade: true }");
        const int perPass = 2 * 2 * 4 + 5 * 4; // two points (top, 1.0x) x baseline and router x four blocks; five windows x four blocks
        var meter = Doubling(perPass, harness: 3);
        var o = new StringWriter();
        string outDir = Path.Combine(_dir, "out");
        int code = TimingValidation.Run(new TimingValidateOptions(f, "host", null, 15, outDir, 1, 8000, 2, null, "thread", Calibrate: true), o, null, _ => meter);
        string stdout = o.ToString();
        Assert.True(code == 0, stdout);
        Assert.Contains("costs measured alongside: the calibration windows of forward, conntrack_lookup, nat_established, linear_rule ran in each of the 2 passes, in rotation with the points; " +
            "the model's costs are their means over the passes (alongside-costs.yaml)\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  forward                 300.00 ns   95% [", stdout, StringComparison.Ordinal);
        Assert.Contains("  conntrack_lookup        450.00 ns   95% [", stdout, StringComparison.Ordinal);
        Assert.Contains("  nat_established         300.00 ns   95% [", stdout, StringComparison.Ordinal);
        Assert.Contains("  linear_rule              15.00 ns   95% [", stdout, StringComparison.Ordinal);
        Assert.Contains("timing: model 5550 ns/packet, kernel 5550 ns/packet, error 0.0%\n", stdout, StringComparison.Ordinal);
        Assert.Equal(2, TimingLine.Matches(stdout).Count);
        // Both statistics and the passes behind them: sd of 3700 and 7400 is 3700 / sqrt 2, half-width t(1) 12.7062 x 3700 / 2 = 23,506.5.
        Assert.Contains("kernel per pass: 3700, 7400 ns/packet; mean 5550 [-17956, 29056], median 5550 (the timing line's kernel figure is the mean, the statistic of the costs measured alongside)\n",
            stdout, StringComparison.Ordinal);
        // The three harness windows get the point's 8,000 packets; every block after them a quarter.
        Assert.Equal([8000L, 8000, 8000], meter.Measured.Take(3).Select(m => m.Load.Packets));
        Assert.All(meter.Measured.Skip(3), m => Assert.Equal(2000, m.Load.Packets));
        // Saturation: the model's core 1 / (600 harness + 5550) = 162,602 pps; the kernel's router windows at top speed
        // forwarded 1 / 4300 ns and 1 / 8600 ns, median 174,419 pps: -6.8%.
        Assert.Contains("saturation: model 0.163 Mpps, kernel 0.174 Mpps forwarded at top speed, error -6.8%\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("timing with the profile", stdout, StringComparison.Ordinal); // no profile was given
        Assert.Equal(2 * perPass + 3, meter.Calls);

        var alongside = Lab.Scenarios.Profiles.CostProfile.Read(Path.Combine(outDir, TimingValidation.AlongsideFile));
        Assert.Equal(15, alongside.Stage("linear_rule")!.Ns, 9);
        Assert.Equal(15_000, alongside.CostsFor("forward")["per_linear_rule"].ValuePs);
        var timing = File.ReadAllLines(Path.Combine(outDir, "timing.csv"));
        Assert.Equal("5550", timing[1].Split(',')[2]);
        Assert.Equal("5550", timing[1].Split(',')[3]);
        // The scenario's own costs (the model's assumptions) predicted the same points into timing-profile.csv.
        var assumed = File.ReadAllLines(Path.Combine(outDir, TimingValidation.ProfileFile));
        Assert.Equal("5550", assumed[1].Split(',')[3]);
        Assert.NotEqual("5550", assumed[1].Split(',')[2]);
        Assert.Contains("costs measured alongside", File.ReadAllText(Path.Combine(outDir, "provenance.json")), StringComparison.Ordinal);
    }

    [HostNatFact]
    public void End_to_end_on_the_host_kernel_the_costs_are_measured_alongside_and_both_predictions_printed()
    {
        File.WriteAllText(Path.Combine(_dir, "box.yaml"), CostProfileScenarioTests.Profile);
        string f = Scenario("{ protocol: udp, rules: 10, masquerade: true }");
        string outDir = Path.Combine(_dir, "host-out");
        var (code, stdout, err) = ScenarioRun.Lab("validate", "--timing", f, "--kernel", "host", "--calibrate", "--costs", Path.Combine(_dir, "box.yaml"),
            "--packets", "4000", "--repeat", "2", "--points", "1", "--out", outDir);
        // Noise decides between 0 and 1 at 4,000 packets; anything else is a failure of the command.
        Assert.True(code is 0 or 1, stdout + err);
        Assert.Contains("costs measured alongside: the calibration windows of forward, conntrack_lookup, nat_established, linear_rule ran in each of the 2 passes", stdout, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^  linear_rule +-?\d+\.\d\d ns   95% \[-?\d+\.\d\d, -?\d+\.\d\d\]$", RegexOptions.Multiline), stdout);
        Assert.Contains("the timing lines below predict from the costs measured alongside; the lines 'timing with the profile' from the given profile, measured earlier\n", stdout, StringComparison.Ordinal);
        Assert.Equal(2, TimingLine.Matches(stdout).Count);
        Assert.Equal(2, Regex.Matches(stdout, @"^timing with the profile: model \d+(\.\d)? ns/packet, kernel -?\d+(\.\d)? ns/packet, error ([+-]?\d+\.\d%|n/a)$", RegexOptions.Multiline).Count);
        foreach (string file in new[] { "timing.csv", TimingValidation.ProfileFile, TimingValidation.AlongsideFile, "timing.png", "provenance.json" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        // The profile's model: rx_ingress 200 and xmit 250 with the other defaults, 780 ns (TimingValidateCommandTests); the
        // kernel columns of both tables are the same measurement.
        var given = File.ReadAllLines(Path.Combine(outDir, TimingValidation.ProfileFile));
        var side = File.ReadAllLines(Path.Combine(outDir, "timing.csv"));
        Assert.Equal("780", given[1].Split(',')[2]);
        Assert.Equal(given[1].Split(',')[3], side[1].Split(',')[3]);
        var alongside = Lab.Scenarios.Profiles.CostProfile.Read(Path.Combine(outDir, TimingValidation.AlongsideFile));
        Assert.Equal(["forward", "conntrack_lookup", "nat_established", "linear_rule"], alongside.Stages.Select(s => s.Name));
        Assert.All(alongside.Stages, s => Assert.Equal(2, s.N));
    }

    /// <summary>
    /// Thread accounting: the configuration's cost per packet (baseline 600 ns; the router 800, + 300 with conntrack, + 200
    /// with masquerade, + 10 a rule), doubling after the first <paramref name="harness"/> + <paramref name="perPass"/> measurements.
    /// </summary>
    static SyntheticCostMeter Doubling(int perPass, int harness)
    {
        int calls = 0;
        return new SyntheticCostMeter((config, _) =>
        {
            int pass = calls < harness ? 0 : (calls - harness) / perPass;
            calls++;
            double ns = !config.Forward ? 600
                : 800 + (config.TracksConnections ? 300 : 0) + (config.Masquerade ? 200 : 0) + 10.0 * config.LinearRules;
            return ns * (1 + pass);
        }) { WholeTicks = false };
    }
}
