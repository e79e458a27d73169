using System.Globalization;
using ScottPlot;

namespace Lab.Reports.Figures;

/// <summary>
/// A base-10 logarithmic value axis. ScottPlot 5 plots linear coordinates, so the data are
/// plotted as log10(value) (<see cref="ToAxis"/>) and the axis gets ticks at 1, 2 and 5 times
/// each power of ten, labelled with the values themselves, and unlabelled minor ticks at the
/// other integers times each power.
/// </summary>
public static class LogAxis
{
    /// <summary>Whether values spanning <paramref name="min"/>..<paramref name="max"/> need a log axis to stay readable: more than a factor of ten.</summary>
    public static bool Needed(double min, double max) => min > 0 && max / min > 10;

    public static double ToAxis(double value) => Math.Log10(value);

    public static void Apply(IAxis axis, double min, double max)
    {
        int from = (int)Math.Floor(Math.Log10(min));
        int to = (int)Math.Ceiling(Math.Log10(max));
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int e = from; e <= to; e++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double v = m * Math.Pow(10, e);
                if (m is 1 or 2 or 5) ticks.AddMajor(Math.Log10(v), Label(v));
                else ticks.AddMinor(Math.Log10(v));
            }
        }
        axis.TickGenerator = ticks;
    }

    /// <summary>0.001, 0.02, 5, 200, 1e+06: plain decimals between 1e-4 and 1e5.</summary>
    static string Label(double v) =>
        v is >= 1e-4 and < 1e5 ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString("0e+0", CultureInfo.InvariantCulture);
}
