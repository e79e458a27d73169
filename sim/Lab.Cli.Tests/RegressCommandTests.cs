using Lab.Experiments.Regression;

namespace Lab.Cli.Tests;

public sealed class RegressCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-regress-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static string RegressionDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string c = Path.Combine(d.FullName, "scenarios", "regression");
            if (Directory.Exists(c)) return c;
        }
        throw new DirectoryNotFoundException("scenarios/regression");
    }

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    static double Expected(string name, int point, string metric) =>
        ExpectationFile.Load(Path.Combine(RegressionDir(), name + ".expected.json")).Metrics.Single(m => m.Point == point && m.Metric == metric).Expected;

    /// <summary>A copy of line-rate (the fastest scenario) in a temporary folder.</summary>
    string CopyLineRate()
    {
        foreach (var f in new[] { "line-rate.yaml", "line-rate.expected.json" }) File.Copy(Path.Combine(RegressionDir(), f), Path.Combine(_dir, f));
        return Path.Combine(_dir, "line-rate.expected.json");
    }

    [Fact]
    public void The_committed_regression_set_matches_its_expectations()
    {
        var (code, output, err) = Lab("regress", RegressionDir());
        Assert.True(code == 0, output + err);
        Assert.Contains("result: all 3 scenario(s) match their expectations", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_committed_expectations_agree_with_arithmetic_and_queueing_theory()
    {
        // 64 B + 20 B preamble/gap = 672 bit; 10 Gbit/s / 672 bit; the 18 ms window holds whole frames only.
        Assert.Equal(1e10 / 672, Expected("line-rate", 0, "delivered_pps"), 1e10 / 672 * 1e-4);
        Assert.Equal(0.0672, Expected("line-rate", 0, "latency_mean_us"), 9);
        // M/D/1: W = S + rho S / (2 (1 - rho)) at the realised utilisation, S = 1 us; a 900 ms run estimates it within 1%.
        double rho = Expected("md1", 0, "cpu0.utilization");
        Assert.Equal(0.8, rho, 0.005);
        double w = 1 + rho / (2 * (1 - rho));
        Assert.Equal(w, Expected("md1", 0, "latency_mean_us"), w * 0.01);
        // IMIX: (7 x 64 + 4 x 594 + 1518) / 12 = 361.83 B + 20 B on the wire.
        double imixWireBits = ((7 * 64 + 4 * 594 + 1518) / 12.0 + 20) * 8;
        Assert.Equal(4e9 / imixWireBits, Expected("rate-sweep", 0, "delivered_pps"), 4e9 / imixWireBits * 1e-3);
        Assert.Equal(9e9 / imixWireBits, Expected("rate-sweep", 1, "delivered_pps"), 9e9 / imixWireBits * 1e-3);
        // Offered 11 Gbit/s into a 10 Gbit/s link: the link's rate comes out, and some frames are lost.
        Assert.Equal(1e10, Expected("rate-sweep", 2, "wire_bps"), 1e10 * 1e-3);
        Assert.InRange(Expected("rate-sweep", 2, "loss_ratio"), 0.01, 0.2);
    }

    [Fact]
    public void A_moved_metric_fails_with_exit_1_and_update_rewrites_it()
    {
        string file = CopyLineRate();
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"expected\": 14881000", "\"expected\": 14000000", StringComparison.Ordinal));

        var (code, output, _) = Lab("regress", _dir);
        Assert.Equal(1, code);
        // 14,881,000 / 14,000,000 - 1 = +6.2929%
        var line = output.Split('\n').Single(l => l.Contains("delivered_pps", StringComparison.Ordinal));
        Assert.Contains("+6.2929%", line, StringComparison.Ordinal);
        Assert.EndsWith("CHANGED", line.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("result: 1 of 1 scenario(s) changed", output, StringComparison.Ordinal);

        var update = Lab("regress", _dir, "--update");
        Assert.Equal(0, update.Code);
        Assert.Contains("point 0 delivered_pps: 14000000 -> 14881000 (+6.2929%)", update.Out, StringComparison.Ordinal);
        var rewritten = ExpectationFile.Load(file);
        Assert.Equal(14881000, rewritten.Metrics.Single(m => m.Metric == "delivered_pps").Expected, 6);
        Assert.Equal("0.01%", rewritten.Metrics.Single(m => m.Metric == "delivered_pps").Tolerance.ToString());
        Assert.Contains(rewritten.Metrics, m => m.Note is not null);
        Assert.Equal(0, Lab("regress", _dir).Code);
    }

    [Fact]
    public void A_metric_the_run_does_not_have_is_a_change()
    {
        string file = CopyLineRate();
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"metric\": \"latency_max_us\"", "\"metric\": \"no_such_metric\"", StringComparison.Ordinal));
        var (code, output, _) = Lab("regress", _dir);
        Assert.Equal(1, code);
        Assert.Contains("(missing)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_without_expectations_fails_until_update_writes_them()
    {
        File.Copy(Path.Combine(RegressionDir(), "line-rate.yaml"), Path.Combine(_dir, "fresh.yaml"));
        var (code, output, _) = Lab("regress", _dir);
        Assert.Equal(1, code);
        Assert.Contains("fresh: no expectations", output, StringComparison.Ordinal);
        Assert.Equal(0, Lab("regress", _dir, "--update").Code);
        var created = ExpectationFile.Load(Path.Combine(_dir, "fresh.expected.json"));
        Assert.Equal(RegressionRunner.DefaultMetrics.Select(d => d.Metric), created.Metrics.Select(m => m.Metric));
        Assert.Equal(0, Lab("regress", _dir).Code);
    }

    [Fact]
    public void Bad_input_exits_2()
    {
        Assert.Equal(2, Lab("regress", Path.Combine(_dir, "absent")).Code);
        string file = CopyLineRate();
        File.WriteAllText(file, "{\n  \"scenario\": \"line-rate.yaml\",\n  \"metrics\": [ { \"point\": 0, \"metric\": \"x\", \"expected\": 1, \"tolerance\": \"lots\" } ]\n}\n");
        var (code, _, err) = Lab("regress", _dir);
        Assert.Equal(2, code);
        Assert.Contains("metrics[0]: expected a tolerance", err, StringComparison.Ordinal);
        File.WriteAllText(file, "{\n  \"scenario\": \n");
        var bad = Lab("regress", _dir);
        Assert.Equal(2, bad.Code);
        Assert.Contains("line-rate.expected.json:", bad.Err, StringComparison.Ordinal);
    }
}
