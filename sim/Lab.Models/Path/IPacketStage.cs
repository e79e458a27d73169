namespace Lab.Models.Path;

/// <summary>What a stage did with a packet: the CPU time it spent, and a drop reason or -1 to pass it on.</summary>
public readonly record struct StageVerdict(long Cost, int DropReason)
{
    public static StageVerdict Pass(long cost) => new(cost, -1);

    public static StageVerdict Drop(long cost, int reason) => new(cost, reason);

    public bool Dropped => DropReason >= 0;
}

/// <summary>
/// A piece of per-packet work on a CPU core: a fixed-cost forwarding stage, or a model such as
/// ESP input or a flowtable lookup, which decides the packet's fate from its own state. Stages
/// run in path order on the core RSS chose; the core is busy for the sum of their costs.
/// </summary>
public interface IPacketStage
{
    string Name { get; }

    StageVerdict Process(ref Packet packet, int core, long now);
}
