using System.Globalization;

namespace Lab.Core;

/// <summary>
/// Simulated time is a <see cref="long"/> count of picoseconds: one 64-byte frame at 400 Gbit/s
/// lasts 1.68 ns, so nanoseconds would be too coarse. 2^63 ps is about 106 days.
/// </summary>
public static class SimTime
{
    public const long Picosecond = 1;
    public const long Nanosecond = 1_000;
    public const long Microsecond = 1_000_000;
    public const long Millisecond = 1_000_000_000;
    public const long Second = 1_000_000_000_000;
    public const long Minute = 60 * Second;
    public const long Hour = 60 * Minute;
    public const long Day = 24 * Hour;

    public static double ToSeconds(long ps) => ps / (double)Second;

    public static long FromSeconds(double seconds) => checked((long)Math.Round(seconds * Second));

    /// <summary>Parses "10ms", "1.2us", "20s", "24h", "5ps" (also "µs"). A bare number is rejected: units are required.</summary>
    public static bool TryParse(string text, out long ps, out string error) =>
        Units.TryParseScaled(text, TimeUnits, "a duration such as 10ms, 1.2us or 20s", out ps, out error);

    public static long Parse(string text) =>
        TryParse(text, out var v, out var err) ? v : throw new LabInputException(err);

    /// <summary>Prints with the largest unit that keeps at least one integer digit, e.g. "1.2us", "10ms".</summary>
    public static string Format(long ps)
    {
        long abs = Math.Abs(ps);
        (long scale, string unit) = abs >= Hour && abs % Hour == 0 ? (Hour, "h")
            : abs >= Minute && abs % Minute == 0 && abs < Hour ? (Minute, "min")
            : abs >= Second ? (Second, "s")
            : abs >= Millisecond ? (Millisecond, "ms")
            : abs >= Microsecond ? (Microsecond, "us")
            : abs >= Nanosecond ? (Nanosecond, "ns")
            : (1L, "ps");
        return (ps / (decimal)scale).ToString("0.######", CultureInfo.InvariantCulture) + unit;
    }

    internal static readonly (string Suffix, decimal Scale)[] TimeUnits =
    [
        ("ps", 1m), ("ns", 1_000m), ("us", 1_000_000m), ("µs", 1_000_000m), ("ms", 1_000_000_000m),
        ("s", 1_000_000_000_000m), ("min", 60_000_000_000_000m), ("h", 3_600_000_000_000_000m),
        ("d", 86_400_000_000_000_000m),
    ];
}
