using ScottPlot;

using static Lab.Reports.Figures.FigureStyle;

namespace Lab.Reports.Figures;

/// <summary>
/// The figure kinds of a report, built from data already in display units. Each returns a
/// styled <see cref="Plot"/>; the report writers render it to PNG and SVG.
/// </summary>
public static class Charts
{
    /// <summary>
    /// Lines against a numeric x axis, or against categories when <paramref name="categories"/> is given,
    /// or ticked only at <paramref name="xTicks"/> (a log2 parameter axis). <paramref name="zeroBased"/>:
    /// the y axis starts at zero, so that a small difference looks small.
    /// </summary>
    public static Plot Lines(string title, string xLabel, string yLabel, IReadOnlyList<LineSeries> series,
        IReadOnlyList<string>? categories = null, (double From, double To)? shaded = null, string shadedLabel = "",
        (double[] Positions, string[] Labels)? xTicks = null, bool zeroBased = false, bool legendBelow = false, double? yCeiling = null)
    {
        var plot = FigureStyle.NewPlot(title, xLabel, yLabel);
        if (shaded is { } span && span.To > span.From)
        {
            var s = plot.Add.HorizontalSpan(span.From, span.To, Color.FromHex("#000000").WithAlpha(0.08));
            s.LineWidth = 0;
            s.LegendText = shadedLabel;
        }
        foreach (var line in series)
        {
            var colour = FigureStyle.Colour(line.Colour);
            if (line.Low is { } low && line.High is { } high)
            {
                if (line.Band)
                {
                    var band = plot.Add.FillY(line.Xs, low, high);
                    band.FillColor = colour.WithAlpha(0.22);
                    band.LineWidth = 0;
                }
                else
                {
                    var neg = new double[line.Ys.Length];
                    var pos = new double[line.Ys.Length];
                    for (int i = 0; i < neg.Length; i++)
                    {
                        neg[i] = Math.Max(0, line.Ys[i] - low[i]);
                        pos[i] = Math.Max(0, high[i] - line.Ys[i]);
                    }
                    // By name: the constructor's positional order is not (negative, positive), and an
                    // interval cut at zero is asymmetric.
                    var bars = new ScottPlot.Plottables.ErrorBar(line.Xs, line.Ys, null, null, null, null)
                    {
                        YErrorNegative = neg,
                        YErrorPositive = pos,
                        Color = colour,
                        LineWidth = 4,
                        CapSize = 24,
                    };
                    plot.Add.Plottable(bars);
                }
            }
            var scatter = plot.Add.Scatter(line.Xs, line.Ys, colour);
            scatter.LineWidth = FigureStyle.LineWidth;
            // Past eight series the colours repeat: markers (always shown then) and the line pattern differ.
            bool repeated = FigureStyle.Pass(line.Colour) > 0;
            scatter.MarkerSize = line.Markers || repeated ? FigureStyle.MarkerSize : 0;
            scatter.MarkerShape = line.Dashed ? MarkerShape.OpenCircle : FigureStyle.Marker(line.Colour);
            scatter.MarkerLineWidth = 4;
            scatter.LinePattern = line.Dashed ? LinePattern.Dashed : FigureStyle.Pattern(line.Colour);
            scatter.LegendText = line.Label;
        }
        if (categories is not null) CategoryTicks(plot.Axes.Bottom, categories);
        if (xTicks is { } ticks)
        {
            var manual = new ScottPlot.TickGenerators.NumericManual();
            for (int i = 0; i < ticks.Positions.Length; i++) manual.AddMajor(ticks.Positions[i], ticks.Labels[i]);
            plot.Axes.Bottom.TickGenerator = manual;
        }
        // The legend goes beside the data area, never over it: with several series (a sweep's
        // groups, before and after) an inset legend covered points in the upper right.
        if (legendBelow) LegendBelow(plot);
        else if (series.Count > 1 || (shaded is not null && shadedLabel.Length > 0)) LegendBeside(plot, series.Select(s => s.Label).Append(shadedLabel));
        else plot.HideLegend();
        plot.Axes.Margins(0.04, 0.1);
        if (zeroBased && series.Count > 0 && series.Any(s => s.Xs.Length > 0))
        {
            double xMin = series.Where(s => s.Xs.Length > 0).Min(s => s.Xs.Min()), xMax = series.Where(s => s.Xs.Length > 0).Max(s => s.Xs.Max());
            double yMax = series.Where(s => s.Ys.Length > 0).Max(s => Math.Max(s.Ys.Max(), s.High?.Max() ?? 0));
            double xPad = xMax > xMin ? (xMax - xMin) * 0.04 : 0.5;
            // A share of a whole stops just above its 100%: no 110% tick on a utilisation axis.
            double top = yMax > 0 ? yMax * 1.1 : 1;
            if (yCeiling is { } ceiling && top > ceiling) top = Math.Max(yMax, ceiling) * 1.04;
            plot.Axes.SetLimits(xMin - xPad, xMax + xPad, 0, top);
        }
        return plot;
    }

