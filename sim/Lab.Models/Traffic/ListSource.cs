using Lab.Engine;

namespace Lab.Models.Traffic;

/// <summary>One packet of an explicit list: a scenario's <c>sequence</c> traffic or a pcap's records.</summary>
public readonly record struct ListedPacket(long At, int Size, int Flow, long Seq, byte Dscp);

/// <summary>
/// Emits a given list of packets at their times (sorted by time; equal times keep list order).
/// Serves both the scenario's <c>sequence</c> traffic and replaying a capture as the traffic.
/// </summary>
public sealed class ListSource : IEventTarget
{
    readonly SimulationContext _ctx;
    readonly int _id;
    readonly ListedPacket[] _packets;
    readonly short _index;
    int _next;

    public ListSource(SimulationContext ctx, IReadOnlyList<ListedPacket> packets, short index, IPacketReceiver next)
    {
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _packets = [.. packets.OrderBy(p => p.At)];
        _index = index;
        Next = next;
        if (_packets.Length > 0) ctx.Sim.Schedule(_packets[0].At, _id);
    }

    public IPacketReceiver Next { get; }

    public void OnEvent(int kind, int arg, long data)
    {
        long now = _ctx.Sim.Now;
        while (_next < _packets.Length && _packets[_next].At == now)
        {
            ref readonly ListedPacket lp = ref _packets[_next++];
            int p = _ctx.Packets.Allocate();
            ref Packet pkt = ref _ctx.Packets[p];
            pkt.CreatedAt = now;
            pkt.Seq = lp.Seq;
            pkt.Size = lp.Size;
            pkt.InnerBytes = Math.Max(0, lp.Size - 18);
            pkt.Flow = lp.Flow;
            pkt.Source = _index;
            pkt.Dscp = lp.Dscp;
            Next.Receive(p);
        }
        if (_next < _packets.Length) _ctx.Sim.Schedule(_packets[_next].At, _id);
    }
}
