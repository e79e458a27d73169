using Lab.Core;
using Lab.Reports.Content;
using Lab.Reports.Figures;
using Lab.Reports.Writers;

namespace Lab.Reports.Tests;

/// <summary>What goes on the slides: axes for power-of-two parameters, column splits, colour scales, metric selection.</summary>
public class SlideContentTests
{
    [Fact]
    public void Replay_windows_and_core_counts_sit_on_a_log2_axis_ticked_at_their_values()
    {
        var windows = ParameterAxis.For("path.esp_in.window", ["32", "64", "128", "1024"]);
        Assert.True(windows.Log2);
        // log2 32 = 5, 64 = 6, 128 = 7, 1024 = 10: equal steps for each doubling.
        Assert.Equal([5.0, 6.0, 7.0, 10.0], windows.Positions);
        Assert.Equal("path.esp_in.window (log2 scale)", windows.Label);
        Assert.Equal([0.0, 1.0, 2.0, 3.0], ParameterAxis.For("path.rx.cores", ["1", "2", "4", "8"]).Positions);
        // Not powers of two, too few values, or less than a factor of four: linear as before.
        Assert.False(ParameterAxis.For("n", ["1", "2", "3", "4"]).Log2);
        Assert.False(ParameterAxis.For("n", ["64", "128"]).Log2);
        Assert.False(ParameterAxis.For("n", ["64", "128", "128"]).Log2);
        Assert.False(ParameterAxis.For("rate", ["2Gbit/s", "4Gbit/s", "8Gbit/s"]).Log2);
    }

    static ReportTable Table(int columns, string cell, int keyColumns) =>
        new("t", "T", Enumerable.Range(0, columns).Select(i => $"c{i}").ToList(),
            [Enumerable.Range(0, columns).Select(i => i < keyColumns ? "32" : cell).ToList()], [], [])
        { FirstNumericColumn = keyColumns, KeyColumns = keyColumns };

    [Fact]
    public void A_wide_table_splits_its_columns_evenly_and_repeats_the_key_columns_on_each_slide()
    {
        // Widths measured from DejaVu Sans at 24 px: "2.621 ± 0.021" is 8 digits x 0.636 em + 2 dots and
        // 2 spaces x 0.318 em + ± 0.838 em = 7.18 em, 172.3 px + 28 px padding = 200.3 px; the key column
        // is its bold header "c0" (about 1.3 em, 31 px + 28 = 59 px). Room: 1460 - 59 = 1401 px = 6 cells
        // per slide (7 would need 1402 px); 10 cells need 2 slides, shared 5 and 5.
        var groups = SlideTable.ColumnGroups(Table(11, "2.621 ± 0.021", 1));
        Assert.Equal(2, groups.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], groups[0]);
        Assert.Equal([0, 6, 7, 8, 9, 10], groups[1]);
        // Two parameter columns stay on every slide.
        var two = SlideTable.ColumnGroups(Table(14, "2.621 ± 0.021", 2));
        Assert.All(two, g => Assert.Equal([0, 1], g.Take(2)));
        Assert.Equal(Enumerable.Range(2, 12), two.SelectMany(g => g.Skip(2)));
        // A narrow table stays whole.
        Assert.Equal([0, 1, 2], Assert.Single(SlideTable.ColumnGroups(Table(3, "1.5", 1))));
    }

    [FontsFact]
    public void Heatmap_colours_start_at_zero_and_changes_diverge_around_no_change()
    {
        string[,] text = { { "", "" }, { "", "" } };
        // 95 and 100: viridis over 0..100, so 95 is 95% of the way, not the bottom of the scale.
        var plot = Charts.Heatmap("t", "x", "y", ["a", "b"], ["c", "d"], new double[,] { { 95, 100 }, { 97, 99 } }, text, "", diverging: false, out string scale);
        var map = plot.GetPlottables().OfType<ScottPlot.Plottables.Heatmap>().Single();
        Assert.Equal((0.0, 100.0), (map.ManualRange!.Value.Min, map.ManualRange.Value.Max));
        Assert.Equal("Colour scale from zero (dark) to the largest value (yellow).", scale);
        // A 5% change does not saturate the diverging scale: it runs to at least ±25%.
        plot = Charts.Heatmap("t", "x", "y", ["a", "b"], ["c", "d"], new double[,] { { 5, -2 }, { 0, 1 } }, text, "", diverging: true, out scale);
        map = plot.GetPlottables().OfType<ScottPlot.Plottables.Heatmap>().Single();
        Assert.Equal((-25.0, 25.0), (map.ManualRange!.Value.Min, map.ManualRange.Value.Max));
        Assert.Contains("full colour at ±25%", scale, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_report_writes_nothing_and_leaves_no_staging_folder()
    {
        string parent = TestPaths.Scratch("report-cancelled");
        string outDir = Path.Combine(parent, "out");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            ReportGenerator.Generate(new ReportOptions([TestPaths.Fixture("sweep-2d")], outDir, null, null), TextWriter.Null, cancelled.Token));
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void An_unknown_metric_is_bad_input_naming_the_available_ones_and_nothing_is_written()
    {
        string outDir = Path.Combine(TestPaths.Scratch("metrics-unknown"), "out");
        var options = new ReportOptions([TestPaths.Fixture("sweep-2d")], outDir, null, null) { Metrics = ["loss_ratio", "replay_drops"] };
        var e = Assert.Throws<ParameterException>(() => ReportGenerator.Generate(options, TextWriter.Null));
        Assert.Equal("metrics", e.Problems[0].Parameter);
        Assert.Equal("metrics: no metric 'replay_drops' in the results; available: delivered_pps, drop.XfrmInStateSeqError, drops_total, loss_ratio", e.Message);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void The_slides_show_the_chosen_or_key_metrics_and_every_figure_stays_in_the_report()
    {
        string outDir = TestPaths.Scratch("metrics-chosen");
        var output = ReportGenerator.Generate(new ReportOptions([TestPaths.Fixture("sweep-2d")], outDir, null, null) { Metrics = ["drop.XfrmInStateSeqError"] }, TextWriter.Null);
        string slides = File.ReadAllText(Path.Combine(outDir, "slides.html"));
        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        // Lines and heatmaps of the 4 varying metrics and drops by reason: 9 figures in report.html;
        // on the slides the chosen metric's lines and heatmap, and drops by reason.
        Assert.Equal(9, output.Figures);
        Assert.Equal(9, Count(html, "class=\"figure\""));
        Assert.Equal(3, Count(slides, "class=\"figure\""));
        Assert.Contains("The slides show the key metrics (6 more figures in report.html", slides, StringComparison.Ordinal);

        // By default: the fixture's key_metrics that it has and that vary (delivered_pps, loss_ratio,
        // drop.XfrmInStateSeqError; it has no latency), so drops_total's two figures are report-only.
        outDir = TestPaths.Scratch("metrics-default");
        ReportGenerator.Generate(new ReportOptions([TestPaths.Fixture("sweep-2d")], outDir, null, null), TextWriter.Null);
        slides = File.ReadAllText(Path.Combine(outDir, "slides.html"));
        Assert.Equal(7, Count(slides, "class=\"figure\""));
        Assert.DoesNotContain("drops-total", slides, StringComparison.Ordinal);
        Assert.Contains("drops-total", File.ReadAllText(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
    }

    static int Count(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
