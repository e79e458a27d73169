using Lab.Models.Metrics;

namespace Lab.Models.Path;

/// <summary>The end of the path: counts what was delivered, how late, and frees the packets.</summary>
public sealed class Sink : IPacketReceiver, IResettable
{
    readonly SimulationContext _ctx;

    public Sink(SimulationContext ctx)
    {
        _ctx = ctx;
        ctx.OnWarmupEnd(this);
    }

    public long Packets { get; private set; }
    /// <summary>Bytes on the wire: frames plus preamble and inter-frame gap.</summary>
    public long WireBytes { get; private set; }
    public long FrameBytes { get; private set; }
    /// <summary>The L3 bytes the senders sent (goodput), whatever encapsulation carried them.</summary>
    public long GoodputBytes { get; private set; }
    public LatencyRecorder Latency { get; } = new();

    /// <summary>Totals since the start of the run, never reset: what time series difference.</summary>
    public long LifetimePackets { get; private set; }
    public long LifetimeWireBytes { get; private set; }
    public long LifetimeGoodputBytes { get; private set; }

    public void Receive(int packet)
    {
        ref Packet p = ref _ctx.Packets[packet];
        Packets++;
        FrameBytes += p.Size;
        WireBytes += p.Size + Link.WireOverheadBytes;
        GoodputBytes += p.InnerBytes;
        Latency.Add(_ctx.Sim.Now - p.CreatedAt);
        LifetimePackets++;
        LifetimeWireBytes += p.Size + Link.WireOverheadBytes;
        LifetimeGoodputBytes += p.InnerBytes;
        _ctx.Packets.Free(packet);
    }

    public void ResetStatistics(long now)
    {
        Packets = 0;
        WireBytes = 0;
        FrameBytes = 0;
        GoodputBytes = 0;
        Latency.Reset();
    }
}
