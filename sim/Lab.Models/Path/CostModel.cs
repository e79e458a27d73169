using Lab.Engine;

namespace Lab.Models.Path;

/// <summary>
/// A per-packet CPU cost: fixed + per byte, or exponentially distributed around a mean (for
/// queueing-theory checks and for jittery software paths).
/// </summary>
public sealed record CostModel(long Fixed, double PerBytePs, bool Exponential)
{
    public static CostModel Constant(long ps) => new(ps, 0, false);

    public long Draw(int bytes, RandomStream rng)
    {
        double mean = Fixed + PerBytePs * bytes;
        return Exponential ? (long)Math.Round(rng.Exponential(mean)) : (long)Math.Round(mean);
    }
}

/// <summary>A stage that only costs time: the generic forwarding work of a path.</summary>
public sealed class FixedCostStage(string name, CostModel cost, RandomStream rng) : IPacketStage
{
    public string Name { get; } = name;

    public StageVerdict Process(ref Packet packet, int core, long now) => StageVerdict.Pass(cost.Draw(packet.Size, rng));
}
