using System.Globalization;

namespace Lab.Core;

/// <summary>
/// Quantities with unit suffixes as scenarios and flags write them. Bit rates are returned in
/// bit/s, sizes in bytes, power in milliwatts, energy in millijoules, times in picoseconds.
/// Decimal prefixes are SI (k = 1000); binary prefixes (KiB, MiB) are powers of 1024.
/// </summary>
public static class Units
{
    static readonly (string Suffix, decimal Scale)[] RateUnits =
    [
        ("bit/s", 1m), ("kbit/s", 1e3m), ("Mbit/s", 1e6m), ("Gbit/s", 1e9m), ("Tbit/s", 1e12m),
        ("bps", 1m), ("kbps", 1e3m), ("Mbps", 1e6m), ("Gbps", 1e9m), ("Tbps", 1e12m),
    ];

    static readonly (string Suffix, decimal Scale)[] SizeUnits =
    [
        ("B", 1m), ("kB", 1e3m), ("KB", 1e3m), ("MB", 1e6m), ("GB", 1e9m),
        ("KiB", 1024m), ("MiB", 1024m * 1024), ("GiB", 1024m * 1024 * 1024),
    ];

    static readonly (string Suffix, decimal Scale)[] PacketRateUnits =
    [
        ("pps", 1m), ("kpps", 1e3m), ("Mpps", 1e6m), ("/s", 1m), ("k/s", 1e3m), ("M/s", 1e6m),
    ];

    static readonly (string Suffix, decimal Scale)[] PowerUnits = [("mW", 1m), ("W", 1000m)];

    static readonly (string Suffix, decimal Scale)[] EnergyUnits = [("mJ", 1m), ("J", 1000m), ("Wh", 3_600_000m), ("mWh", 3_600m)];

    public static bool TryParseBitRate(string text, out double bitsPerSecond, out string error) =>
        TryParseDouble(text, RateUnits, "a bit rate such as 10Gbit/s or 400Mbit/s", out bitsPerSecond, out error);

    public static bool TryParsePacketRate(string text, out double perSecond, out string error) =>
        TryParseDouble(text, PacketRateUnits, "a packet rate such as 1.5Mpps or 100k/s", out perSecond, out error);

    public static bool TryParseBytes(string text, out long bytes, out string error) =>
        TryParseScaled(text, SizeUnits, "a size such as 64B, 1500B or 10MiB", out bytes, out error);

    public static bool TryParsePower(string text, out double milliwatts, out string error) =>
        TryParseDouble(text, PowerUnits, "a power such as 1.2W or 594mW", out milliwatts, out error);

    public static bool TryParseEnergy(string text, out double millijoules, out string error) =>
        TryParseDouble(text, EnergyUnits, "an energy such as 12.6J or 15Wh", out millijoules, out error);

    public static double ParseBitRate(string text) => TryParseBitRate(text, out var v, out var e) ? v : throw new LabInputException(e);

    public static long ParseBytes(string text) => TryParseBytes(text, out var v, out var e) ? v : throw new LabInputException(e);

    public static double ParsePower(string text) => TryParsePower(text, out var v, out var e) ? v : throw new LabInputException(e);

    public static double ParseEnergy(string text) => TryParseEnergy(text, out var v, out var e) ? v : throw new LabInputException(e);

    /// <summary>Formats a bit rate with a human prefix: "9.6 Gbit/s".</summary>
    public static string FormatBitRate(double bps) => FormatPrefixed(bps, "bit/s");

    /// <summary>Formats a packet rate: "14.88 Mpps".</summary>
    public static string FormatPacketRate(double pps) => FormatPrefixed(pps, "pps");

    public static string FormatPrefixed(double value, string unit)
    {
        double abs = Math.Abs(value);
        (double scale, string prefix) = abs >= 1e12 ? (1e12, "T") : abs >= 1e9 ? (1e9, "G") : abs >= 1e6 ? (1e6, "M")
            : abs >= 1e3 ? (1e3, "k") : (1, "");
        return (value / scale).ToString("0.###", CultureInfo.InvariantCulture) + " " + prefix + unit;
    }

    internal static bool TryParseScaled(string text, (string Suffix, decimal Scale)[] units, string expected,
        out long value, out string error)
    {
        value = 0;
        if (!TrySplit(text, units, expected, out decimal number, out decimal scale, out error)) return false;
        // decimal holds about 7.9e28: a number that large times its unit overflows decimal itself.
        if (Math.Abs(number) > long.MaxValue / scale + 1)
        {
            error = $"expected {expected}, found '{text}' (out of range)";
            return false;
        }
        decimal scaled = number * scale;
        if (scaled > long.MaxValue || scaled < long.MinValue)
        {
            error = $"expected {expected}, found '{text}' (out of range)";
            return false;
        }
        if (scaled != decimal.Truncate(scaled))
        {
            error = $"expected {expected}, found '{text}' (finer than the smallest unit)";
            return false;
        }
        value = (long)scaled;
        return true;
    }

    static bool TryParseDouble(string text, (string Suffix, decimal Scale)[] units, string expected,
        out double value, out string error)
    {
        value = 0;
        if (!TrySplit(text, units, expected, out decimal number, out decimal scale, out error)) return false;
        // Exact in decimal as long as the product fits (7.9e28); beyond that only a double can hold it.
        value = Math.Abs(number) <= decimal.MaxValue / scale ? (double)(number * scale) : (double)number * (double)scale;
        return true;
    }

    static bool TrySplit(string text, (string Suffix, decimal Scale)[] units, string expected,
        out decimal number, out decimal scale, out string error)
    {
        number = 0;
        scale = 0;
        error = "";
        string t = (text ?? "").Trim();
        int i = 0;
        while (i < t.Length && (char.IsAsciiDigit(t[i]) || t[i] is '.' or '-' or '+' or 'e' or 'E'))
        {
            // An 'e' only belongs to the number when digits follow it (1e6), not in a unit.
            if ((t[i] is 'e' or 'E') && !(i + 1 < t.Length && (char.IsAsciiDigit(t[i + 1]) || t[i + 1] is '-' or '+'))) break;
            i++;
        }
        string num = t[..i];
        string suffix = t[i..].Trim();
        if (num.Length == 0 || !decimal.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            error = $"expected {expected}, found '{text}'";
            return false;
        }
        if (suffix.Length == 0)
        {
            error = $"expected {expected}, found '{text}' (the unit is missing)";
            return false;
        }
        foreach (var (s, sc) in units)
        {
            if (s == suffix)
            {
                scale = sc;
                return true;
            }
        }
        error = $"expected {expected}, found '{text}' (unknown unit '{suffix}')";
        return false;
    }
}
