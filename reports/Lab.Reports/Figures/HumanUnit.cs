using System.Globalization;

namespace Lab.Reports.Figures;

/// <summary>
/// A display unit for a metric unit and a range of values: the divisor to apply and the name to
/// print, so ticks read "14.9" on an axis labelled "Mpps" rather than "1.49E+07 pps".
/// </summary>
public readonly record struct HumanUnit(string Label, double Divisor)
{
    public double Apply(double value) => value / Divisor;

    static readonly (double Scale, string Prefix)[] Decimal = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, "")];

    /// <summary>Picks a unit for values whose largest magnitude is <paramref name="maxAbs"/>.</summary>
    public static HumanUnit For(string unit, double maxAbs)
    {
        if (double.IsNaN(maxAbs) || double.IsInfinity(maxAbs)) maxAbs = 0;
        switch (unit)
        {
            case "pps":
                return Prefixed(maxAbs, "pps");
            case "bit/s":
                return Prefixed(maxAbs, "bit/s");
            case "B" or "bytes":
                return Prefixed(maxAbs, "B");
            case "ratio":
                return new HumanUnit("%", 0.01);
            case "us":
                return Time(maxAbs, 1e-6);
            case "ms":
                return Time(maxAbs, 1e-3);
            case "s":
                return Time(maxAbs, 1);
            case "J":
                return Small(maxAbs, "J", 1);
            case "mJ":
                return Small(maxAbs * 1e-3, "J", 1e-3);
            case "W":
                return Small(maxAbs, "W", 1);
            case "mW":
                return Small(maxAbs * 1e-3, "W", 1e-3);
            case "packets" or "events" or "":
                return maxAbs >= 1e6 ? new HumanUnit($"M{Space(unit)}", 1e6) : maxAbs >= 1e4 ? new HumanUnit($"k{Space(unit)}", 1e3) : new HumanUnit(unit, 1);
            default:
                return new HumanUnit(unit, 1);
        }
    }

    static string Space(string unit) => unit.Length > 0 ? " " + unit : "";

    static HumanUnit Prefixed(double maxAbs, string unit)
    {
        foreach (var (scale, prefix) in Decimal)
            if (maxAbs >= scale) return new HumanUnit(prefix + unit, scale);
        return new HumanUnit(unit, 1);
    }

    /// <summary>A time unit for values in a source unit of <paramref name="sourceSeconds"/> seconds.</summary>
    static HumanUnit Time(double maxAbs, double sourceSeconds)
    {
        double maxSeconds = maxAbs * sourceSeconds;
        (double seconds, string label) = maxSeconds >= 1 ? (1, "s") : maxSeconds >= 1e-3 ? (1e-3, "ms")
            : maxSeconds >= 1e-6 || maxSeconds == 0 ? (1e-6, "µs") : (1e-9, "ns");
        return new HumanUnit(label, seconds / sourceSeconds);
    }

    static HumanUnit Small(double maxBase, string unit, double sourceInBase)
    {
        (double b, string prefix) = maxBase >= 1e3 ? (1e3, "k") : maxBase >= 1 || maxBase == 0 ? (1, "") : maxBase >= 1e-3 ? (1e-3, "m") : (1e-6, "µ");
        return new HumanUnit(prefix + unit, b / sourceInBase);
    }

    /// <summary>
    /// A percentage for slides, tables and captions: at most three significant figures and never
    /// finer than 0.01 (a change of 0.0001122% is noise to a reader, not a finding), "+" on increases
    /// when <paramref name="signed"/>: "+12.3%", "-0.49%", "+1230%"; "0%" for exactly zero and
    /// "&lt;0.01%" for a non-zero magnitude below 0.01. CSV files keep the raw fraction.
    /// </summary>
    public static string Percent(double percent, bool signed = true)
    {
        if (double.IsNaN(percent)) return "n/a";
        if (double.IsInfinity(percent)) return percent > 0 ? "∞%" : "-∞%";
        if (percent == 0) return "0%";
        double abs = Math.Abs(percent);
        if (abs < 0.01) return "<0.01%";
        int magnitude = (int)Math.Floor(Math.Log10(abs));
        int decimals = Math.Min(2, 2 - magnitude);
        double rounded = decimals >= 0
            ? Math.Round(abs, decimals, MidpointRounding.AwayFromZero)
            : Math.Round(abs / Math.Pow(10, -decimals), MidpointRounding.AwayFromZero) * Math.Pow(10, -decimals);
        string text = rounded.ToString("0.##", CultureInfo.InvariantCulture);
        return (percent < 0 ? "-" : signed ? "+" : "") + text + "%";
    }

    /// <summary>A number with about four significant figures, invariant culture: 14.88, 0.5, 1234, 0.000123.</summary>
    public static string Number(double v)
    {
        if (double.IsNaN(v)) return "n/a";
        if (double.IsPositiveInfinity(v)) return "∞";
        if (double.IsNegativeInfinity(v)) return "-∞";
        if (v == 0) return "0";
        double abs = Math.Abs(v);
        int decimals = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 3 : Math.Min(12, 3 - (int)Math.Floor(Math.Log10(abs)));
        return v.ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture);
    }
}
