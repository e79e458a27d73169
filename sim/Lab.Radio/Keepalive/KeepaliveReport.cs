using System.Globalization;
using Lab.Core;
using Lab.Radio.Power;

namespace Lab.Radio.Keepalive;

/// <summary>Options of <c>lab power keepalive</c>.</summary>
public sealed record KeepaliveReportOptions(string Radio, long Interval, long Duration, double? BatteryMj, int Bytes);

/// <summary>The text <c>lab power keepalive</c> prints; the command file only parses flags.</summary>
public static class KeepaliveReport
{
    public static void Write(TextWriter output, KeepaliveReportOptions o)
    {
        if (o.Interval <= 0) throw new ParameterException("interval", $"expected a positive duration, found {SimTime.Format(o.Interval)}");
        if (o.Duration <= 0) throw new ParameterException("duration", $"expected a positive duration, found {SimTime.Format(o.Duration)}");
        if (o.Bytes <= 0) throw new ParameterException("bytes", $"expected a positive packet size, found {o.Bytes}B");
        if (o.BatteryMj is <= 0) throw new ParameterException("battery", "expected a positive energy such as 15Wh");
        KeepaliveEnergy.CheckCount(o.Interval, o.Duration);
        var profile = RrcProfiles.For(o.Radio);
        var isolated = KeepaliveEnergy.Isolated(profile, o.Bytes);
        var run = KeepaliveEnergy.Periodic(profile, o.Interval, o.Duration, o.Bytes);
        double avgW = run.AveragePowerMw / 1000;
        double dailyWh = avgW * 24;
        var c = CultureInfo.InvariantCulture;
        long tail = profile.Data.Duration(o.Bytes, Direction.Uplink) + profile.TailDuration;
        bool connected = KeepaliveEnergy.StaysConnected(profile, o.Interval, o.Bytes);

        output.WriteLine($"radio               {profile.Name}: {profile.Title}");
        output.WriteLine($"keepalive           {o.Bytes} B uplink every {SimTime.Format(o.Interval)} for {SimTime.Format(o.Duration)}");
        output.WriteLine(string.Format(c, "isolated keepalive  {0:F3} J (promotion {1:F3} J + transmission {2:F6} J + tail {3:F3} J)",
            isolated.TotalMj / 1000, isolated.PromotionMj / 1000, isolated.TransmissionMj / 1000, isolated.TailMj / 1000));
        output.WriteLine(connected
            ? $"radio connected     always: interval {SimTime.Format(o.Interval)} < transmission + tail {SimTime.Format(tail)}"
            : $"radio connected     no: each keepalive finds the radio at rest (interval {SimTime.Format(o.Interval)} >= transmission + tail {SimTime.Format(tail)})");
        output.WriteLine(string.Format(c, "average radio power {0:F4} W", avgW));
        output.WriteLine(o.BatteryMj is { } battery
            ? string.Format(c, "daily energy        {0:F3} Wh ({1:F1}% of a {2:0.###} Wh battery)", dailyWh, dailyWh * 3_600_000 / battery * 100, battery / 3_600_000)
            : string.Format(c, "daily energy        {0:F3} Wh", dailyWh));
        output.WriteLine(string.Format(c, "energy over {0,-7} {1:F3} Wh, {2} promotions", SimTime.Format(o.Duration), run.TotalEnergyMj / 3_600_000, run.Promotions));
        output.WriteLine("note                radio energy only: the phone's base power (screen off, CPU idle) is excluded");
        output.WriteLine("state                      time          energy (J)");
        foreach (var s in Enum.GetValues<RrcState>())
        {
            if (run.Time(s) == 0) continue;
            output.WriteLine(string.Format(c, "{0,-26} {1,-13} {2:F3}", s, SimTime.Format(run.Time(s)), run.EnergyMj(s) / 1000));
        }
    }
}
