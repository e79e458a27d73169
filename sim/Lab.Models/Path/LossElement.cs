using Lab.Engine;

namespace Lab.Models.Path;

/// <summary>
/// A lossy hop: drops each packet with a probability (from its own random stream, derived from the run's
/// seed, replication and the element's name) and/or every Nth packet, counting from the first that
/// passes it. Drops carry the reason NAME.dropped.
/// </summary>
public sealed class LossElement : IPacketReceiver
{
    readonly SimulationContext _ctx;
    readonly RandomStream _rng;
    readonly double _probability;
    readonly long _every, _first;
    readonly int _reason;
    long _seen;

    public LossElement(SimulationContext ctx, string name, double probability, long every, long first)
    {
        _ctx = ctx;
        Name = name;
        _rng = ctx.Random("loss." + name);
        _probability = probability;
        _every = every;
        _first = first;
        _reason = ctx.Drops.Register($"{name}.dropped");
    }

    public string Name { get; }
    public IPacketReceiver Next { get; set; } = null!;
    public long Passed { get; private set; }
    public long Dropped { get; private set; }

    public void Receive(int packet)
    {
        _seen++;
        bool drop = _every > 0 && _seen >= _first && (_seen - _first) % _every == 0;
        if (!drop && _probability > 0) drop = _rng.NextBool(_probability);
        if (drop)
        {
            Dropped++;
            _ctx.Drop(packet, _reason);
            return;
        }
        Passed++;
        Next.Receive(packet);
    }
}
