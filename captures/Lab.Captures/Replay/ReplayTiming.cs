using System.Globalization;
using Lab.Core;

namespace Lab.Captures.Replay;

public enum ReplayTimingKind
{
    /// <summary>The gaps between the capture's timestamps.</summary>
    Original,

    /// <summary>As fast as the socket takes them.</summary>
    TopSpeed,

    /// <summary>A fixed packet rate.</summary>
    PacketsPerSecond,

    /// <summary>A fixed bit rate over the frame bytes sent (no preamble, inter-frame gap or FCS, as tcpreplay --mbps).</summary>
    MegabitsPerSecond,
}

/// <summary>The <c>--timing</c> flag: original, topspeed, pps:N or mbps:N.</summary>
public readonly record struct ReplayTiming(ReplayTimingKind Kind, double Rate)
{
    public static readonly ReplayTiming Original = new(ReplayTimingKind.Original, 0);
    public static readonly ReplayTiming TopSpeed = new(ReplayTimingKind.TopSpeed, 0);

    /// <summary>
    /// The accepted rates. Below the minimum one gap is over 1000 s and the schedule (nanoseconds
    /// in a long) would overflow within a capture's worth of packets; above the maximum every
    /// packet is due at once anyway (use topspeed).
    /// </summary>
    public const double MinPacketsPerSecond = 1e-3, MaxPacketsPerSecond = 1e12;

    /// <inheritdoc cref="MinPacketsPerSecond"/>
    public const double MinMegabitsPerSecond = 1e-6, MaxMegabitsPerSecond = 1e9;

    public static ReplayTiming Parse(string text)
    {
        string t = (text ?? "").Trim();
        if (t == "original") return Original;
        if (t == "topspeed") return TopSpeed;
        int colon = t.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            string kind = t[..colon];
            string number = t[(colon + 1)..];
            if ((kind == "pps" || kind == "mbps")
                && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate)
                && rate > 0 && double.IsFinite(rate))
            {
                bool pps = kind == "pps";
                (double min, double max, string unit) = pps ? (MinPacketsPerSecond, MaxPacketsPerSecond, "packets/s") : (MinMegabitsPerSecond, MaxMegabitsPerSecond, "Mbit/s");
                if (rate < min || rate > max)
                    throw new ParameterException("timing", string.Create(CultureInfo.InvariantCulture, $"expected {kind}:N with N from {min:G} to {max:G} {unit}, found '{text}'"));
                return new ReplayTiming(pps ? ReplayTimingKind.PacketsPerSecond : ReplayTimingKind.MegabitsPerSecond, rate);
            }
        }
        throw new ParameterException("timing", $"expected original, topspeed, pps:N or mbps:N with N a number above 0, found '{text}'");
    }

    public override string ToString() => Kind switch
    {
        ReplayTimingKind.Original => "original",
        ReplayTimingKind.TopSpeed => "topspeed",
        ReplayTimingKind.PacketsPerSecond => "pps:" + Rate.ToString(CultureInfo.InvariantCulture),
        _ => "mbps:" + Rate.ToString(CultureInfo.InvariantCulture),
    };
}
