using Lab.Calibration;
using Lab.KernelLab.Calibration;
using Lab.KernelLab.Vm;
using Lab.Results;
using Lab.Scenarios.Profiles;

namespace Lab.Cli.Tests;

/// <summary>lab calibrate end to end on the host kernel, --compare on planted profiles, bad input.</summary>
[Collection("kernel calibration")]
public sealed class CalibrateCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-calibrate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    static CostProfile Profile(double forwardNs, double half, string machine = "test") => new()
    {
        Machine = machine,
        Measured = new DateTimeOffset(2026, 12, 6, 7, 0, 0, TimeSpan.Zero),
        LabCommit = "abc",
        Kernel = new ProfileKernel("6.18.44", "host", false),
        Cpu = new ProfileCpu("AMD EPYC", 2),
        Method = new ProfileMethod(1_000_000, 5, 64, 1000, "proc-stat", "CPU 1"),
        Stages =
        [
            new ProfileStage("baseline", 800, 790, 810, 400, 5),
            new ProfileStage("forward", forwardNs, forwardNs - half, forwardNs + half, 200, 5),
            ProfileStage.Unmeasured("flowtable_fast_path", "no flowtable"),
        ],
        Costs = [],
    };

    string Write(string name, CostProfile p)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, p.ToYaml());
        return path;
    }

    [Fact]
    public void Compare_exits_1_only_on_a_change_beyond_the_threshold_and_the_noise()
    {
        string old = Write("old.yaml", Profile(500, 10));
        // +20%: beyond 10% and far outside the noise sqrt(10^2 + 10^2) = 14.1 ns = 2.8%.
        var (code, output, err) = Lab("calibrate", "--compare", old, "--from", Write("slower.yaml", Profile(600, 10)));
        Assert.True(code == 1, output + err);
        Assert.True(output.Contains("CHANGED", StringComparison.Ordinal), output);
        var lines = output.Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Contains("forward 500.00 -> 600.00 ns change +20.0% noise +-2.8% CHANGED", lines);
        // baseline: the same 800 +- 10 on both sides, noise sqrt(2) x 10 / 800 = 1.8%.
        Assert.Contains("baseline 800.00 -> 800.00 ns change +0.0% noise +-1.8% same", lines);
        Assert.Contains("flowtable_fast_path not measured in either", lines);
        Assert.Contains("1 stage(s) changed", output, StringComparison.Ordinal);

        // The same +20% with a threshold of 25%: not a change.
        Assert.Equal(0, Lab("calibrate", "--compare", old, "--from", Path.Combine(_dir, "slower.yaml"), "--threshold", "25%").Code);
        // +12% but the new interval is +-62 ns: the noise sqrt(10^2 + 62^2) = 62.8 ns covers the 60 ns difference.
        Assert.Equal(0, Lab("calibrate", "--compare", old, "--from", Write("noisy.yaml", Profile(560, 62))).Code);
        // The same +12% with +-58 ns: noise sqrt(10^2 + 58^2) = 58.9 ns < 60 ns, a change.
        Assert.Equal(1, Lab("calibrate", "--compare", old, "--from", Write("noisy2.yaml", Profile(560, 58))).Code);
        // -15%, tight: a speed-up is a change too.
        Assert.Equal(1, Lab("calibrate", "--compare", old, "--from", Write("faster.yaml", Profile(425, 5))).Code);
    }

    [Fact]
    public void A_bad_profile_or_flag_exits_2_with_its_position()
    {
        string good = Write("good.yaml", Profile(500, 10));
        string bad = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(bad, Profile(500, 10).ToYaml().Replace("  forward:\n    ns: 500", "  forward:\n    ns: quick", StringComparison.Ordinal));
        int line = Array.FindIndex(File.ReadAllLines(bad), l => l == "    ns: quick") + 1;
        var (code, _, err) = Lab("calibrate", "--compare", bad, "--from", good);
        Assert.Equal(2, code);
        Assert.Contains($"lab: error: {bad}:{line}:9: stages.forward.ns: expected a number, found 'quick'", err, StringComparison.Ordinal);

        var only = Lab("calibrate", "--only", "baseline,forwrd", "--no-store", "--out", Path.Combine(_dir, "x.yaml"));
        Assert.Equal(2, only.Code);
        Assert.Contains("--only: no stage 'forwrd' (did you mean 'forward'?)", only.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.yaml")));
        Assert.Equal(2, Lab("calibrate", "--compare", good, "--from", good, "--threshold", "ten").Code);
        Assert.Equal(2, Lab("calibrate", "--kernel", "qemu", "--no-store").Code);
        Assert.Equal(2, Lab("calibrate", "--from", good).Code);
        var blocks = Lab("calibrate", "--blocks", "0", "--no-store", "--out", Path.Combine(_dir, "b.yaml"));
        Assert.Equal(2, blocks.Code);
        Assert.Contains("--blocks: expected 1 to 64 blocks per pass, found 0", blocks.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "b.yaml")));
        var budget = Lab("calibrate", "--budget", "soon", "--no-store", "--out", Path.Combine(_dir, "b.yaml"));
        Assert.Equal(2, budget.Code);
        Assert.Contains("--budget: expected a duration such as 270s or 4m (up to a day), or 0 for no extra passes, found 'soon'", budget.Err, StringComparison.Ordinal);
        var target = Lab("calibrate", "--target", "0%", "--no-store", "--out", Path.Combine(_dir, "b.yaml"));
        Assert.Equal(2, target.Code);
        Assert.Contains("--target: expected a percentage such as 20%, found '0%'", target.Err, StringComparison.Ordinal);
        Assert.Contains("--budget: not with --decompose", Lab("calibrate", "--decompose", "--budget", "1m").Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "b.yaml")));
        string notes = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(notes, "mine\n");
        var refused = Lab("calibrate", "--kernel", "host", "--no-store", "--out", notes);
        Assert.Equal(2, refused.Code);
        Assert.Contains("exists and is not a lab cost profile", refused.Err, StringComparison.Ordinal);
        Assert.Equal("mine\n", File.ReadAllText(notes));
    }

    [HostNatFact]
    public void Calibrate_measures_the_chosen_stages_and_writes_a_profile_the_reader_takes()
    {
        string outPath = Path.Combine(_dir, "host.yaml");
        // The injecting thread's own CPU clock (ns resolution): whole-machine /proc/stat counts 10 ms ticks, and a
        // quiet machine's ABBA block of 5,000 packets (about 3 ms of CPU) often reads 0 ticks.
        // --budget 0: no extra passes, so every stage has exactly the 2 asked for.
        var (code, output, err) = Lab("calibrate", "--kernel", "host", "--only", "baseline,forward", "--packets", "20000", "--repeat", "2",
            "--accounting", "thread", "--budget", "0", "--out", outPath, "--no-store", "--machine", "test box");
        Assert.True(code == 0, output + err);
        var p = CostProfileReader.Read(outPath, el => el == "forward" ? [.. global::Lab.Netfilter.Flowtable.ForwardingCosts.Parameters().Select(s => s.Key["cost.".Length..])] : null);
        Assert.Equal("test box", p.Machine);
        Assert.Equal("host", p.Kernel.Where);
        Assert.False(p.Kernel.Emulated);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), p.Kernel.Release);
        Assert.Equal(["baseline", "forward"], p.Stages.Select(s => s.Name));
        Assert.All(p.Stages, s => Assert.Equal(2, s.N));
        Assert.True(p.Stage("baseline")!.Ns > 0);
        Assert.Equal((20_000L, 2, 64), (p.Method.Packets, p.Method.Repeat, p.Method.FrameBytes));
        // forward sets its four keys in the defaults' proportions 80:60:40:150 (sum 330), which add up to the stage.
        var f = p.CostsFor("forward");
        Assert.Equal(["rx_ingress", "routing", "forward_chain", "xmit"], f.Keys);
        double stage = p.Stage("forward")!.Ns;
        if (stage > 0)
        {
            Assert.Equal(stage, f.Values.Sum(c => c.ValuePs) / 1000.0, 0.004);
            Assert.Equal(stage * 80 / 330, f["rx_ingress"].ValuePs / 1000.0, 0.001);
        }
        Assert.All(f.Values, c => Assert.Equal(["forward"], c.From));
        Assert.Contains("in the model defaults' proportions 80ns:60ns:40ns:150ns", f["xmit"].Note, StringComparison.Ordinal);
        Assert.Contains("profile: " + outPath, output, StringComparison.Ordinal);
    }

    [HostNatFact]
    public void Every_calibration_is_recorded_in_the_results_store()
    {
        string db = Path.Combine(_dir, "lab.duckdb");
        var req = new CalibrateRequest("host", Path.Combine(_dir, "p.yaml"),
            new CalibrationOptions { Packets = 5_000, Repeat = 2, Only = ["baseline", "set_lookup", "flowtable_fast_path"] }, null, 10, "m", "abc", db);
        var outcome = CalibrationSession.Run(req, _ => new KernelCostMeter(), null);
        using var store = new ResultsStore(db);
        var (_, rows) = store.Query($"SELECT stage, n, not_measured IS NULL FROM calibrations WHERE calibration_id = '{outcome.CalibrationId}' ORDER BY stage");
        Assert.Equal(3, rows.Count);
        Assert.Equal(["baseline", "2", "True"], rows[0]);
        // The host kernel has no NF_FLOW_TABLE here: found by loading the ruleset, recorded with nft's words.
        bool flowtable = File.Exists("/proc/config.gz") && ReadConfig().Contains("CONFIG_NF_FLOW_TABLE=", StringComparison.Ordinal);
        Assert.Equal(["flowtable_fast_path", flowtable ? "2" : "0", flowtable ? "True" : "False"], rows[1]);
        Assert.Equal(["set_lookup", "2", "True"], rows[2]);
    }

    static string ReadConfig()
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead("/proc/config.gz"), System.IO.Compression.CompressionMode.Decompress);
        return new StreamReader(gz).ReadToEnd();
    }

    [VmFact]
    public void The_vm_path_runs_the_same_procedure_and_labels_every_value_emulated()
    {
        string outPath = Path.Combine(_dir, "vm.yaml");
        var (code, output, err) = Lab("calibrate", "--kernel", "vm", "--only", "baseline,forward", "--packets", "2000", "--repeat", "2",
            "--out", outPath, "--no-store");
        Assert.True(code == 0, output + err);
        var p = CostProfile.Read(outPath);
        Assert.Equal(("vm", true), (p.Kernel.Where, p.Kernel.Emulated));
        Assert.StartsWith("6.1.", p.Kernel.Release, StringComparison.Ordinal);
        Assert.Equal(["baseline", "forward"], p.Stages.Select(s => s.Name));
        Assert.All(p.Stages, s => Assert.Equal(CostProfile.EmulatedLabel, s.Label));
        Assert.All(p.Costs, c => Assert.Equal(CostProfile.EmulatedLabel, c.Label));
        Assert.True(p.Stage("baseline")!.Ns > 0);
        Assert.Contains("every value is emulated: not meaningful as a speed", output, StringComparison.Ordinal);
    }
}
