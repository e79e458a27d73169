using System.Globalization;
using Lab.Benchmarking;
using Lab.Reports.Bench;
using Lab.Reports.Content;
using ScottPlot.Plottables;

namespace Lab.Cli.Tests;

/// <summary>
/// <c>lab report --bench</c> on a DuckDB results store written by <see cref="BenchStore.Record"/>
/// with four runs (one dry, three quick):
/// <code>
/// run  date        commit       mode   engine: ref, Hold, ScheduleAndCancel (median ns, stderr)   io: ref, Write(64), Read(1518)
/// r0   2026-10-31  0000000aaaa  dry    1000 (0, n 1), 1 (0, n 1), -                              -
/// r1   2026-11-01  aaaaaaa1111  quick  8000 (80),  40 (0.8),  32 (0)                              10000 (100), 20 (0.2), 500 (5)
/// r2   2026-11-02  bbbbbbb2222  quick  10000 (100), 60 (1.2), 30 (0.3)                             -
/// r3   2026-11-03  bbbbbbb2222  quick  5000 (50),  35 (0.7),  16 (0.16)                            8000 (80), 20 (0.2), -
/// </code>
/// every quick measurement over n = 15 iterations. By hand: Hold's ratio is 40/8000 = 0.005,
/// 60/10000 = 0.006, 35/5000 = 0.007; ScheduleAndCancel's 32/8000 = 0.004, 30/10000 = 0.003,
/// 16/5000 = 0.0032; io Write 20/10000 = 0.002 and 20/8000 = 0.0025, Read 500/10000 = 0.05.
/// Hold in r1: relative standard errors 0.8/40 = 0.02 and 80/8000 = 0.01, ratio's
/// sqrt(0.02² + 0.01²) = 0.0223607, df = 15 - 1 = 14, t(0.975, 14) = 2.144787, so the band is
/// 0.005 · exp(±2.144787 · 0.0223607) = 0.0047659 .. 0.0052456. First to latest: Hold
/// 0.007/0.005 - 1 = +40%, noise exp(2.144787 · sqrt(2 · 0.0223607²)) - 1 = 7.0177%, slower beyond
/// noise; ScheduleAndCancel 0.0032/0.004 - 1 = -20%, noise exp(2.144787 · sqrt(0.01² + 0.0141421²)) - 1
/// = 3.7847%, faster. The dry run is left out unless --mode dry.
/// </summary>
public sealed class BenchReportTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-bench-report-").FullName;

    string Db => Path.Combine(_dir, "lab.duckdb");

    public void Dispose() => Directory.Delete(_dir, true);

    static BenchMeasurement M(string suite, string benchmark, string parameters, double median, double stderr, int n = 15, string unit = "op") =>
        new(suite, benchmark, parameters, median, median, stderr, n, 0, unit, benchmark == "ReferenceBenchmarks.FixedWork");

    static BenchRun Run(string id, int day, string commit, BenchMode mode, params BenchMeasurement[] ms) =>
        new(id, new DateTimeOffset(2026, day > 31 ? 11 : 10, day > 31 ? day - 31 : day, 12, 0, 0, TimeSpan.Zero), commit, "0.1.0", "host",
            "Test CPU, 2 logical cores", mode, true, false, ms);

    void WriteStore()
    {
        using var store = new BenchStore(Db);
        store.Record(Run("r0", 31, "0000000aaaa", BenchMode.Dry,
            M("engine", "ReferenceBenchmarks.FixedWork", "", 1000, 0, 1), M("engine", "EngineHoldBenchmarks.Hold", "Pending=1000", 1, 0, 1, "event")));
        store.Record(Run("r1", 32, "aaaaaaa1111", BenchMode.Quick,
            M("engine", "ReferenceBenchmarks.FixedWork", "", 8000, 80), M("engine", "EngineHoldBenchmarks.Hold", "Pending=1000", 40, 0.8, unit: "event"),
            M("engine", "EngineTimerBenchmarks.ScheduleAndCancel", "", 32, 0, unit: "timer"),
            M("io", "ReferenceBenchmarks.FixedWork", "", 10000, 100), M("io", "PcapBenchmarks.Write", "FrameSize=64", 20, 0.2, unit: "packet"),
            M("io", "PcapBenchmarks.Read", "FrameSize=1518", 500, 5, unit: "packet")));
        store.Record(Run("r2", 33, "bbbbbbb2222", BenchMode.Quick,
            M("engine", "ReferenceBenchmarks.FixedWork", "", 10000, 100), M("engine", "EngineHoldBenchmarks.Hold", "Pending=1000", 60, 1.2, unit: "event"),
            M("engine", "EngineTimerBenchmarks.ScheduleAndCancel", "", 30, 0.3, unit: "timer")));
        store.Record(Run("r3", 34, "bbbbbbb2222", BenchMode.Quick,
            M("engine", "ReferenceBenchmarks.FixedWork", "", 5000, 50), M("engine", "EngineHoldBenchmarks.Hold", "Pending=1000", 35, 0.7, unit: "event"),
            M("engine", "EngineTimerBenchmarks.ScheduleAndCancel", "", 16, 0.16, unit: "timer"),
            M("io", "ReferenceBenchmarks.FixedWork", "", 8000, 80), M("io", "PcapBenchmarks.Write", "FrameSize=64", 20, 0.2, unit: "packet")));
    }

    BenchTrends Trends(string? suite = null, int last = 10, BenchMode? mode = null)
    {
        using var store = new BenchStore(Db);
        return BenchTrendsBuilder.Build(BenchModeFilter.Select(store.Runs(mode), mode), suite, last, Db, BenchModeFilter.Describe(mode));
    }

    static (int Code, string Out, string Err) Lab(params string[] args)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int code = LabCommand.Run(args, so, se);
        return (code, so.ToString(), se.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    static void Near(double expected, double actual, double relative = 1e-6) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"expected {expected}, found {actual}");

    [Fact]
    public void Ratios_bands_and_changes_per_run_are_those_worked_out_by_hand()
    {
        WriteStore();
        var trends = Trends();
        Assert.Equal(["engine", "io"], trends.Suites.Select(s => s.Suite));
        var engine = trends.Suites[0];
        Assert.Equal(["r1", "r2", "r3"], engine.Runs.Select(r => r.RunId));
        Assert.Equal(["aaaaaaa", "bbbbbbb", "bbbbbbb (2)"], engine.Runs.Select(r => r.Label));
        Assert.Equal(["Hold(Pending=1000)", "ScheduleAndCancel"], engine.Series.Select(s => s.Benchmark.Split('.')[1]));

        var hold = engine.Series[0];
        Assert.Equal("EngineHoldBenchmarks.Hold(Pending=1000)", hold.Benchmark);
        Assert.Equal("event", hold.OpUnit);
        double[] holdRatios = [0.005, 0.006, 0.007];
        for (int i = 0; i < 3; i++) Near(holdRatios[i], hold.Ratios[i], 1e-12);
        Near(0.0047658649, hold.Low[0]);
        Near(0.0052456376, hold.High[0]);
        Assert.Equal(new BenchTrendChange(0, 2, hold.Change!.Change, hold.Change.Noise, "slower"), hold.Change);
        Near(0.40, hold.Change.Change, 1e-12);
        Near(0.0701770588, hold.Change.Noise);

        var timer = engine.Series[1];
        double[] timerRatios = [0.004, 0.003, 0.0032];
        for (int i = 0; i < 3; i++) Near(timerRatios[i], timer.Ratios[i], 1e-12);
        Near(-0.20, timer.Change!.Change, 1e-12);
        Near(0.0378474360, timer.Change.Noise);
        Assert.Equal("faster", timer.Change.BeyondNoise);

        // io ran in r1 and r3 only: its own two runs, labelled as everywhere else; Read only in r1.
        var io = trends.Suites[1];
        Assert.Equal(["aaaaaaa", "bbbbbbb (2)"], io.Runs.Select(r => r.Label));
        Near(0.002, io.Series[0].Ratios[0], 1e-12);
        Near(0.0025, io.Series[0].Ratios[1], 1e-12);
        Near(0.05, io.Series[1].Ratios[0], 1e-12);
        Assert.True(double.IsNaN(io.Series[1].Ratios[1]));
        Assert.Null(io.Series[1].Change);
    }

    [Fact]
    public void The_figures_plot_those_ratios_linear_or_on_a_log_axis()
    {
        WriteStore();
        var doc = BenchTrendReport.Build(Trends(), null);
        var figures = doc.Sections.SelectMany(s => s.Blocks).OfType<FigureBlock>().Select(f => f.Figure).ToList();
        Assert.Equal(["fig01-trend-engine", "fig02-trend-io"], figures.Select(f => f.Id));

        // engine: ratios 0.003 .. 0.007 (with bands 0.0029 .. 0.0073, within a factor of ten): linear axis, x = run index.
        var engine = figures[0].Plot.GetPlottables().OfType<Scatter>().ToDictionary(s => s.LegendText, s => s.Data.GetScatterPoints());
        Assert.Equal([(0.0, 0.005), (1.0, 0.006), (2.0, 0.007)], engine["EngineHoldBenchmarks.Hold(Pending=1000)"].Select(c => (c.X, Math.Round(c.Y, 12))));
        Assert.Equal([(0.0, 0.004), (1.0, 0.003), (2.0, 0.0032)], engine["EngineTimerBenchmarks.ScheduleAndCancel"].Select(c => (c.X, Math.Round(c.Y, 12))));

        // io: 0.002 .. 0.05, a factor of 25: plotted as log10, Read only at run 0. Both are PcapBenchmarks:
        // the class is said once, in the caption, and the legend names the methods.
        var io = figures[1].Plot.GetPlottables().OfType<Scatter>().ToDictionary(s => s.LegendText, s => s.Data.GetScatterPoints());
        Assert.Equal([(0.0, -2.698970004336), (1.0, -2.602059991328)], io["Write(FrameSize=64)"].Select(c => (c.X, Math.Round(c.Y, 12))));
        Assert.Equal([(0.0, -1.301029995664)], io["Read(FrameSize=1518)"].Select(c => (c.X, Math.Round(c.Y, 12))));
        Assert.StartsWith("Benchmarks of PcapBenchmarks. ", figures[1].Caption, StringComparison.Ordinal);
        Assert.Contains("log scale", figures[1].Plot.Axes.Left.Label.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Last_keeps_the_latest_runs_of_each_suite_and_mode_dry_only_the_dry_run()
    {
        WriteStore();
        var last2 = Trends(last: 2).Suites[0];
        Assert.Equal(["r2", "r3"], last2.Runs.Select(r => r.RunId));
        Near(0.007 / 0.006 - 1, last2.Series[0].Change!.Change, 1e-12);
        var dry = Trends(mode: BenchMode.Dry);
        Assert.Equal(["r0"], dry.Suites.Single().Runs.Select(r => r.RunId));
        Assert.Equal(0.001, dry.Suites[0].Series.Single().Ratios.Single());
    }

    [Fact]
    public void Lab_report_bench_writes_the_report_from_the_store()
    {
        WriteStore();
        string outDir = Path.Combine(_dir, "out");
        var (code, output, err) = Lab("report", "--bench", "--db", Db, "--out", outDir);
        Assert.True(code == 0, err);
        // Title slide; engine figure + its table; io figure + its table; the runs table. Each ratio table is wider than a
        // slide (8 + 2 ratio columns), so it takes two slides with its key column repeated; the runs table (7 columns)
        // fits one slide of 1460 px measured in DejaVu Sans: 1 + (1 + 2) x 2 + 1.
        // Title, per suite a figure and its change table, the runs table: six slides, and one of the
        // tables over two (io's benchmarks compare different runs, so its table keeps the run columns).
        Assert.Contains($"report: 2 figures, 3 tables, 7 slides in {outDir}", output, StringComparison.Ordinal);
        foreach (var f in new[] { "report.md", "report.html", "slides.html", "figures/fig01-trend-engine.png", "figures/fig01-trend-engine.svg", "tables/table03-runs.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var csv = File.ReadAllLines(Path.Combine(outDir, "tables/table01-change-engine.csv"));
        Assert.Equal("suite,benchmark,op_unit,runs,first_run_id,first_commit,first_ratio,latest_run_id,latest_commit,latest_ratio,change,noise95,beyond_noise", csv[0]);
        var hold = csv[1].Split(',');
        Assert.Equal(["engine", "EngineHoldBenchmarks.Hold(Pending=1000)", "event", "3", "r1", "aaaaaaa1111"], hold[..6]);
        Near(0.005, double.Parse(hold[6], CultureInfo.InvariantCulture), 1e-12);
        Assert.Equal(["r3", "bbbbbbb2222"], hold[7..9]);
        Near(0.40, double.Parse(hold[10], CultureInfo.InvariantCulture), 1e-12);
        Assert.Equal("slower", hold[12]);
        string md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.StartsWith("# Benchmark trends\n", md, StringComparison.Ordinal);
        Assert.Contains("| EngineHoldBenchmarks.Hold(Pending=1000) | event | aaaaaaa | bbbbbbb (2) | 3 | 0.005000 | 0.007000 | +40% | ±7.02% | slower |", md, StringComparison.Ordinal);
        Assert.Contains($"benchmark runs from {Db} · 3 runs · first r1 (commit aaaaaaa1111) · latest r3 (commit bbbbbbb2222)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_suite_is_bad_input_listing_the_recorded_suites()
    {
        WriteStore();
        var (code, _, err) = Lab("report", "--bench", "--db", Db, "--suite", "crypto", "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: --suite: expected one of engine, io (the suites of the full or quick runs in {Db}), found 'crypto'\n", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void An_empty_store_is_bad_input_and_writes_nothing()
    {
        new BenchStore(Db).Dispose();
        var (code, _, err) = Lab("report", "--bench", "--db", Db, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: no full or quick benchmark runs recorded in {Db}\nlab: hint: run lab bench first, or choose --mode\n", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void A_missing_store_is_bad_input_and_is_not_created()
    {
        var (code, _, err) = Lab("report", "--bench", "--db", Db);
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: --db: no results store at {Db} (benchmark runs are recorded there)\n", err);
        Assert.False(File.Exists(Db));
    }

    [Theory]
    [InlineData("--bench", "some-results-folder")]
    [InlineData("--suite", "engine")]
    [InlineData("--last", "3")]
    public void Bench_flags_and_results_folders_do_not_mix(string flag, string value)
    {
        var (code, _, err) = Lab(flag == "--bench" ? ["report", "--bench", value] : ["report", "some-results-folder", flag, value]);
        Assert.Equal(2, code);
        Assert.Contains(flag == "--bench" ? "expected no RESULTS folders" : $"{flag}: only with --bench", err, StringComparison.Ordinal);
    }
}
