using System.Globalization;
using Lab.Engine;
using Lab.Radio.Power;
using Lab.Core;

namespace Lab.Radio.Keepalive;

/// <summary>Options of <c>lab power keepalive --interval A,B,... [--nat-timeout DIST]</c>.</summary>
public sealed record KeepaliveSweepOptions(
    string Radio, IReadOnlyList<long> Intervals, long Duration, double? BatteryMj, NatTimeout? Nat, string NatText,
    KeepaliveKind Kind, bool Suppress, long Seed);

/// <summary>
/// The keepalive-interval sweep against NAT timeouts and battery drain: one <see cref="KeepaliveSession"/>
/// per interval (same seed, so every interval meets the same sequence of drawn NAT timeouts), without
/// application traffic. The output format is a contract:
/// <code>
/// radio               NAME: TITLE
/// keepalive           KIND, B B uplink, for DURATION, seed S
/// nat timeout         DIST
/// interval  sent    mappings-lost  re-established  radio-W  total-W  daily-Wh  battery-%
/// 10s       ...                                                                 one line per interval
/// longest interval that never lost a mapping: 20s   (or: none of the intervals)
/// </code>
/// total-W adds the application processor's wake-ups (30 mJ each, an assumption: see KeepaliveCpuCost);
/// battery-% is "-" without --battery.
/// </summary>
public static class KeepaliveSweepReport
{
    public static void Write(TextWriter output, KeepaliveSweepOptions o)
    {
        if (o.Duration <= 0) throw new ParameterException("duration", $"expected a positive duration, found {SimTime.Format(o.Duration)}");
        if (o.BatteryMj is <= 0) throw new ParameterException("battery", "expected a positive energy such as 15Wh");
        foreach (long interval in o.Intervals)
        {
            if (interval <= 0) throw new ParameterException("interval", $"expected positive durations, found {SimTime.Format(interval)}");
            KeepaliveEnergy.CheckCount(interval, o.Duration);
        }
        var profile = RrcProfiles.For(o.Radio);
        var c = CultureInfo.InvariantCulture;
        var nat = o.Nat ?? new NatTimeout.Fixed(long.MaxValue / 4);
        int bytes = new KeepaliveStrategy(o.Kind, SimTime.Second).UplinkBytes;
        output.WriteLine($"radio               {profile.Name}: {profile.Title}");
        output.WriteLine(string.Create(c, $"keepalive           {KindName(o.Kind)}, {bytes} B uplink{(o.Suppress ? ", suppressed after other traffic" : "")}, for {SimTime.Format(o.Duration)}, seed {o.Seed}"));
        output.WriteLine($"nat timeout         {(o.Nat is null ? "none (the mapping never expires)" : o.NatText)}");
        output.WriteLine("interval  sent    mappings-lost  re-established  radio-W  total-W  daily-Wh  battery-%");
        long best = -1;
        foreach (long interval in o.Intervals)
        {
            if (interval <= 0) throw new ParameterException("interval", $"expected positive durations, found {SimTime.Format(interval)}");
            var strategy = new KeepaliveStrategy(o.Kind, interval, o.Suppress);
            var r = KeepaliveSession.Run(profile, strategy, nat, [], o.Duration, RandomStream.For(o.Seed, 0, "nat-timeout"));
            double seconds = o.Duration / (double)SimTime.Second;
            double radioW = r.Radio.AveragePowerMw / 1000;
            double totalW = r.TotalMj / seconds / 1000;
            double dailyWh = totalW * 24;
            string battery = o.BatteryMj is { } b ? (dailyWh * 3_600_000 / b * 100).ToString("F1", c) : "-";
            // The final mapping loss at the horizon (no packet after it) also counts; any loss disqualifies.
            if (r.MappingsLost == 0) best = Math.Max(best, interval);
            output.WriteLine(string.Create(c,
                $"{SimTime.Format(interval),-9} {r.KeepalivesSent,-7} {r.MappingsLost,-14} {r.Reestablishments,-15} {radioW,-8:F4} {totalW,-8:F4} {dailyWh,-9:F3} {battery}"));
        }
        output.WriteLine(best > 0
            ? $"longest interval that never lost a mapping: {SimTime.Format(best)}"
            : "longest interval that never lost a mapping: none of the intervals");
    }

    static string KindName(KeepaliveKind k) => k switch
    {
        KeepaliveKind.NatT => "natt",
        KeepaliveKind.EspKeepalive => "esp",
        _ => "esp-ping",
    };

    /// <summary>
    /// A NAT timeout distribution: <c>120s</c> (fixed), <c>uniform:30s..300s</c>, or
    /// <c>empirical:30s,60s,120s</c> (each value equally likely).
    /// </summary>
    public static NatTimeout ParseNatTimeout(string text)
    {
        const string Flag = "nat-timeout";
        if (text.StartsWith("uniform:", StringComparison.Ordinal))
        {
            var parts = text["uniform:".Length..].Split("..");
            if (parts.Length != 2) throw new ParameterException(Flag, $"expected uniform:MIN..MAX such as uniform:30s..300s, found '{text}'");
            long min = Duration(Flag, parts[0]), max = Duration(Flag, parts[1]);
            if (min <= 0 || max < min) throw new ParameterException(Flag, $"expected 0 < MIN <= MAX, found '{text}'");
            return new NatTimeout.Uniform(min, max);
        }
        if (text.StartsWith("empirical:", StringComparison.Ordinal))
        {
            var values = text["empirical:".Length..].Split(',').Select(v => Duration(Flag, v.Trim())).ToArray();
            if (values.Any(v => v <= 0)) throw new ParameterException(Flag, $"expected positive timeouts, found '{text}'");
            return new NatTimeout.Empirical(values);
        }
        long fixedTimeout = Duration(Flag, text);
        if (fixedTimeout <= 0) throw new ParameterException(Flag, $"expected a positive timeout, found '{text}'");
        return new NatTimeout.Fixed(fixedTimeout);
    }

    static long Duration(string parameter, string text) =>
        SimTime.TryParse(text, out long ps, out string error) ? ps : throw new ParameterException(parameter, error);
}
