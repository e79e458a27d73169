using System.Text.Json.Nodes;
using Lab.Reports.Content;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Writers;

namespace Lab.Reports.Tests;

/// <summary>
/// The slide defects of session 3, each checked on the figure or table itself: a legend over the data
/// of a busy comparison, long "(= ...)" legend entries, a loss axis below zero under error bars,
/// and tables paginated more cautiously than the slide needs.
/// </summary>
public class SlideFigureTests
{
    /// <summary>sweep-2d against itself: every line coincides with its baseline, the busiest legend a comparison can have.</summary>
    static Comparison BusyComparison() =>
        new(ResultsReader.Read(TestPaths.Fixture("sweep-2d")), ResultsReader.Read(TestPaths.Fixture("sweep-2d")));

    [FontsFact]
    public void A_busy_comparison_keeps_its_legend_beside_the_data_with_one_short_entry_per_set_of_identical_lines()
    {
        var c = BusyComparison();
        foreach (var metric in new[] { "delivered_pps", "loss_ratio", "drop.XfrmInStateSeqError" })
        {
            var figure = Assert.Single(SweepFigures.Lines(c, metric, new Numbering()));
            var plot = figure.Plot;
            plot.GetImage(FigureStyle.Width, FigureStyle.Height);
            var data = plot.RenderManager.LastRender.DataRect;
            using var legend = plot.GetLegendImage();
            // Geometry: the legend (its own panel) lies wholly right of the data area, inside the figure.
            Assert.True(data.Right + legend.Width <= FigureStyle.Width,
                $"{metric}: data area ends at {data.Right} px, the {legend.Width} px legend does not fit beside it in {FigureStyle.Width} px");
            Assert.False(plot.Legend.IsVisible, $"{metric}: a legend is also drawn inside the data area");
            // 3 reorder probabilities x (before, after), all pairs identical: 3 entries, not 6 with "(= ...)".
            var entries = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText).Where(t => t.Length > 0).ToList();
            Assert.Equal(["reorder_probability=0.01 (before = after)", "reorder_probability=0.05 (before = after)", "reorder_probability=0.1 (before = after)"], entries);
            Assert.Contains("Identical values, drawn on top of each other: reorder_probability=0.01 (before) and reorder_probability=0.01 (after);", figure.Caption, StringComparison.Ordinal);
        }
    }

    [FontsFact]
    public void Long_legend_labels_get_smaller_type_so_the_legend_leaves_the_data_most_of_the_width()
    {
        // Four benchmark names of up to 39 characters (the engine suite's): at the full 34 px the legend
        // took two thirds of the slide (session-4 bench-trend screenshot).
        string[] names = ["EngineTimerBenchmarks.ScheduleAndCancel", "EngineHoldBenchmarks.Hold(Pending=1000)",
            "EngineHoldBenchmarks.Hold(Pending=100000)", "EngineHoldBenchmarks.Hold(Pending=1000000)"];
        var plot = Charts.Lines("t", "x", "y", [.. names.Select((n, i) => new LineSeries(n, [0, 1], [1, 2], i))]);
        plot.GetImage(FigureStyle.Width, FigureStyle.Height);
        using var legend = plot.GetLegendImage();
        Assert.True(legend.Width <= FigureStyle.Width * Charts.LegendShare, $"legend {legend.Width} px wide");
        Assert.True(plot.RenderManager.LastRender.DataRect.Width >= FigureStyle.Width / 2.0, "the data area is less than half the figure");
    }

    [Fact]
    public void Identical_series_share_one_legend_entry_that_names_the_group_values_once()
    {
        Assert.Equal("cores=4, 8 (before = after)", SweepFigures.MergedLabel(["cores=4 (before)", "cores=4 (after)", "cores=8 (before)", "cores=8 (after)"]));
        Assert.Equal("cores=1 (before = after)", SweepFigures.MergedLabel(["cores=1 (before)", "cores=1 (after)"]));
        Assert.Equal("cores=1, 4, 8 (identical)", SweepFigures.MergedLabel(["cores=1", "cores=4", "cores=8"]));
        // Not a full product of groups and sides: every label, joined.
        Assert.Equal("cores=4 (before) = cores=8 (after)", SweepFigures.MergedLabel(["cores=4 (before)", "cores=8 (after)"]));
        // Groups of two parameters are not compacted.
        Assert.Equal("a=1, b=2; a=1, b=3 (identical)", SweepFigures.MergedLabel(["a=1, b=2", "a=1, b=3"]));
    }

    [FontsFact]
    public void A_loss_interval_that_reaches_below_zero_is_cut_at_zero_and_the_axis_starts_at_zero()
    {
        // sweep-1d with one point's loss made noisy: mean 0.08%, 95% interval -0.07%..0.23% (the
        // session-3 slide: two replications at window 32, a t-interval wider than the mean).
        string folder = TestPaths.Scratch("loss-below-zero");
        foreach (var f in Directory.GetFiles(TestPaths.Fixture("sweep-1d"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        string summaryPath = Path.Combine(folder, "summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(summaryPath))!;
        var loss = summary["points"]![0]!["metrics"]!["loss_ratio"]!;
        loss["mean"] = 0.0008;
        loss["stddev"] = 0.0000834;
        loss["ci95_low"] = -0.0007;
        loss["ci95_high"] = 0.0023;
        File.WriteAllText(summaryPath, summary.ToJsonString());

        var figure = Assert.Single(SweepFigures.Lines(new Comparison(ResultsReader.Read(folder), null), "loss_ratio", new Numbering()));
        var bars = Assert.Single(figure.Plot.GetPlottables().OfType<ScottPlot.Plottables.ErrorBar>());
        // Drawn down from 0.08% by at most 0.08%: to zero, not to -0.07%.
        Assert.Equal(0.08, bars.Ys[0], 9);
        Assert.Equal(0.08, bars.YErrorNegative![0], 9);
        Assert.Equal(0.15, bars.YErrorPositive![0], 9);
        figure.Plot.GetImage(FigureStyle.Width, FigureStyle.Height);
        Assert.Equal(0, figure.Plot.Axes.GetLimits().Bottom);
        Assert.Contains("intervals reaching below zero are cut there", figure.Caption, StringComparison.Ordinal);
    }

    static ReportTable SweepTable(int points, int metrics, string cell) =>
        new("t", "T", ["window", "cores", .. Enumerable.Range(0, metrics).Select(i => $"m{i}")],
            [.. Enumerable.Range(0, points).Select(p => (IReadOnlyList<string>)["1024", "8", .. Enumerable.Repeat(cell, metrics)])], [], [])
        { FirstNumericColumn = 2, KeyColumns = 2 };

    [Fact]
    public void A_4_by_4_sweep_with_five_metrics_fits_one_table_slide()
    {
        // Widths measured from DejaVu Sans at 24 px, plus 28 px padding: "2.2160 ± 0.0261" is 10 digits
        // x 0.636 em + 2 dots and 2 spaces x 0.318 em + ± 0.838 em = 8.47 em = 203.3 px + 28 = 231.3 px;
        // the key columns are their bold headers, "window" (about 4.3 em, 103 px + 28) and "cores"
        // (about 3.3 em, 80 px + 28), about 239 px. Five metrics: 239 + 5 x 231.3 = 1396 px of the
        // 1460 px budget (1480 px content width): one column group (the old 1380 px budget split it 3 + 2).
        var t = SweepTable(16, 5, "2.2160 ± 0.0261");
        var groups = SlideTable.ColumnGroups(t);
        Assert.True(groups.Count == 1, string.Join(" / ", groups.Select(g => string.Join(",", g))));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], groups[0]);
        // 16 rows of 37 px and a 37 px header = 629 px of the 660 px budget: one slide (it was two of 8,
        // and the old per-character header estimate wrapped "cores" onto a second line).
        Assert.Equal((0, 16), Assert.Single(SlideTable.RowGroups(t, t.Rows, [0, 1, 2, 3, 4, 5, 6], SlidesWriter.RowsPerSlide)));
        // Six metrics are wider than a slide (239 + 6 x 231.3 = 1627 px): two groups of three, the keys on both.
        var six = SlideTable.ColumnGroups(SweepTable(16, 6, "2.2160 ± 0.0261"));
        Assert.Equal([[0, 1, 2, 3, 4], [0, 1, 5, 6, 7]], six.Select(g => g.ToArray()).ToArray());
    }

    [Fact]
    public void A_sweep_comparison_puts_only_its_16_largest_significant_changes_on_slides()
    {
        // sweep-2d against itself scaled by 1 + 0.1 x (point + 1): point 0 +10%, ..., point 8 +90%, every
        // metric of a point alike, so the largest relative changes are those of the last points.
        var c = SlideNumberTests.ScaledSweepComparison("compare-many");
        var table = Tables.Compare(c, c.MetricNames(), new Numbering());

        // Change % is the third column from the end in report.html's rows, the second on slides (no Significant column).
        static double Change(string cell) => Math.Abs(double.Parse(cell.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture));
        // A row by its point and metric: the slide's Metric cell is report.html's Metric and Unit cells, "Loss (%)".
        static string Key(IReadOnlyList<string> row, string metric) => $"{row[0]}|{row[1]}|{metric}";
        static string Full(IReadOnlyList<string> r) => Key(r, r[3].Length > 0 ? $"{r[2]} ({r[3]})" : r[2]);
        var significant = table.Rows.Where(r => r[^1] == "yes").ToList();
        Assert.True(significant.Count > Tables.SlideSignificantRows, $"only {significant.Count} significant rows");
        var shown = table.SlideForm!.Rows;
        Assert.Equal(Tables.SlideSignificantRows, shown.Count);
        var shownKeys = shown.Select(r => Key(r, r[2])).ToHashSet();
        Assert.Equal(16, shownKeys.Count);
        Assert.Subset(significant.Select(Full).ToHashSet(), shownKeys);
        double smallestShown = shown.Min(r => Change(r[^2]));
        double largestLeft = significant.Where(r => !shownKeys.Contains(Full(r))).Max(r => Change(r[^3]));
        Assert.True(smallestShown >= largestLeft, $"a {largestLeft}% change was left off while {smallestShown}% is shown");
        Assert.StartsWith($"The 16 largest relative changes of the {significant.Count} significant ones (p < 0.05) among {table.Rows.Count} rows;", table.SlideForm.Note, StringComparison.Ordinal);
    }
}
