using Lab.Engine;
using Lab.Core;

namespace Lab.Models.Path;

/// <summary>
/// A point-to-point Ethernet link with a transmit queue: each frame occupies the wire for
/// (frame + 20 B preamble and inter-frame gap) x 8 / rate, then arrives after the propagation
/// delay. Serialisation times are exact: the sub-picosecond remainder is carried to the next
/// frame, so a saturated link sends exactly rate / wire bits frames per second in the long run.
/// </summary>
public sealed class Link : IEventTarget, IPacketReceiver, IResettable
{
    /// <summary>Preamble (7 B) + start frame delimiter (1 B) + inter-frame gap (12 B), IEEE 802.3.</summary>
    public const int WireOverheadBytes = 20;

    const int TxDone = 0;
    const int Arrive = 1;

    readonly SimulationContext _ctx;
    readonly int _id;
    readonly long _bitsPerSecond;
    readonly long _psPerBit;
    readonly long _delay;
    readonly PacketQueue _queue;
    readonly int _dropQueueFull;
    long _carry;
    bool _busy;
    long _busySince;

    public Link(SimulationContext ctx, string name, long bitsPerSecond, long delay, int queuePackets, long queueBytes)
    {
        if (bitsPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(bitsPerSecond));
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _bitsPerSecond = bitsPerSecond;
        // Rates that divide a terahertz (1, 10, 25, 40, 100, 400 Gbit/s) give whole picoseconds per bit.
        _psPerBit = SimTime.Second % bitsPerSecond == 0 ? SimTime.Second / bitsPerSecond : 0;
        _delay = delay;
        _queue = new PacketQueue(queuePackets, queueBytes);
        _dropQueueFull = ctx.Drops.Register($"{name}.queue_full",
            new DropCause("link queue full: more offered than the link's rate, or a queue too short for the bursts", $"raise path.{name}.rate or path.{name}.queue, or lower the offered load"));
        Name = name;
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }
    public IPacketReceiver Next { get; set; } = null!;
    public int QueueLength => _queue.Count;
    public long FramesSent { get; private set; }

    /// <summary>Time the wire was busy since the last statistics reset (ps).</summary>
    public long BusyTime { get; private set; }

    public void Receive(int packet)
    {
        if (!_busy)
        {
            StartTransmit(packet);
            return;
        }
        if (!_queue.TryEnqueue(packet, _ctx.Packets[packet].Size)) _ctx.Drop(packet, _dropQueueFull);
    }

    void StartTransmit(int packet)
    {
        _busy = true;
        _busySince = _ctx.Sim.Now;
        long bits = (long)(_ctx.Packets[packet].Size + WireOverheadBytes) * 8;
        long ps;
        if (_psPerBit > 0) ps = bits * _psPerBit;
        else
        {
            // ps = bits * 1e12 / rate, exactly, carrying the remainder. A 64 KiB frame is
            // 524,288 bits: times 1e12 that still fits in a long, so no 128-bit division.
            long num = bits * SimTime.Second + _carry;
            ps = num / _bitsPerSecond;
            _carry = num - ps * _bitsPerSecond;
        }
        _ctx.Sim.ScheduleIn(ps, _id, TxDone, packet);
    }

    public void OnEvent(int kind, int arg, long data)
    {
        if (kind == Arrive)
        {
            Next.Receive(arg);
            return;
        }
        FramesSent++;
        BusyTime += _ctx.Sim.Now - _busySince;
        _ctx.Sim.ScheduleIn(_delay, _id, Arrive, arg);
        _busy = false;
        if (_queue.Count > 0)
        {
            int next = _queue.Peek();
            _queue.Dequeue(_ctx.Packets[next].Size);
            StartTransmit(next);
        }
    }

    public void ResetStatistics(long now)
    {
        FramesSent = 0;
        BusyTime = 0;
        if (_busy) _busySince = now;
    }
}