    /// <summary>At most this share of the figure's width goes to a legend beside the data.</summary>
    public const double LegendShare = 0.32;

    /// <summary>
    /// The legend in its own panel right of the data area, so that it covers no data; long labels
    /// (benchmark names) get smaller type, down to 55%, so that the legend takes at most
    /// <see cref="LegendShare"/> of the width (DejaVu Sans averages about 0.6 em a character, plus the symbol).
    /// </summary>
    public static void LegendBeside(Plot plot, IEnumerable<string>? labels = null)
    {
        plot.ShowLegend(Edge.Right);
        int longest = labels?.Select(l => l.Length).DefaultIfEmpty(0).Max() ?? 0;
        double room = Width * LegendShare - plot.Legend.SymbolWidth - 60;
        if (longest > 0) plot.Legend.FontSize = (float)Math.Max(LegendSize * 0.55, Math.Min(LegendSize, room / (0.6 * longest)));
    }

    /// <summary>
    /// The legend in its own panel under the x axis label, its entries side by side and wrapped into
    /// rows: for long labels (benchmark names), which beside the plot took half the slide's width. At
    /// three quarters of the legend size two 40-character names share a row (at full size one did, and
    /// four names took a fifth of the height); a margin keeps the last row off the figure's edge, and
    /// the empty right axis keeps the frame off the other.
    /// </summary>
    public static void LegendBelow(Plot plot)
    {
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.FontSize = LegendSize * 0.75f;
        plot.Legend.Margin = new PixelPadding(0, 0, 0, 24);
        plot.Axes.Right.MinimumSize = 40;
    }

