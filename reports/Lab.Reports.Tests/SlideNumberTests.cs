using System.Text.Json.Nodes;
using Lab.Reports.Bench;
using Lab.Reports.Content;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Writers;

namespace Lab.Reports.Tests;

/// <summary>
/// The session-5 slide defects, each on the table or figure itself: percentages with seven digits,
/// means with seven digits beside a tiny interval, utilisation intervals above 100%, a comparison
/// table over four slides, a provenance table whose hash squeezed its headers, and a bench-trend
/// plot in half the slide's width.
/// </summary>
public class SlideNumberTests
{
    [Fact]
    public void Percentages_have_at_most_three_significant_figures_and_none_finer_than_a_hundredth()
    {
        // The heatmap cells of the session-5 comparison: rx.utilization_max 0.9999653697 → 0.9999642477
        // is -0.0001122%, printed whole; 0.4913 and 0.5435 had four figures.
        Assert.Equal("<0.01%", HumanUnit.Percent(-0.0001122));
        Assert.Equal("<0.01%", Display.Percent(0.9999653697222222, 0.9999642477));
        Assert.Equal("-0.49%", HumanUnit.Percent(-0.4913));
        Assert.Equal("-0.54%", HumanUnit.Percent(-0.5435));
        Assert.Equal("0%", HumanUnit.Percent(0));
        Assert.Equal("0%", Display.Percent(2, 2));
        // 0.0123 to two decimals; 0.126 to two decimals, not three figures (finer than a hundredth).
        Assert.Equal("+0.01%", HumanUnit.Percent(0.0123));
        Assert.Equal("+0.13%", HumanUnit.Percent(0.126));
        // Three figures: 91.5523 → 91.6, 7.0177 → 7.02, 1234.5 → 1230, and 99.96 rounds up to 100.
        Assert.Equal("-91.6%", HumanUnit.Percent(-91.5523));
        Assert.Equal("7.02%", HumanUnit.Percent(7.0177, signed: false));
        Assert.Equal("+1230%", HumanUnit.Percent(1234.5));
        Assert.Equal("+100%", HumanUnit.Percent(99.96));
        Assert.Equal("+40%", HumanUnit.Percent(40));
    }

    [Fact]
    public void A_mean_beside_a_tiny_interval_keeps_five_significant_figures()
    {
        // The session-5 p99 latency, 4.375760 ms ± 0.000036: two figures of the half-width would need
        // six decimals; five figures of the mean need four, where the half-width rounds to zero.
        Assert.Equal("4.3758 ± <0.0001", Display.MeanHalfWidth(4.37576, 0.000036));
        // 4.37769 ± 0.00034: four decimals, the half-width to one figure.
        Assert.Equal("4.3777 ± 0.0003", Display.MeanHalfWidth(4.37769, 0.00034));
        // Otherwise the half-width's two figures decide, the mean to the same decimal place.
        Assert.Equal("99.997 ± 0.021", Display.MeanHalfWidth(99.997, 0.021));
        Assert.Equal("799.20 ± 0.25", Display.MeanHalfWidth(799.2, 0.2484));
        Assert.Equal("2.216 ± 0.026", Display.MeanHalfWidth(2.2160, 0.0261));
        Assert.Equal("0.00213 ± 0.00013", Display.MeanHalfWidth(0.0021317, 0.000131));
        Assert.Equal("7.1 ± 4.7", Display.MeanHalfWidth(7.0912, 4.7123));
        Assert.Equal("146 ± 70", Display.MeanHalfWidth(146.2, 70.4));
        // A whole number keeps its integer digits: 123456.7 ± 0.03 to units, the half-width then below one.
        Assert.Equal("123457 ± <1", Display.MeanHalfWidth(123456.7, 0.03));
    }

