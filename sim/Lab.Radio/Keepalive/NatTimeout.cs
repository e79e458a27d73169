using Lab.Engine;
using Lab.Core;

namespace Lab.Radio.Keepalive;

/// <summary>
/// The UDP mapping timeout of the NAT in front of the phone, drawn once per mapping. RFC 4787 REQ-5
/// requires at least 2 minutes (5 recommended); Hätönen et al., IMC 2010, measured home gateways as low
/// as 30 s. Supply measured values with <see cref="Empirical"/>; no measured per-device list is built in.
/// </summary>
public abstract record NatTimeout
{
    /// <summary>RFC 4787 section 4.3 REQ-5: a UDP mapping timer must not expire in less than two minutes.</summary>
    public static readonly long Rfc4787Minimum = 2 * SimTime.Minute;

    /// <summary>Hätönen et al., IMC 2010: the shortest UDP binding timeout among 34 home gateways.</summary>
    public static readonly long HatonenShortest = 30 * SimTime.Second;

    public abstract long Draw(RandomStream rng);

    public sealed record Fixed(long Timeout) : NatTimeout
    {
        public override long Draw(RandomStream rng) => Timeout;
    }

    /// <summary>Uniform in [Min, Max] (integer picoseconds).</summary>
    public sealed record Uniform(long Min, long Max) : NatTimeout
    {
        public override long Draw(RandomStream rng) => Min + (long)rng.NextBelow((ulong)(Max - Min) + 1);
    }

    /// <summary>One of the measured values, each equally likely.</summary>
    public sealed record Empirical(IReadOnlyList<long> Values) : NatTimeout
    {
        public override long Draw(RandomStream rng) => Values[(int)rng.NextBelow((ulong)Values.Count)];
    }
}
