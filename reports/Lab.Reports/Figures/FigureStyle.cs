using ScottPlot;

namespace Lab.Reports.Figures;

/// <summary>
/// The look of every figure: 1920x1080, type large enough to read from the back of a room,
/// thick lines, and the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), which
/// stays distinguishable under the common colour-vision deficiencies.
/// </summary>
public static class FigureStyle
{
    public const int Width = 1920;
    public const int Height = 1080;
    public const float TitleSize = 52;
    public const float LabelSize = 44;
    public const float TickSize = 36;
    public const float LegendSize = 34;
    public const float CellTextSize = 32;
    public const float LineWidth = 6;
    public const float MarkerSize = 22;
    public const string Font = "DejaVu Sans";

    /// <summary>Okabe-Ito, ordered so the first colours contrast best on white (yellow last).</summary>
    public static readonly Color[] Palette =
    [
        Color.FromHex("#0072B2"), // blue
        Color.FromHex("#E69F00"), // orange
        Color.FromHex("#009E73"), // bluish green
        Color.FromHex("#D55E00"), // vermillion
        Color.FromHex("#CC79A7"), // reddish purple
        Color.FromHex("#56B4E9"), // sky blue
        Color.FromHex("#000000"), // black
        Color.FromHex("#F0E442"), // yellow
    ];

    public static Color Before => Color.FromHex("#E69F00");
    public static Color After => Color.FromHex("#0072B2");
    public static Color Simulated => Color.FromHex("#0072B2");
    public static Color Kernel => Color.FromHex("#D55E00");

    public static Color Colour(int index) => Palette[index % Palette.Length];

    /// <summary>
    /// Marker shapes, one per pass through the palette: series 0-7 get circles, 8-15 squares and so on,
    /// so that two series sharing a colour are still told apart (in the legend too).
    /// </summary>
    static readonly MarkerShape[] Markers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp,
        MarkerShape.FilledDiamond, MarkerShape.FilledTriangleDown, MarkerShape.Cross,
    ];

    /// <summary>How many times the palette has been used up before series <paramref name="index"/>.</summary>
    public static int Pass(int index) => index / Palette.Length;

    public static MarkerShape Marker(int index) => Markers[Pass(index) % Markers.Length];

    /// <summary>Solid on the first pass through the palette, dotted on the next, solid again after that.</summary>
    public static LinePattern Pattern(int index) => Pass(index) % 2 == 1 ? LinePattern.Dotted : LinePattern.Solid;

    /// <summary>
    /// The font size, at most <paramref name="size"/>, at which <paramref name="text"/> fits in
    /// <paramref name="room"/> pixels (DejaVu Sans averages about 0.6 em per character), never below 60%.
    /// </summary>
    public static float Fit(string text, float size, float room)
    {
        float needed = text.Length * 0.6f * size;
        return needed <= room ? size : Math.Max(size * 0.6f, size * room / needed);
    }

    /// <summary>A plot with the lab's fonts, sizes and grid; axis labels carry units.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Font, FontWeight.Normal, FontSlant.Upright, FontSpacing.Normal);
        // Long text gets a smaller font rather than running past the figure's edge.
        plot.Title(title, Fit(title, TitleSize, Width - 120));
        plot.XLabel(xLabel, Fit(xLabel, LabelSize, Width - 400));
        plot.YLabel(yLabel, Fit(yLabel, LabelSize, Height - 330));
        // Room between the outer labels and the figure's edge: a glyph box (ascent, descent) wider
        // than the drawn strokes would otherwise touch or cross it and be clipped.
        foreach (var axis in new[] { (ScottPlot.AxisPanels.AxisBase)plot.Axes.Bottom, (ScottPlot.AxisPanels.AxisBase)plot.Axes.Left })
            axis.PaddingOutsideAxisLabels = new PixelPadding(16, 16);
        plot.Axes.Title.VerticalPadding = 20;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.TickLabelStyle.FontSize = TickSize;
            axis.TickLabelStyle.FontName = Font;
            axis.MajorTickStyle.Length = 12;
            axis.MajorTickStyle.Width = 3;
        }
        plot.Axes.Bottom.Label.FontName = Font;
        plot.Axes.Left.Label.FontName = Font;
        plot.Axes.Title.Label.FontName = Font;
        plot.Axes.FrameWidth(3);
        plot.Grid.MajorLineColor = Color.FromHex("#000000").WithAlpha(0.12);
        plot.Grid.MajorLineWidth = 2;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.FontName = Font;
        plot.Legend.SymbolWidth = 60;
        return plot;
    }
}
