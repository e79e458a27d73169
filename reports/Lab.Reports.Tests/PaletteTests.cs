using Lab.Reports.Figures;
using ScottPlot;
using ScottPlot.Plottables;

namespace Lab.Reports.Tests;

public class PaletteTests
{
    /// <summary>
    /// Eleven series on one figure: the eight Okabe-Ito colours run out at the ninth, which gets
    /// the first colour again but square markers (always drawn) and a dotted line, so no two
    /// series look alike; the first eight keep circles and solid lines.
    /// </summary>
    [Fact]
    public void Series_past_the_eighth_repeat_a_colour_with_another_marker_and_line()
    {
        var series = Enumerable.Range(0, 11)
            .Select(i => new LineSeries($"s{i}", [0, 1], [i, i + 1], i) { Markers = false })
            .ToList();
        var plot = Charts.Lines("t", "x", "y", series);
        var scatters = plot.GetPlottables().OfType<Scatter>().ToList();
        Assert.Equal(11, scatters.Count);
        var looks = scatters.Select(s => (s.Color, s.MarkerShape, s.LinePattern, s.MarkerSize)).ToList();
        Assert.Equal(11, looks.Distinct().Count());
        Assert.Equal(scatters[0].Color, scatters[8].Color);
        Assert.Equal((MarkerShape.FilledCircle, 0f), (scatters[0].MarkerShape, scatters[0].MarkerSize));
        Assert.Equal(LinePattern.Solid, scatters[7].LinePattern);
        Assert.Equal((MarkerShape.FilledSquare, FigureStyle.MarkerSize), (scatters[8].MarkerShape, scatters[8].MarkerSize));
        Assert.Equal(LinePattern.Dotted, scatters[10].LinePattern);
    }
}
