using Lab.Reports.Figures;
using ScottPlot;
using SkiaSharp;

namespace Lab.Reports.Tests;

/// <summary>
/// Text is really drawn into the PNGs: the axis-label areas hold dark pixels when the labels have
/// text, and none when the same labels are blanks of the same length (same layout, no glyphs).
/// </summary>
public class PngTextTests
{
    static Plot Chart(string xLabel, string yLabel) => Charts.Lines("", xLabel, yLabel,
        [new LineSeries("mean", [2, 4, 6, 8, 10], [164.5, 328.9, 493.4, 657.9, 699.5], 0)]);

    /// <summary>Pixels darker than mid-grey (the labels are black on white) in a rectangle.</summary>
    static int DarkPixels(byte[] png, SKRectI area)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(FigureStyle.Width, bitmap.Width);
        Assert.Equal(FigureStyle.Height, bitmap.Height);
        int dark = 0;
        for (int y = area.Top; y < area.Bottom; y++)
        {
            for (int x = area.Left; x < area.Right; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red * 0.299 + c.Green * 0.587 + c.Blue * 0.114 < 128) dark++;
            }
        }
        return dark;
    }

    // The x label sits centred under the tick labels in the bottom ~90 px (16 px of it margin);
    // the y label is rotated in the leftmost ~70 px (the same margin). These areas hold no ticks,
    // tick labels or data.
    static readonly SKRectI XLabelArea = new(560, FigureStyle.Height - 88, 1360, FigureStyle.Height);
    static readonly SKRectI YLabelArea = new(0, 240, 66, 840);

    [FontsFact]
    public void Axis_labels_are_drawn_into_the_png()
    {
        const string x = "traffic.bulk.rate (Gbit/s)";
        const string y = "Delivered packet rate (kpps)";
        byte[] labelled = Chart(x, y).GetImageBytes(FigureStyle.Width, FigureStyle.Height, ImageFormat.Png);
        byte[] blank = Chart(new string(' ', x.Length), new string(' ', y.Length)).GetImageBytes(FigureStyle.Width, FigureStyle.Height, ImageFormat.Png);
        Assert.Equal((0, 0), (DarkPixels(blank, XLabelArea), DarkPixels(blank, YLabelArea)));
        // 44 px glyphs of a 26- and a 28-character label: thousands of dark pixels.
        Assert.InRange(DarkPixels(labelled, XLabelArea), 2000, int.MaxValue);
        Assert.InRange(DarkPixels(labelled, YLabelArea), 2000, int.MaxValue);
    }

    [FontsFact]
    public void Report_figures_have_text_in_their_label_areas()
    {
        string outDir = TestPaths.Scratch("png-text");
        ReportGenerator.Generate(new ReportOptions([TestPaths.Fixture("sweep-1d")], outDir, null, null), TextWriter.Null);
        foreach (var png in Directory.GetFiles(Path.Combine(outDir, "figures"), "*.png"))
        {
            byte[] bytes = File.ReadAllBytes(png);
            // The shortest label here, "Loss (%)", still darkens several hundred pixels.
            Assert.True(DarkPixels(bytes, XLabelArea) > 500, $"{Path.GetFileName(png)}: no x label text");
            Assert.True(DarkPixels(bytes, YLabelArea) > 500, $"{Path.GetFileName(png)}: no y label text");
        }
    }
}
