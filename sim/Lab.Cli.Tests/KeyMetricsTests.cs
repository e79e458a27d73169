using System.Text.Json;
using Lab.Cli;
using Lab.Simulation.Running;

namespace Lab.Cli.Tests;

/// <summary>
/// Key metrics: each model declares them once (ElementDeclaration.KeyMetrics), summary.json carries the
/// scenario's list, `lab run` prints a sweep as one row per point with them (--all: every metric),
/// and `lab report --metrics` refuses a name the results do not have.
/// </summary>
public sealed class KeyMetricsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // Two windows x two receiver core counts: four points, one replication each, a few ms.
    const string Sweep = """
        name: keys
        run: { duration: 4ms, warmup: 1ms, seed: 1, replications: 1 }
        traffic:
          - { name: bulk, kind: poisson, rate: 2Gbit/s, size: 1000B, flows: 16 }
        path:
          - esp_out: { per_packet: 100ns }
          - link:    { name: wire, rate: 10Gbit/s, delay: 5us }
          - rss:     { name: rx, cores: 1 }
          - esp_in:  { window: 32, per_packet: 100ns }
        sweep:
          path.esp_in.window: [32, 64]
          path.rx.cores: [1, 2]
        """;

    (int Code, string Out, string Err) Lab(params string[] args)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(args, so, se);
        return (code, so.ToString(), se.ToString());
    }

    string Write(string yaml)
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, yaml);
        return f;
    }

    [Fact]
    public void The_scenario_key_metrics_are_the_headline_ones_the_rss_groups_and_what_its_models_declare()
    {
        var loaded = ScenarioLoading.Load(Write(Sweep), null, null, null);
        Assert.Equal(
            ["delivered_pps", "loss_ratio", "latency_p99_us", "esp_out.XfrmOutStateModeError", "esp_out.lock_wait_share", "rx.utilization_max", "esp_in.replay_window"],
            KeyMetrics.Of(loaded.First));
    }

    [Fact]
    public void Every_declared_key_metric_is_one_the_run_writes_and_summary_json_lists_them()
    {
        string outDir = Path.Combine(_dir, "r");
        var (code, _, err) = Lab("run", Write(Sweep), "--out", outDir, "--no-store");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var keys = doc.RootElement.GetProperty("key_metrics").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal(7, keys.Count);
        foreach (var point in doc.RootElement.GetProperty("points").EnumerateArray())
            foreach (var k in keys)
                Assert.True(point.GetProperty("metrics").TryGetProperty(k, out _), $"key metric {k} is not among the metrics the run wrote");
    }

    [Fact]
    public void A_sweep_prints_one_row_per_point_with_the_key_metrics_and_all_prints_every_metric()
    {
        string f = Write(Sweep);
        var (code, output, err) = Lab("run", f, "--out", Path.Combine(_dir, "r"), "--no-store");
        Assert.True(code == 0, err);
        var lines = output.Split('\n');
        // Header line, blank, the table header, four points. Nothing reorders and 2 Gbit/s fits the
        // 10 Gbit/s link, so loss, replay-window drops and the esp_out errors and lock waits are zero
        // everywhere: named below the table, not given a column.
        int header = Array.FindIndex(lines, l => l.StartsWith("point ", StringComparison.Ordinal));
        Assert.True(header > 0, output);
        Assert.Equal(["point", "path.esp_in.window", "path.rx.cores", "delivered_pps", "latency_p99_us", "rx.utilization_max"],
            lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        for (int p = 0; p < 4; p++)
            Assert.StartsWith(p.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ", lines[header + 1 + p], StringComparison.Ordinal);
        Assert.Equal(4, lines.Count(l => l.Length > 0 && char.IsAsciiDigit(l[0]) && l.Contains("pps", StringComparison.Ordinal)));
        Assert.Contains("zero at every point: loss_ratio, esp_out.XfrmOutStateModeError, esp_out.lock_wait_share, esp_in.replay_window\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\npoint 0:", output, StringComparison.Ordinal);
        Assert.True(lines.Length < 20, $"{lines.Length} lines:\n{output}");

        var (allCode, all, allErr) = Lab("run", f, "--out", Path.Combine(_dir, "r"), "--no-store", "--all");
        Assert.True(allCode == 0, allErr);
        for (int p = 0; p < 4; p++) Assert.Contains($"\npoint {p}: ", all, StringComparison.Ordinal);
        Assert.Contains("esp_in.sas", all, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_point_prints_every_metric_as_before()
    {
        string single = Sweep[..Sweep.IndexOf("sweep:", StringComparison.Ordinal)];
        var (code, output, err) = Lab("run", Write(single), "--out", Path.Combine(_dir, "r"), "--no-store");
        Assert.True(code == 0, err);
        Assert.Contains("  metric ", output, StringComparison.Ordinal);
        Assert.Contains("  esp_in.sas ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_metrics_selects_the_slides_and_an_unknown_metric_is_bad_input_listing_the_available_ones()
    {
        string results = Path.Combine(_dir, "r");
        Assert.Equal(0, Lab("run", Write(Sweep), "--out", results, "--no-store").Code);
        var (code, _, err) = Lab("report", results, "--out", Path.Combine(_dir, "rep-bad"), "--metrics", "delivered_pps,esp_in.replay_windw");
        Assert.Equal(2, code);
        Assert.Contains("--metrics: no metric 'esp_in.replay_windw' in the results; available: ", err, StringComparison.Ordinal);
        Assert.Contains("esp_in.replay_window", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "rep-bad")), "nothing is written on bad input");

        string outDir = Path.Combine(_dir, "rep");
        var (ok, _, okErr) = Lab("report", results, "--out", outDir, "--metrics", "esp_in.replay_window");
        Assert.True(ok == 0, okErr);
        string slides = File.ReadAllText(Path.Combine(outDir, "slides.html"));
        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        // The chosen metric's lines and heatmap are on the slides; the other metrics' figures only in report.html.
        Assert.Contains("esp-in-replay-window-vs-window", slides, StringComparison.Ordinal);
        Assert.Contains("esp-in-replay-window-heatmap", slides, StringComparison.Ordinal);
        Assert.DoesNotContain("delivered-pps-vs-window", slides, StringComparison.Ordinal);
        Assert.Contains("delivered-pps-vs-window", html, StringComparison.Ordinal);
        Assert.Contains("esp-in-replay-window-vs-window", html, StringComparison.Ordinal);
    }
}
