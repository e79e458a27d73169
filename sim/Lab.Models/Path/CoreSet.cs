using Lab.Core;
using Lab.Engine;

namespace Lab.Models.Path;

/// <summary>
/// CPU cores fed by receive-side scaling: a packet's flow hash picks its core (so a flow never
/// spreads over cores and keeps its order), it waits in that core's receive ring, and the core
/// runs the stages one packet at a time. A full ring drops with "rx_ring_full" (the NIC's
/// rx_missed / rx_fifo_errors in ethtool terms).
/// </summary>
public sealed class CoreSet : IEventTarget, IPacketReceiver, IResettable
{
    readonly SimulationContext _ctx;
    readonly int _id;
    readonly IPacketStage[] _stages;
    readonly PacketQueue[] _rings;
    readonly bool[] _busy;
    readonly int[] _pendingDrop;
    readonly long[] _busySince;
    readonly int _dropRingFull;

    /// <param name="rssElement">The group is an rss element's (its cores and ring are keys of it), not the single core of stages without one.</param>
    public CoreSet(SimulationContext ctx, string name, int cores, int ringPackets, IReadOnlyList<IPacketStage> stages, bool rssElement = true)
    {
        if (cores < 1) throw new ArgumentOutOfRangeException(nameof(cores));
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _stages = [.. stages];
        _rings = new PacketQueue[cores];
        for (int i = 0; i < cores; i++) _rings[i] = new PacketQueue(ringPackets, 0);
        _busy = new bool[cores];
        _pendingDrop = new int[cores];
        _busySince = new long[cores];
        BusyTime = new long[cores];
        Processed = new long[cores];
        _dropRingFull = ctx.Drops.Register($"{name}.rx_ring_full", RingFull(name, rssElement));
        Name = name;
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }

    /// <summary>Why rx_ring_full drops: the group's cores fall behind the offered load, or the ring is too short for its bursts.</summary>
    public static DropCause RingFull(string name, bool rssElement) => new("receive ring full: the group's cores are saturated or its ring too short",
        rssElement ? $"raise path.{name}.cores or path.{name}.ring, or lower the offered load"
                   : $"put an rss element before {name} (rss: {{cores, ring}}) to give it more cores or a longer ring, or lower the offered load");
    public IPacketReceiver Next { get; set; } = null!;
    public int Cores => _rings.Length;

    /// <summary>Per core: time spent processing since the statistics reset (ps).</summary>
    public long[] BusyTime { get; }

    public long[] Processed { get; }

    public int QueueLength
    {
        get
        {
            int n = 0;
            foreach (var r in _rings) n += r.Count;
            return n;
        }
    }

    /// <summary>RSS: a well-mixed hash of the flow id (the finaliser of MurmurHash3) modulo the cores.</summary>
    public static int CoreOf(int flow, int cores)
    {
        uint h = (uint)flow;
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return (int)(h % (uint)cores);
    }

    public void Receive(int packet)
    {
        int core = _rings.Length == 1 ? 0 : CoreOf(_ctx.Packets[packet].Flow, _rings.Length);
        if (!_busy[core])
        {
            Start(core, packet);
            return;
        }
        if (!_rings[core].TryEnqueue(packet, _ctx.Packets[packet].Size)) _ctx.Drop(packet, _dropRingFull);
    }

    void Start(int core, int packet)
    {
        _busy[core] = true;
        _busySince[core] = _ctx.Sim.Now;
        long cost = 0;
        int drop = -1;
        ref Packet p = ref _ctx.Packets[packet];
        long now = _ctx.Sim.Now;
        for (int i = 0; i < _stages.Length; i++)
        {
            var v = _stages[i].Process(ref p, core, now);
            cost += v.Cost;
            if (v.Dropped)
            {
                drop = v.DropReason;
                break;
            }
        }
        _pendingDrop[core] = drop;
        _ctx.Sim.ScheduleIn(cost, _id, core, packet);
    }

    public void OnEvent(int core, int packet, long data)
    {
        BusyTime[core] += _ctx.Sim.Now - _busySince[core];
        Processed[core]++;
        _busy[core] = false;
        int drop = _pendingDrop[core];
        if (drop >= 0) _ctx.Drop(packet, drop);
        else Next.Receive(packet);
        var ring = _rings[core];
        if (!_busy[core] && ring.Count > 0)
        {
            int next = ring.Peek();
            ring.Dequeue(_ctx.Packets[next].Size);
            Start(core, next);
        }
    }

    public void ResetStatistics(long now)
    {
        Array.Clear(BusyTime);
        Array.Clear(Processed);
        for (int i = 0; i < _busy.Length; i++)
        {
            if (_busy[i]) _busySince[i] = now;
        }
    }
}