    /// <summary>sweep-1d (five rates) with an "rx.utilization_max" metric: 99.997% ± 0.021% at the first point, 80% to 20% ± 1% at the others.</summary>
    static string UtilisationFixture()
    {
        string folder = TestPaths.CopyOfFixture("sweep-1d", "utilisation-above-100");
        string path = Path.Combine(folder, "summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(path))!;
        double[] means = [0.99997, 0.8, 0.6, 0.4, 0.2];
        int i = 0;
        foreach (var point in summary["points"]!.AsArray())
        {
            double mean = means[i++];
            double half = i == 1 ? 0.00021 : 0.01;
            point!["metrics"]!.AsObject()["rx.utilization_max"] = new JsonObject
            {
                ["unit"] = "ratio", ["mean"] = mean, ["stddev"] = half / 4, ["ci95_low"] = mean - half, ["ci95_high"] = mean + half,
                ["n"] = 2, ["values"] = new JsonArray(mean - half / 8, mean + half / 8),
            };
        }
        File.WriteAllText(path, summary.ToJsonString());
        return folder;
    }

    [FontsFact]
    public void A_utilisation_interval_is_cut_at_100_percent_and_the_caption_says_so()
    {
        var figure = Assert.Single(SweepFigures.Lines(new Comparison(ResultsReader.Read(UtilisationFixture()), null), "rx.utilization_max", new Numbering()));
        var bars = Assert.Single(figure.Plot.GetPlottables().OfType<ScottPlot.Plottables.ErrorBar>());
        // 99.997% + 0.021% = 100.018% is drawn up to 100% only: +0.003%; below, 0.021% as given.
        Assert.Equal(99.997, bars.Ys[0], 9);
        Assert.Equal(0.003, bars.YErrorPositive![0], 9);
        Assert.Equal(0.021, bars.YErrorNegative![0], 9);
        // The other points' intervals (± 1%) are untouched.
        Assert.Equal([1.0, 1.0, 1.0, 1.0], bars.YErrorPositive.Skip(1).Select(v => Math.Round(v, 9)));
        Assert.Contains("The y axis starts at zero; intervals reaching above 100% are cut there (a share of a whole cannot exceed it).", figure.Caption, StringComparison.Ordinal);
        // The axis ends just above 100% (99.997 x 1.1 would put a 110% tick on a utilisation axis).
        Assert.Equal(104, figure.Plot.Axes.GetLimits().Top, 6);
        // Loss is a share too; a coefficient of variation or a lock-wait share of several cores is not.
        Assert.True(MetricCatalog.IsFraction("loss_ratio", "ratio"));
        Assert.True(MetricCatalog.IsFraction("rx4.utilization", "ratio"));
        Assert.False(MetricCatalog.IsFraction("iptfs.size_cv", "ratio"));
        Assert.False(MetricCatalog.IsFraction("esp_out.lock_wait_share", "ratio"));
        Assert.False(MetricCatalog.IsFraction("delivered_pps", "pps"));
    }

    /// <summary>sweep-2d against itself scaled by 1 + 0.1 x (point + 1): every metric of every point changes, significantly.</summary>
    public static Comparison ScaledSweepComparison(string scratch, bool shortNames = false)
    {
        var (after, before) = ScaledSweep(scratch, shortNames);
        return new(ResultsReader.Read(after), ResultsReader.Read(before));
    }

    /// <summary>
    /// The folders of <see cref="ScaledSweepComparison"/>: "after" and its baseline. With <paramref name="shortNames"/>
    /// both name their parameters esp.window and cellular.reorder, as short as the window x cores sweep's
    /// window and cores (sweep-2d's replay_window and reorder_probability headers take 519 px of a slide).
    /// </summary>
    public static (string After, string Before) ScaledSweep(string scratch, bool shortNames = false)
    {
        string after = TestPaths.CopyOfFixture("sweep-2d", scratch);
        string before = Path.Combine(Path.GetDirectoryName(after)!, "baseline");
        Directory.CreateDirectory(before);
        foreach (var f in Directory.GetFiles(TestPaths.Fixture("sweep-2d"))) File.Copy(f, Path.Combine(before, Path.GetFileName(f)));
        if (shortNames)
        {
            foreach (var f in Directory.GetFiles(after).Concat(Directory.GetFiles(before)))
                File.WriteAllText(f, File.ReadAllText(f).Replace("esp.replay_window", "esp.window", StringComparison.Ordinal)
                    .Replace("cellular.reorder_probability", "cellular.reorder", StringComparison.Ordinal));
        }
        string path = Path.Combine(after, "summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var point in summary["points"]!.AsArray())
        {
            double f = 1 + 0.1 * (point!["index"]!.GetValue<int>() + 1);
            foreach (var (_, m) in point["metrics"]!.AsObject())
            {
                foreach (var key in new[] { "mean", "stddev", "ci95_low", "ci95_high" }) m![key] = m[key]!.GetValue<double>() * f;
                var values = m!["values"]!.AsArray();
                for (int v = 0; v < values.Count; v++) values[v] = values[v]!.GetValue<double>() * f;
            }
        }
        File.WriteAllText(path, summary.ToJsonString());
        return (after, before);
    }

    [Fact]
    public void The_comparison_slide_puts_the_unit_in_the_metric_cell_and_its_16_rows_on_one_slide()
    {
        var c = ScaledSweepComparison("compare-slide-form");
        var table = Tables.Compare(c, c.MetricNames(), new Numbering());
        // report.html keeps every column.
        Assert.Equal(["replay_window", "reorder_probability", "Metric", "Unit", "Before", "After", "Change", "Change %", "p", "Significant"], table.Header);
        var slide = table.SlideForm!;
        // Every row shown is significant (the note says so): no Significant column, and no Unit column.
        Assert.Equal(["replay_window", "reorder_probability", "Metric", "Before", "After", "Change", "Change %", "p"], slide.Header);
        Assert.Equal(Tables.SlideSignificantRows, slide.Rows.Count);
        Assert.StartsWith("The 16 largest relative changes of the ", slide.Note, StringComparison.Ordinal);
        // The unit of the Metric cell: loss in %, the delivered rate in kpps (sweep-2d delivers about 100 kpps, scaled by up to 1.9).
        Assert.Contains(slide.Rows, r => r[2] == "Loss (%)");
        Assert.All(slide.Rows.Where(r => r[2].StartsWith("Delivered", StringComparison.Ordinal)), r => Assert.Equal("Delivered packet rate (kpps)", r[2]));
        // One slide: with the parameters' long names (about 519 px of headers) the 16 rows keep every
        // column over two column pages (before this fix: four slides, 8 rows each, Unit and Significant included).
        Assert.Equal(2, SlideTable.Slides(SlideTable.Fit(slide, SlidesWriter.RowsPerSlide, out _), SlidesWriter.RowsPerSlide));
        // With names as short as the window x cores sweep's: widths about 131 + 127 (bold "window",
        // "reorder") + 433 (the longest Metric cell, "Delivered packet rate (kpps)", unwrapped) + 231 + 201
        // (Before, After) + 147 + 129 + 117 (Change, Change %, p) = 1516 px, more than the 1460 px budget, and
        // wrapped Metric cells would need a second page of rows: leaving out the absolute change (report.html
        // has it) puts the 16 rows on one slide, each on one line.
        var c2 = ScaledSweepComparison("compare-slide-form-short", shortNames: true);
        var shortSlide = Tables.Compare(c2, c2.MetricNames(), new Numbering()).SlideForm!;
        var fitted = SlideTable.Fit(shortSlide, SlidesWriter.RowsPerSlide, out var dropped);
        string widths = string.Join(", ", shortSlide.Header.Select((h, i) => $"{h} {SlideTable.ColumnWidth(shortSlide, i, unwrapped: true):0}"));
        Assert.True(dropped.SequenceEqual(["Change"]), $"dropped [{string.Join(", ", dropped)}]; widths: {widths}");
        Assert.Equal(["window", "reorder", "Metric", "Before", "After", "Change %", "p"], fitted.Header);
        Assert.Equal(1, SlideTable.Slides(fitted, SlidesWriter.RowsPerSlide));
        Assert.Equal(16 * 37 + 37, SlideTable.EstimatedHeight(fitted, fitted.Rows, [.. Enumerable.Range(0, fitted.Header.Count)]));
    }

    [Fact]
    public void A_word_without_spaces_is_estimated_at_its_full_width_and_never_breaks()
    {
        string hash = "eccbd7fa74ef6e84a5d635c45a6336995befccd49e4cfa58e62e21a4c84b8c54";
        var t = new ReportTable("t", "T", ["Results", "Scenario sha256", "Replications"], [["before", hash, "2"]], [], []) { FirstNumericColumn = 3 };
        // The old estimate took a text cell's first 26 characters (about 400 px); the hash cannot wrap
        // and is 64 hex digits of DejaVu Sans's 0.61-0.64 em at 24 px, about 960 px.
        Assert.True(SlideTable.ColumnWidth(t, 1) >= 64 * 0.6 * 24, $"{SlideTable.ColumnWidth(t, 1)} px");
        // A 120-character path is no word to keep whole: it is estimated at 64 characters (a sha256 in hex,
        // the longest word the lab writes) and may break anywhere; whole it would be about 120 x 0.6 x 24 px.
        string path = "/" + string.Join("/", Enumerable.Repeat("abcdefghi", 12));
        var p = new ReportTable("p", "P", ["Command"], [[$"lab run {path}"]], [], []);
        Assert.True(SlideTable.ColumnWidth(p, 0) < 70 * 0.7 * 24, $"{SlideTable.ColumnWidth(p, 0)} px");
        var sb = new System.Text.StringBuilder();
        HtmlParts.Table(sb, p, p.Rows);
        Assert.Contains("<td class=\"long\">", sb.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_results_folders_slide_has_a_column_per_folder_and_abbreviated_hashes()
    {
        var before = ResultsReader.Read(TestPaths.Fixture("compare-before"));
        var after = ResultsReader.Read(TestPaths.Fixture("compare-after"));
        var table = Tables.Provenance([("before", before), ("after", after)], new Numbering());
        // report.html and the CSV: a row per folder, the hash whole.
        Assert.Equal(after.Summary.Scenario.Hash, table.Rows[1][2]);
        Assert.Equal(64, table.Rows[1][2].Length);
        var slide = table.SlideForm!;
        Assert.Equal(["Results", "before", "after"], slide.Header);
        Assert.Equal(["Scenario", "Scenario sha256", "Seed", "Replications", "Lab version", "Commit", "Run date (UTC)", "Host", "Command"], slide.Rows.Select(r => r[0]));
        Assert.Equal(after.Summary.Scenario.Hash[..12] + "…", slide.Rows[1][2]);
        // One slide.
        var columns = Assert.Single(SlideTable.ColumnGroups(slide));
        Assert.Single(SlideTable.RowGroups(slide, slide.Rows, columns, SlidesWriter.RowsPerSlide));
    }

    static BenchTrendSuite Suite(params string[] names) =>
        new("engine", [new("aaaaaaa", "r1", DateTimeOffset.UnixEpoch, "aaaaaaa", "quick", "m", true, false), new("bbbbbbb", "r2", DateTimeOffset.UnixEpoch.AddDays(1), "bbbbbbb", "quick", "m", true, false)],
            [.. names.Select((n, i) => new BenchTrendSeries(n, "op", [0.004 + 0.001 * i, 0.005 + 0.001 * i], [0.0035 + 0.001 * i, 0.0045 + 0.001 * i], [0.0045 + 0.001 * i, 0.0055 + 0.001 * i]))]);

    [FontsFact]
    public void The_bench_trend_plot_takes_most_of_the_width_with_its_legend_below()
    {
        // The engine suite's names (session-5 screenshot: legend beside, the plot in half the width).
        var figure = BenchTrendReport.Figure(Suite("EngineTimerBenchmarks.ScheduleAndCancel", "EngineHoldBenchmarks.Hold(Pending=1000)",
            "EngineHoldBenchmarks.Hold(Pending=100000)", "EngineHoldBenchmarks.Hold(Pending=1000000)"), new Numbering())!;
        byte[] png = figure.Plot.GetImageBytes(FigureStyle.Width, FigureStyle.Height, ScottPlot.ImageFormat.Png);
        var render = figure.Plot.RenderManager.LastRender;
        var data = render.DataRect;
        Assert.True(data.Width >= 0.8 * FigureStyle.Width, $"the data area is {data.Width} px of {FigureStyle.Width}");
        // The legend is a panel under the plot, two names a row: two rows, less than an eighth of the height.
        var legendPanel = Assert.Single(render.Layout.PanelSizes, kv => kv.Key is ScottPlot.Panels.LegendPanel);
        Assert.Equal(ScottPlot.Edge.Bottom, legendPanel.Key.Edge);
        Assert.True(legendPanel.Value < FigureStyle.Height / 8.0, $"legend panel {legendPanel.Value} px high");
        Assert.True(data.Height >= 0.6 * FigureStyle.Height, $"the data area is {data.Height} px high");
        // Nothing is drawn on the figure's outermost pixels: the last legend row and the frame stay inside.
        Assert.Equal("", PngEdge.Touching(png));
        Assert.Equal(["EngineTimerBenchmarks.ScheduleAndCancel", "EngineHoldBenchmarks.Hold(Pending=1000)", "EngineHoldBenchmarks.Hold(Pending=100000)", "EngineHoldBenchmarks.Hold(Pending=1000000)"],
            figure.Plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText));

        // A class every benchmark shares is said once, in the caption.
        figure = BenchTrendReport.Figure(Suite("ReplayBenchmarks.InboundStep(Kind=Legacy, Window=4096)", "ReplayBenchmarks.InboundStep(Kind=Esn, Window=4096)"), new Numbering())!;
        Assert.Equal(["InboundStep(Kind=Legacy, Window=4096)", "InboundStep(Kind=Esn, Window=4096)"],
            figure.Plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText));
        Assert.StartsWith("Benchmarks of ReplayBenchmarks. ", figure.Caption, StringComparison.Ordinal);
        Assert.Equal("", BenchTrendReport.SharedClass(["A.x", "B.y"]));
        Assert.Equal("", BenchTrendReport.SharedClass(["A.x"]));
    }
}

/// <summary>Whether anything is drawn on a rendered figure's outermost pixels (a legend or frame cut by the edge).</summary>
static class PngEdge
{
    /// <summary>"" when the two outermost rows and columns are all background (white); else which edge is touched.</summary>
    public static string Touching(byte[] png)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        var edges = new List<string>();
        bool Ink(int x, int y)
        {
            var c = bitmap.GetPixel(x, y);
            return c.Alpha > 0 && (c.Red < 240 || c.Green < 240 || c.Blue < 240);
        }
        for (int d = 0; d < 2; d++)
        {
            if (Enumerable.Range(0, bitmap.Width).Any(x => Ink(x, d))) edges.Add("top");
            if (Enumerable.Range(0, bitmap.Width).Any(x => Ink(x, bitmap.Height - 1 - d))) edges.Add("bottom");
            if (Enumerable.Range(0, bitmap.Height).Any(y => Ink(d, y))) edges.Add("left");
            if (Enumerable.Range(0, bitmap.Height).Any(y => Ink(bitmap.Width - 1 - d, y))) edges.Add("right");
        }
        return string.Join(", ", edges.Distinct());
    }
}
