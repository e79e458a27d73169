using System.Globalization;
using Lab.Core;
using Lab.Radio.Power;

namespace Lab.Radio.Keepalive;

/// <summary>Cost of one keepalive that finds the radio at rest: promotion + transmission + the full tail.</summary>
public sealed record IsolatedKeepaliveCost(double PromotionMj, double TransmissionMj, double TailMj)
{
    public double TotalMj => PromotionMj + TransmissionMj + TailMj;
}

/// <summary>Radio energy of periodic keepalives, computed with <see cref="EnergyIntegrator"/>.</summary>
public static class KeepaliveEnergy
{
    /// <summary>IPv4 NAT-T keepalive on the air: IPv4 header 20 + UDP header 8 + one octet 0xFF (RFC 3948 section 2.3).</summary>
    public const int NatTKeepaliveIpv4Bytes = 20 + 8 + 1;

    public static IsolatedKeepaliveCost Isolated(RrcProfile profile, int bytes)
    {
        long window = profile.RestPromotion.Duration + profile.Data.Duration(bytes, Direction.Uplink) + profile.TailDuration;
        var r = EnergyIntegrator.Run(profile, [new Transmission(0, bytes, Direction.Uplink)], 0, window);
        double promotion = r.EnergyMj(RrcState.Promotion) + r.EnergyMj(RrcState.FachToDchPromotion);
        double transmission = r.EnergyMj(RrcState.Connected);
        return new IsolatedKeepaliveCost(promotion, transmission, r.ActiveEnergyMj - promotion - transmission);
    }

    /// <summary>Keepalives one report may simulate: a day at 10 ms is 8.64 million.</summary>
    public const long MaxKeepalives = 10_000_000;

    /// <summary>Refuses an interval so short against the duration that the keepalive list would not fit (1ps over a day: 8.64e16).</summary>
    public static void CheckCount(long interval, long duration)
    {
        if (interval <= 0 || duration <= 0) return;
        long count = duration / interval + 1;
        if (count <= MaxKeepalives) return;
        throw new ParameterException("interval", string.Create(CultureInfo.InvariantCulture, $"expected at most {MaxKeepalives} keepalives over "), new ParameterName("duration"),
            string.Create(CultureInfo.InvariantCulture, $" {SimTime.Format(duration)}, found {count} at {SimTime.Format(interval)}; use an interval of at least {SimTime.Format(duration / MaxKeepalives + 1)}"));
    }

    /// <summary>The keepalive times 0, interval, 2 interval, ... before <paramref name="duration"/>.</summary>
    public static Transmission[] Schedule(long interval, long duration, int bytes)
    {
        if (interval <= 0) throw new ArgumentOutOfRangeException(nameof(interval), "the interval must be positive");
        long count = (duration + interval - 1) / interval;
        var tx = new Transmission[count];
        for (long i = 0; i < count; i++) tx[i] = new Transmission(i * interval, bytes, Direction.Uplink);
        return tx;
    }

    public static EnergyReport Periodic(RrcProfile profile, long interval, long duration, int bytes) =>
        EnergyIntegrator.Run(profile, Schedule(interval, duration, bytes), 0, duration);

    /// <summary>
    /// Whether keepalives at this interval keep the radio connected in steady state: each one must
    /// arrive before the tail started by the previous one has expired, i.e. interval &lt; transmission +
    /// tail. (The first keepalive also pays the promotion, so intervals in [transmission + tail,
    /// promotion + transmission + tail) catch the tail once and then alternate with idle.)
    /// </summary>
    public static bool StaysConnected(RrcProfile profile, long interval, int bytes) =>
        interval < profile.Data.Duration(bytes, Direction.Uplink) + profile.TailDuration;
}
