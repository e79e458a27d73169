using Lab.Engine;
using Lab.Models.Metrics;

namespace Lab.Models;

/// <summary>Statistics that restart when the warm-up period ends.</summary>
public interface IResettable
{
    void ResetStatistics(long now);
}

/// <summary>
/// What every component of one run shares: the engine, the packet pool, the drop counters and
/// the run's identity (seed, replication) from which each component derives its own random
/// stream by name.
/// </summary>
public sealed class SimulationContext
{
    readonly List<IResettable> _resettables = [];

    public SimulationContext(long seed, int replication)
    {
        Seed = seed;
        Replication = replication;
    }

    public Simulator Sim { get; } = new();
    public PacketPool Packets { get; } = new();
    public DropCounters Drops { get; } = new();
    public long Seed { get; }
    public int Replication { get; }

    /// <summary>When measurement starts (end of the warm-up); statistics before it are discarded.</summary>
    public long MeasureFrom { get; private set; }

    /// <summary>The component's own stream: adding a component never changes another's draws.</summary>
    public RandomStream Random(string component) => RandomStream.For(Seed, Replication, component);

    public void OnWarmupEnd(IResettable r) => _resettables.Add(r);

    readonly Dictionary<short, Traffic.ScriptTrace> _scripts = [];

    /// <summary>A script source announces its trace, so that stages can read its packets' rows.</summary>
    public void RegisterScript(short source, Traffic.ScriptTrace trace) => _scripts[source] = trace;

    /// <summary>The trace of script source <paramref name="source"/> (a packet with <see cref="PacketFlags.Scripted"/> came from it).</summary>
    public Traffic.ScriptTrace Script(short source) =>
        _scripts.TryGetValue(source, out var t) ? t : throw new InvalidOperationException($"traffic source {source} is not a script");

    /// <summary>Drops a packet: counts the reason and returns its storage to the pool.</summary>
    public void Drop(int packet, int reason)
    {
        Drops.Count(reason);
        Packets.Free(packet);
    }

    /// <summary>Runs until <paramref name="end"/>, restarting every statistic at <paramref name="warmup"/>.</summary>
    public void Run(long warmup, long end)
    {
        if (warmup > 0)
        {
            Sim.RunUntil(warmup);
            Drops.Reset();
            foreach (var r in _resettables) r.ResetStatistics(warmup);
        }
        MeasureFrom = warmup;
        Sim.RunUntil(end);
    }
}
