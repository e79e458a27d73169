using ScottPlot;

namespace Lab.Reports.Figures;

/// <summary>A figure of the report: a file stem (figures/&lt;Id&gt;.png and .svg), a title, a caption and the plot.</summary>
public sealed record Figure(string Id, string Title, string Caption, Plot Plot);

/// <summary>One line of a line chart, in display units. Error bars and bands are absolute bounds, not widths.</summary>
public sealed record LineSeries(string Label, double[] Xs, double[] Ys, int Colour, bool Dashed = false)
{
    public double[]? Low { get; init; }
    public double[]? High { get; init; }

    /// <summary>Draw <see cref="Low"/>..<see cref="High"/> as a shaded band (time series) rather than error bars (sweeps).</summary>
    public bool Band { get; init; }
    public bool Markers { get; init; } = true;
}

/// <summary>A group of bars (one colour) across categories, in display units.</summary>
public sealed record BarGroup(string Label, double[] Values, Color Colour)
{
    public double[]? Low { get; init; }
    public double[]? High { get; init; }
}
