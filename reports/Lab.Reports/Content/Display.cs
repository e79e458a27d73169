using System.Globalization;
using Lab.Results;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Stats;

namespace Lab.Reports.Content;

/// <summary>Formatting shared by tables and figure labels.</summary>
public static class Display
{
    public static string Raw(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static string Raw(bool v) => v ? "true" : "false";

    /// <summary>The 95% interval of a summarised metric: the summary's, or Student t over its values when absent.</summary>
    public static (double Low, double High) Ci(MetricSummary m)
    {
        if (!double.IsNaN(m.Stats.Ci95Low) && !double.IsNaN(m.Stats.Ci95High)) return (m.Stats.Ci95Low, m.Stats.Ci95High);
        double h = Welch.Ci95HalfWidth(m.Values);
        return (m.Mean - h, m.Mean + h);
    }

    /// <summary>
    /// Significant figures of a mean beside its interval at most: a slide cell reads "4.3758 ± &lt;0.0001",
    /// not "4.375760 ± 0.000036". Five keeps the two figures of every half-width down to a ten-thousandth
    /// of the mean ("799.20 ± 0.25").
    /// </summary>
    public const int MeanDigits = 5;

    /// <summary>
    /// "799.20 ± 0.25" in the given display unit: the half-width of the 95% interval to two
    /// significant figures and the mean to the same decimal place, but the mean to no more than
    /// <see cref="MeanDigits"/> significant figures (whole numbers keep their integer digits): a
    /// half-width finer than that shows as "&lt;" the last digit kept ("4.3758 ± &lt;0.0001") or to one
    /// figure ("4.3777 ± 0.0003"). The ± part only with two or more replications and a non-zero interval.
    /// </summary>
    public static string MeanCi(MetricSummary m, HumanUnit unit)
    {
        double mean = unit.Apply(m.Mean);
        if (m.N < 2) return HumanUnit.Number(mean);
        var (low, high) = Ci(m);
        double half = unit.Apply(Math.Max(m.Mean - low, high - m.Mean));
        // Replications equal up to floating-point rounding have no interval worth printing.
        if (double.IsNaN(half) || half <= 1e-9 * Math.Abs(mean) || half == 0 || !double.IsFinite(mean)) return HumanUnit.Number(mean);
        return MeanHalfWidth(mean, half);
    }

    /// <summary>The text of <see cref="MeanCi"/> for a mean and a positive half-width already in display units.</summary>
    public static string MeanHalfWidth(double mean, double half)
    {
        var inv = CultureInfo.InvariantCulture;
        int decimals = 1 - (int)Math.Floor(Math.Log10(half));
        if (decimals <= 0)
        {
            // Two significant figures of a half-width of 10 or more: round both to its magnitude.
            double scale = Math.Pow(10, -decimals);
            double roundedHalf = Math.Round(half / scale) * scale;
            double roundedMean = Math.Round(mean / scale) * scale;
            return $"{roundedMean.ToString("0", inv)} ± {roundedHalf.ToString("0", inv)}";
        }
        if (mean != 0) decimals = Math.Min(decimals, Math.Max(0, MeanDigits - 1 - (int)Math.Floor(Math.Log10(Math.Abs(mean)))));
        decimals = Math.Min(decimals, 15);
        string format = "F" + decimals.ToString(inv);
        double shownHalf = Math.Round(half, decimals);
        string halfText = shownHalf > 0 ? shownHalf.ToString(format, inv) : "<" + Math.Pow(10, -decimals).ToString(format, inv);
        return $"{mean.ToString(format, inv)} ± {halfText}";
    }

    public static string Signed(double v) => v > 0 ? "+" + HumanUnit.Number(v) : HumanUnit.Number(v);

    /// <summary>A relative change as "+3.2%" (<see cref="HumanUnit.Percent"/>: three significant figures, "&lt;0.01%" below that), or "n/a" from zero.</summary>
    public static string Percent(double before, double after)
    {
        if (before == 0) return after == 0 ? "0%" : "n/a";
        return HumanUnit.Percent((after - before) / Math.Abs(before) * 100);
    }

    public static string P(WelchResult w) =>
        !w.Available ? "n/a" : w.P < 0.001 ? "<0.001" : w.P.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>"yes" when p &lt; 0.05, "no" otherwise, "n/a" with fewer than two replications on a side.</summary>
    public static string Significance(WelchResult w) => !w.Available ? "n/a" : w.Significant() ? "yes" : "no";

    /// <summary>Axis or column label with its unit: "Delivered packet rate (Mpps)", or the bare title for unitless values.</summary>
    public static string WithUnit(string title, HumanUnit unit) => unit.Label.Length > 0 ? $"{title} ({unit.Label})" : title;

    /// <summary>The label of a sweep point: "8Gbit/s" or "8Gbit/s, 64B"; "run" without a sweep.</summary>
    public static string PointLabel(SweepPoint p) =>
        p.Parameters.Count == 0 ? "run" : string.Join(", ", p.Parameters.Select(kv => kv.Value));

    /// <summary>The last dotted part of a parameter name, for compact labels: traffic.bulk.rate → rate.</summary>
    public static string ShortName(string parameter)
    {
        int dot = parameter.LastIndexOf('.');
        return dot >= 0 && dot < parameter.Length - 1 ? parameter[(dot + 1)..] : parameter;
    }

    public static string Slug(string text)
    {
        var chars = new List<char>();
        foreach (char c in text.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c)) chars.Add(c);
            else if (chars.Count > 0 && chars[^1] != '-') chars.Add('-');
        }
        while (chars.Count > 0 && chars[^1] == '-') chars.RemoveAt(chars.Count - 1);
        return chars.Count > 0 ? new string([.. chars]) : "x";
    }
}
