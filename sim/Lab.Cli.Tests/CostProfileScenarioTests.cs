using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.Cli.Tests;

/// <summary>
/// A cost profile (lab-cost-profile/1) in a scenario (<c>costs: FILE</c>), in <c>lab describe --costs</c>,
/// and what a run says about measured and assumed costs. Expected costs are worked out from the
/// ForwardingCosts defaults (rx 80, ct lookup 90, dnat 30, routing 60, chain 40, xmit 150 ns) and the
/// profile below (rx_ingress 200 ns, xmit 250 ns).
/// </summary>
public sealed class CostProfileScenarioTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-costs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    internal const string Profile = """
        format: lab-cost-profile/1
        machine: "test box"
        measured: 2026-12-06T06:00:00Z
        lab_commit: "abc1234"
        kernel:
          release: "6.18.0-test"
          where: host
          emulated: false
        cpu:
          model: "Test CPU"
          cpus: 2
        method:
          packets: 100000
          repeat: 3
          frame: 64B
          flows: 1000
          accounting: "busy time of all CPUs"
          pinning: "CPU 1"
        stages:
          baseline:
            ns: 700
            ci95: [690, 710]
            n: 3
          forward:
            ns: 400
            ci95: [390, 410]
            n: 3
        costs:
          forward:
            rx_ingress:
              value: 200ns
              ci95: [190, 210]
              from: [forward]
            xmit:
              value: 250ns
              ci95: [240, 260]
              from: [forward]
        """;

    // One established UDP flow at 10 Gbit/s of 64 B frames (14.88 Mpps): the core is saturated, so the
    // delivered rate is 1e9 / (charged ns per packet). The flow's first packet (its creation) falls in the
    // warm-up, so every measured packet is an established one: rx + ct lookup + dnat + routing + chain + xmit.
    static string Saturated(string costs, string forwardExtra = "") => $$"""
        name: saturated
        {{costs}}
        run: { duration: 2ms, warmup: 1ms, seed: 1 }
        traffic:
          - { name: load, kind: cbr, rate: 10Gbit/s, size: 64B, flows: 1 }
        path:
          - rss: { cores: 1, ring: 1024 }
          - forward: { protocol: udp, rules: 0{{forwardExtra}} }
        outputs: { timeseries: 0s }
        """;

    Dictionary<(int Point, string Metric), double> Run(string yaml, string? profile = Profile)
    {
        if (profile is not null) File.WriteAllText(Path.Combine(_dir, "box.yaml"), profile);
        return ScenarioRun.Metrics(_dir, yaml);
    }

    [Fact]
    public void A_profile_sets_the_forward_costs_and_the_delivered_rate_follows_them()
    {
        var without = Run(Saturated(""));
        var with = Run(Saturated("costs: box.yaml"));
        // Defaults: 80 + 90 + 30 + 60 + 40 + 150 = 450 ns. Profile: 200 + 90 + 30 + 60 + 40 + 250 = 670 ns.
        Assert.Equal(450, without[(0, "forward.cost_per_packet_ns")], 9);
        Assert.Equal(670, with[(0, "forward.cost_per_packet_ns")], 9);
        // A saturated core delivers 1e9 / ns per packet: 2.222 Mpps against 1.493 Mpps, ratio 450 / 670.
        double ratio = with[(0, "delivered_pps")] / without[(0, "delivered_pps")];
        Assert.Equal(450.0 / 670.0, ratio, 2);
        Assert.Equal(1e9 / 670, with[(0, "delivered_pps")], 1e9 / 670 * 0.002);
    }

    [Fact]
    public void The_per_byte_cost_is_charged_on_the_bytes_beyond_64()
    {
        // per_byte 500 ps: a 1400 B frame pays 450 ns (defaults, as above) + (1400 - 64) x 0.5 ns = 450 + 668 = 1118 ns;
        // a 64 B frame pays nothing more (450 ns), and without the key (the assumed 0) a 1400 B frame pays 450 ns.
        var large = Run(Saturated("", ", costs: { per_byte: 500ps }").Replace("size: 64B", "size: 1400B", StringComparison.Ordinal));
        Assert.Equal(1118, large[(0, "forward.cost_per_packet_ns")], 9);
        var small = Run(Saturated("", ", costs: { per_byte: 500ps }"));
        Assert.Equal(450, small[(0, "forward.cost_per_packet_ns")], 9);
        var assumed = Run(Saturated("").Replace("size: 64B", "size: 1400B", StringComparison.Ordinal));
        Assert.Equal(450, assumed[(0, "forward.cost_per_packet_ns")], 9);
    }

    [Fact]
    public void Costs_given_in_the_scenario_or_by_set_win_over_the_profile()
    {
        // xmit from the scenario (150 ns) wins over the profile's 250 ns: 200 + 90 + 30 + 60 + 40 + 150 = 570 ns.
        var given = Run(Saturated("costs: box.yaml", ", costs: { xmit: 150ns }"));
        Assert.Equal(570, given[(0, "forward.cost_per_packet_ns")], 9);

        File.WriteAllText(Path.Combine(_dir, "box.yaml"), Profile);
        string f = Path.Combine(_dir, "set.yaml");
        File.WriteAllText(f, Saturated("costs: box.yaml"));
        string outDir = Path.Combine(_dir, "set-out");
        // --set rx_ingress 100 ns wins too: 100 + 90 + 30 + 60 + 40 + 250 = 570 ns.
        var (code, stdout, err) = ScenarioRun.Lab("run", f, "--out", outDir, "--no-store", "--set", "path.forward.costs.rx_ingress=100ns");
        Assert.True(code == 0, err);
        Assert.Contains("forward.cost_per_packet_ns", stdout, StringComparison.Ordinal);
        // metrics.csv without a sweep: point,replication,metric,unit,value.
        var row = File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Select(l => l.Split(',')).First(c => c[2] == "forward.cost_per_packet_ns");
        Assert.Equal(570, double.Parse(row[4], CultureInfo.InvariantCulture), 9);
    }

    [Fact]
    public void The_run_says_which_costs_are_measured_and_which_assumed_and_the_resolved_scenario_records_the_profile()
    {
        File.WriteAllText(Path.Combine(_dir, "box.yaml"), Profile);
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Saturated("costs: box.yaml"));
        string outDir = Path.Combine(_dir, "out");
        var (code, stdout, err) = ScenarioRun.Lab("run", f, "--out", outDir, "--no-store");
        Assert.True(code == 0, err);
        const string line = "costs: measured on test box, kernel 6.18.0-test (2 keys); assumed: flowtable_lookup, fast_path_xmit, conntrack_lookup, "
            + "conntrack_create, dnat, routing, forward_chain, per_linear_rule, per_set_lookup, snat, nat_setup, per_nat_attempt, confirm, flow_offload_add, per_byte; "
            + "profile box.yaml of 2026-12-06T06:00:00Z";
        Assert.Contains(line + "\n", stdout, StringComparison.Ordinal);
        // The core is saturated (14.88 Mpps offered, 1.49 Mpps served): the throughput rests on the assumed costs it charges
        // (established UDP, no rules, no NAT, no flowtable: ForwardDeclaration.ChargedCostKeys).
        Assert.Contains("note: the cores are saturated, so this throughput depends on assumed costs (forward: conntrack_lookup, conntrack_create, dnat, routing, forward_chain, confirm, per_byte)", stdout, StringComparison.Ordinal);
        string resolved = File.ReadAllText(Path.Combine(outDir, "scenario.yaml"));
        Assert.Contains("costs:\n  file: box.yaml\n  machine: test box\n  kernel: 6.18.0-test\n  measured: \"2026-12-06T06:00:00Z\"\n", resolved, StringComparison.Ordinal);
        Assert.Contains("      costs:\n        rx_ingress: 200ns\n        xmit: 250ns\n", resolved, StringComparison.Ordinal);
        Assert.Contains(line, File.ReadAllText(Path.Combine(outDir, "provenance.json")), StringComparison.Ordinal);

        // The resolved scenario loads again (the record form) and gives the same costs.
        File.Copy(Path.Combine(outDir, "scenario.yaml"), Path.Combine(_dir, "again.yaml"));
        var (again, _, err2) = ScenarioRun.Lab("check", Path.Combine(_dir, "again.yaml"));
        Assert.True(again == 0, err2);
    }

    [Fact]
    public void A_sweep_prints_and_records_the_same_cost_lines_as_a_run()
    {
        File.WriteAllText(Path.Combine(_dir, "box.yaml"), Profile);
        string f = Path.Combine(_dir, "sweep.yaml");
        File.WriteAllText(f, Saturated("costs: box.yaml") + "\nsweep:\n  path.forward.rules: [0, 10]\n");
        string outDir = Path.Combine(_dir, "sweep-out");
        var (code, stdout, err) = ScenarioRun.Lab("sweep", f, "--out", outDir, "--no-store", "--jobs", "1");
        Assert.True(code == 0, err);
        // The profile line is the run's. The warning joins the points' charged keys: point 0 (no rules) as a run, then
        // per_linear_rule from point 1 (10 rules).
        const string line = "costs: measured on test box, kernel 6.18.0-test (2 keys); assumed: flowtable_lookup, fast_path_xmit, conntrack_lookup, "
            + "conntrack_create, dnat, routing, forward_chain, per_linear_rule, per_set_lookup, snat, nat_setup, per_nat_attempt, confirm, flow_offload_add, per_byte; "
            + "profile box.yaml of 2026-12-06T06:00:00Z";
        Assert.Contains("\n" + line + "\n", stdout, StringComparison.Ordinal);
        Assert.Contains("note: the cores are saturated, so this throughput depends on assumed costs (forward: conntrack_lookup, conntrack_create, dnat, routing, forward_chain, confirm, per_byte, per_linear_rule)", stdout, StringComparison.Ordinal);
        Assert.True(stdout.IndexOf(line, StringComparison.Ordinal) < stdout.IndexOf("\nresults: ", StringComparison.Ordinal));
        Assert.Contains(line, File.ReadAllText(Path.Combine(outDir, "provenance.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_without_a_profile_marks_every_cost_assumed()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Saturated(""));
        var (code, stdout, err) = ScenarioRun.Lab("run", f, "--out", Path.Combine(_dir, "out"), "--no-store");
        Assert.True(code == 0, err);
        Assert.Contains("costs: no measured profile; assumed: rx_ingress, flowtable_lookup, fast_path_xmit, conntrack_lookup, conntrack_create, dnat, routing, "
            + "forward_chain, per_linear_rule, per_set_lookup, snat, nat_setup, per_nat_attempt, confirm, xmit, flow_offload_add, per_byte\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_profile_is_reported_at_the_costs_key()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Saturated("costs: nowhere.yaml"));
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        // "costs" is on line 2, its value at column 8.
        Assert.Contains($"{f}:2:8: costs: no such cost profile 'nowhere.yaml' (looked for {Path.Combine(_dir, "nowhere.yaml")})\n", err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        // The library says what would help (Remedy.WriteCostProfile); the command line names the command.
        Assert.EndsWith("\nlab: hint: lab calibrate --out FILE writes a cost profile\n", err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_costs_key_that_names_no_file_carries_the_hint_once()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Saturated("costs: {}"));
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        Assert.Contains($"{f}:2:8: costs: expected the path of a cost profile, found a mapping", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n'), l => l.StartsWith("lab: hint: ", StringComparison.Ordinal));
        Assert.Contains("lab: hint: lab calibrate --out FILE writes a cost profile", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_that_is_not_a_plain_yaml_file_name_is_refused()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Saturated("costs: \"/etc/passwd\""));
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        Assert.Contains($"{f}:2:8: costs: expected the path of a cost profile (ending in .yaml;", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_profile_is_reported_at_its_own_lines()
    {
        // Line 47 of the profile is "    rx_ingress:" (the costs.forward keys start there); break the key and a value.
        string bad = Profile.Replace("    rx_ingress:", "    rx_ingres:", StringComparison.Ordinal).Replace("value: 250ns", "value: 250 parsecs", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "box.yaml"), bad);
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, Saturated("costs: box.yaml"));
        var (code, _, err) = ScenarioRun.Lab("check", f);
        Assert.Equal(2, code);
        string profile = Path.Combine(_dir, "box.yaml");
        var lines = bad.Split('\n');
        int keyLine = Array.FindIndex(lines, l => l.Contains("rx_ingres:", StringComparison.Ordinal)) + 1;
        int valueLine = Array.FindIndex(lines, l => l.Contains("250 parsecs", StringComparison.Ordinal)) + 1;
        Assert.Contains($"{profile}:{keyLine}:5: costs.forward: unknown cost key 'rx_ingres' (did you mean 'rx_ingress'?)", err, StringComparison.Ordinal);
        Assert.Contains($"{profile}:{valueLine}:14: costs.forward.xmit.value:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_with_a_profile_shows_each_cost_measured_or_assumed()
    {
        File.WriteAllText(Path.Combine(_dir, "box.yaml"), Profile);
        var (code, stdout, err) = ScenarioRun.Lab("describe", "forward", "--costs", Path.Combine(_dir, "box.yaml"));
        Assert.True(code == 0, err);
        Assert.Contains("costs.rx_ingress\n    driver RX, GRO, ingress hook entry (both paths)\n    unit: time   default: 80ns   range: 0..100us\n"
            + "    value: 200ns, 95% interval [190, 210] ns: MEASURED, stage forward; measured on test box, kernel 6.18.0-test, 2026-12-06T06:00:00Z\n", stdout, StringComparison.Ordinal);
        Assert.Contains("costs.dnat\n    prerouting nat hook\n    unit: time   default: 30ns   range: 0..100us\n"
            + "    value: 30ns: ASSUMPTION (model default; the profile does not measure dnat)\n", stdout, StringComparison.Ordinal);
        Assert.Contains("\ncosts: 2 measured (measured on test box, kernel 6.18.0-test, 2026-12-06T06:00:00Z); 15 assumed: flowtable_lookup, fast_path_xmit, conntrack_lookup, "
            + "conntrack_create, dnat, routing, forward_chain, per_linear_rule, per_set_lookup, snat, nat_setup, per_nat_attempt, confirm, flow_offload_add, per_byte\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_without_a_profile_marks_every_cost_as_an_assumption()
    {
        var (code, stdout, err) = ScenarioRun.Lab("describe", "forward");
        Assert.True(code == 0, err);
        var values = Regex.Matches(stdout, @"^costs\.(\w+)\n.*\n.*\n    value: (.*)$", RegexOptions.Multiline);
        Assert.Equal(17, values.Count); // the 17 ForwardingCosts keys
        foreach (Match m in values) Assert.Contains(": ASSUMPTION (model default;", m.Groups[2].Value, StringComparison.Ordinal);
        Assert.Contains("\ncosts: no profile given; 17 assumed: rx_ingress,", stdout, StringComparison.Ordinal);
        var (flow, flowOut, _) = ScenarioRun.Lab("describe", "flowtable");
        Assert.Equal(0, flow);
        Assert.Contains("cost.rx_ingress\n    driver RX, GRO, ingress hook entry (both paths)\n    unit: time   default: 80ns   range: 0..100us\n    value: 80ns: ASSUMPTION", flowOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_costs_needs_a_model_that_takes_them()
    {
        File.WriteAllText(Path.Combine(_dir, "box.yaml"), Profile);
        var (code, _, err) = ScenarioRun.Lab("describe", "esp_in", "--costs", Path.Combine(_dir, "box.yaml"));
        Assert.Equal(2, code);
        Assert.Contains("--costs: model 'esp_in' takes no costs from a cost profile; expected one of: forward, flowtable", err, StringComparison.Ordinal);
    }
}