    /// <summary>Grouped bars: one bar per group in each category, side by side.</summary>
    public static Plot GroupedBars(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarGroup> groups)
    {
        var plot = FigureStyle.NewPlot(title, xLabel, yLabel);
        double width = 0.8 / groups.Count;
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Count; c++)
            {
                var bar = new Bar
                {
                    Position = c - 0.4 + width * (g + 0.5),
                    Value = group.Values[c],
                    Size = width * 0.92,
                    FillColor = group.Colour,
                    LineColor = Color.FromHex("#000000"),
                    LineWidth = 0,
                };
                if (group.Low is { } low && group.High is { } high)
                {
                    // Bar draws a symmetric error; use the larger side so the interval is never understated.
                    bar.Error = Math.Max(group.Values[c] - low[c], high[c] - group.Values[c]);
                    bar.LineWidth = 4;
                    bar.ErrorSize = (float)(width * 0.4);
                }
                bars.Add(bar);
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = group.Label;
        }
        CategoryTicks(plot.Axes.Bottom, categories);
        if (groups.Count > 1) LegendBeside(plot, groups.Select(g => g.Label));
        plot.Axes.Margins(bottom: 0, top: 0.15);
        return plot;
    }

    /// <summary>Stacked bars: each category's bar is split into one segment per layer.</summary>
    public static Plot StackedBars(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<string> layers, double[,] values)
    {
        var plot = FigureStyle.NewPlot(title, xLabel, yLabel);
        var bases = new double[categories.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Count; c++)
            {
                double v = values[c, l];
                bars.Add(new Bar { Position = c, ValueBase = bases[c], Value = bases[c] + v, Size = 0.6, FillColor = FigureStyle.Colour(l), LineWidth = 0 });
                bases[c] += v;
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = layers[l];
        }
        CategoryTicks(plot.Axes.Bottom, categories);
        LegendBeside(plot, layers);
        plot.Axes.Margins(bottom: 0, top: 0.2);
        return plot;
    }

    /// <summary>Changes (diverging maps) up to this many percent stay pale: the scale saturates at no less than ±25%.</summary>
    public const double MinimumDivergingRange = 25;

    /// <summary>
    /// A heatmap over two categorical axes; cell [x, y] is printed in the cell. Non-negative data
    /// use viridis (perceptually uniform, colour-blind safe) from zero, not from the smallest value,
    /// so that a 5% difference looks like 5%; signed data and changes use a blue-white-orange
    /// diverging map centred on zero (changes: at least ±<see cref="MinimumDivergingRange"/>%).
    /// <paramref name="scale"/> says which, for the caption.
    /// </summary>
    public static Plot Heatmap(string title, string xLabel, string yLabel, IReadOnlyList<string> xs, IReadOnlyList<string> ys,
        double[,] values, string[,] cellText, string colourLabel, bool diverging, out string scale)
    {
        var plot = FigureStyle.NewPlot(title, xLabel, yLabel);
        // ScottPlot draws row 0 at the top; put y index 0 at the bottom as on the axis.
        var rows = new double[ys.Count, xs.Count];
        double maxAbs = 0;
        bool negative = false;
        for (int x = 0; x < xs.Count; x++)
        {
            for (int y = 0; y < ys.Count; y++)
            {
                rows[ys.Count - 1 - y, x] = values[x, y];
                if (!double.IsNaN(values[x, y])) maxAbs = Math.Max(maxAbs, Math.Abs(values[x, y]));
                negative |= values[x, y] < 0;
            }
        }
        var map = plot.Add.Heatmap(rows);
        // ScottPlot 5.1 places the corner cells' centres on the extent's corners: centre cell i on index i.
        map.Extent = new CoordinateRect(0, Math.Max(xs.Count - 1, 1e-9), 0, Math.Max(ys.Count - 1, 1e-9));
        // Cells as vector rectangles: exact edges in PNG and SVG (a scaled bitmap blurs and shifts them).
        map.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        map.NaNCellColor = Color.FromHex("#FFFFFF");
        if (diverging || negative)
        {
            map.Colormap = new ScottPlot.Colormaps.CustomInterpolated([Color.FromHex("#0072B2"), Color.FromHex("#FFFFFF"), Color.FromHex("#E69F00")]);
            double m = diverging ? Math.Max(maxAbs, MinimumDivergingRange) : maxAbs > 0 ? maxAbs : 1;
            map.ManualRange = new ScottPlot.Range(-m, m);
            scale = diverging
                ? $"Colours diverge around no change: blue lower, orange higher, full colour at ±{HumanUnit.Percent(m, signed: false)}."
                : "Colours diverge around zero: blue negative, orange positive.";
        }
        else
        {
            map.Colormap = new ScottPlot.Colormaps.Viridis();
            map.ManualRange = new ScottPlot.Range(0, maxAbs > 0 ? maxAbs : 1);
            scale = "Colour scale from zero (dark) to the largest value (yellow).";
        }
        var bar = plot.Add.ColorBar(map, Edge.Right);
        bar.Label = colourLabel;
        bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TargetTickCount = 5 };
        bar.LabelStyle.FontSize = FigureStyle.LabelSize;
        bar.LabelStyle.FontName = FigureStyle.Font;
        bar.Axis.TickLabelStyle.FontSize = FigureStyle.TickSize;
        bar.Axis.TickLabelStyle.FontName = FigureStyle.Font;
        bar.Width = 50;
        for (int x = 0; x < xs.Count; x++)
        {
            for (int y = 0; y < ys.Count; y++)
            {
                var text = plot.Add.Text(cellText[x, y], x, y);
                text.LabelFontSize = FigureStyle.CellTextSize;
                text.LabelFontName = FigureStyle.Font;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelBold = true;
                text.LabelBackgroundColor = Color.FromHex("#FFFFFF").WithAlpha(0.75);
                text.LabelFontColor = Color.FromHex("#000000");
                text.LabelPadding = 6;
            }
        }
        CategoryTicks(plot.Axes.Bottom, xs);
        CategoryTicks(plot.Axes.Left, ys);
        plot.Grid.IsVisible = false;
        plot.Axes.SetLimits(-0.5, xs.Count - 0.5, -0.5, ys.Count - 0.5);
        return plot;
    }

    static void CategoryTicks(IAxis axis, IReadOnlyList<string> labels)
    {
        var positions = new double[labels.Count];
        for (int i = 0; i < positions.Length; i++) positions[i] = i;
        axis.SetTicks(positions, [.. labels]);
        axis.TickLabelStyle.FontSize = labels.Count > 8 || labels.Any(l => l.Length > 14) ? FigureStyle.TickSize * 0.75f : FigureStyle.TickSize;
        if (labels.Count > 6 && labels.Any(l => l.Length > 8))
        {
            axis.TickLabelStyle.Rotation = -30;
            axis.TickLabelStyle.Alignment = Alignment.MiddleRight;
        }
    }
}
