using Lab.Core;
using Lab.Engine;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Radio.Cellular;

/// <summary>
/// A cellular bearer in the packet path: packets that enter are delivered to <see cref="Next"/> when the
/// receiving PDCP hands them up, after MAC scheduling, HARQ and PDCP reordering. See
/// <see cref="CellularBearerModel"/> for the rules and their sources.
/// Per packet there is no allocation: packets wait in pooled queues, per-packet state lives in arrays
/// indexed by the packet's pool index, and the PDCP reordering buffers are rings grown only when a
/// longer gap than any before has to be held.
/// </summary>
public sealed class CellularBearer : IEventTarget, IPacketReceiver, IResettable
{
    const int Tick = 0;
    const int MacArrival = 1;
    const int ReorderingExpiry = 2;

    readonly SimulationContext _ctx;
    readonly int _id;
    readonly CellularBearerConfig _cfg;
    readonly RandomStream _rng;
    readonly byte[] _classOfDscp = new byte[64];
    readonly PacketQueue[] _queues;
    readonly long[] _blockBits;
    readonly long[] _processBusyUntil;
    readonly PdcpReceiver[] _pdcp;
    readonly long[] _nextCount;
    readonly int _dropQueueFull, _dropHarq, _dropLate;

    // Per packet, by pool index.
    long[] _remainingBits = new long[1024];
    long[] _macArrival = new long[1024];
    long[] _count = new long[1024];
    byte[] _class = new byte[1024];
    bool[] _lost = new bool[1024];

    int[] _segments = new int[64];
    bool _tickScheduled;
    long _lastTick = -1;
    long _blocks;
    int _queued;

    public CellularBearer(SimulationContext ctx, string name, CellularBearerConfig config)
    {
        if (config.Validate() is { } problem) throw new ArgumentException(problem, nameof(config));
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _cfg = config;
        _rng = ctx.Random("cellular." + name + ".harq");
        Name = name;
        for (int d = 0; d < 64; d++) _classOfDscp[d] = (byte)config.ClassOf(d);
        int classes = config.Classes;
        _queues = new PacketQueue[classes];
        _pdcp = new PdcpReceiver[classes];
        _nextCount = new long[classes];
        for (int c = 0; c < classes; c++)
        {
            _queues[c] = new PacketQueue(config.QueuePackets, 0);
            _pdcp[c] = new PdcpReceiver();
        }
        _blockBits = new long[config.Carriers.Count];
        for (int c = 0; c < _blockBits.Length; c++) _blockBits[c] = config.BlockBits(c);
        _processBusyUntil = new long[config.Carriers.Count * config.Harq.Processes];
        _dropQueueFull = ctx.Drops.Register($"{name}.queue_full",
            new DropCause("bearer transmit buffer full: more offered than the carriers carry", $"raise path.{name}.rate, path.{name}.carriers or path.{name}.queue, or lower the offered load"));
        _dropHarq = ctx.Drops.Register($"{name}.harq_failure");
        _dropLate = ctx.Drops.Register($"{name}.pdcp_discard");
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }
    public IPacketReceiver Next { get; set; } = null!;
    public CellularBearerConfig Config => _cfg;

    /// <summary>Transport blocks sent (first transmissions), since the statistics reset.</summary>
    public long TransportBlocks { get; private set; }
    /// <summary>HARQ retransmissions of transport blocks.</summary>
    public long HarqRetransmissions { get; private set; }
    /// <summary>Transport blocks HARQ gave up on (RLC AM then retransmits them; RLC UM loses their packets).</summary>
    public long HarqFailures { get; private set; }
    /// <summary>Packets PDCP delivered.</summary>
    public long Delivered { get; private set; }
    /// <summary>Packets PDCP delivered after a t-Reordering expiry (a gap it stopped waiting for).</summary>
    public long DeliveredOnExpiry { get; private set; }
    /// <summary>Packets waiting in the transmit buffers now.</summary>
    public int QueueLength => _queued;

    public void Receive(int packet)
    {
        ref Packet p = ref _ctx.Packets[packet];
        int cls = _classOfDscp[p.Dscp & 63];
        if (!_queues[cls].TryEnqueue(packet, p.Size))
        {
            _ctx.Drop(packet, _dropQueueFull);
            return;
        }
        _queued++;
        EnsureCapacity(packet);
        // The IP packet is what PDCP carries: the Ethernet header and FCS are not sent on the air.
        _remainingBits[packet] = Math.Max(8, (p.Size - 18) * 8L);
        _macArrival[packet] = 0;
        _lost[packet] = false;
        _class[packet] = (byte)cls;
        _count[packet] = _nextCount[cls]++;
        if (!_tickScheduled)
        {
            long now = _ctx.Sim.Now;
            long boundary = (now + _cfg.Tti - 1) / _cfg.Tti * _cfg.Tti;
            if (boundary <= _lastTick) boundary = _lastTick + _cfg.Tti;
            _ctx.Sim.Schedule(boundary, _id, Tick);
            _tickScheduled = true;
        }
    }

    public void OnEvent(int kind, int arg, long data)
    {
        switch (kind)
        {
            case Tick: RunTti(); break;
            case MacArrival: PdcpReceive(arg); break;
            default: ReorderingTimerExpired(arg); break;
        }
    }

    /// <summary>One TTI: each carrier with a free HARQ process forms a transport block from the queues.</summary>
    void RunTti()
    {
        long now = _ctx.Sim.Now;
        _lastTick = now;
        _tickScheduled = false;
        var harq = _cfg.Harq;
        for (int c = 0; c < _blockBits.Length && _queued > 0; c++)
        {
            int process = -1;
            for (int h = 0; h < harq.Processes; h++)
            {
                if (_processBusyUntil[c * harq.Processes + h] <= now) { process = c * harq.Processes + h; break; }
            }
            if (process < 0) continue; // HARQ stall: every process waits for feedback
            int n = FillBlock(_blockBits[c]);
            _blocks++;
            TransportBlocks++;
            int failures = _cfg.RetransmitEveryNthBlock > 0 && _blocks % _cfg.RetransmitEveryNthBlock == 0
                ? Math.Min(_cfg.ForcedFailures, harq.MaxTransmissions)
                : DrawFailures(harq);
            long extra = _cfg.Carriers[c].ExtraDelay + _cfg.BaseDelay;
            long arrival;
            bool lost = false;
            if (failures >= harq.MaxTransmissions)
            {
                HarqFailures++;
                HarqRetransmissions += harq.MaxTransmissions - 1;
                _processBusyUntil[process] = now + harq.MaxTransmissions * harq.RoundTrip;
                lost = _cfg.Rlc == RlcMode.Unacknowledged;
                arrival = now + _cfg.Tti + (harq.MaxTransmissions - 1) * harq.RoundTrip + _cfg.RlcRetransmissionDelay + extra;
            }
            else
            {
                HarqRetransmissions += failures;
                _processBusyUntil[process] = now + (failures + 1) * harq.RoundTrip;
                arrival = now + _cfg.Tti + failures * harq.RoundTrip + extra;
            }
            for (int i = 0; i < n; i++)
            {
                int pkt = _segments[i];
                if (arrival > _macArrival[pkt]) _macArrival[pkt] = arrival;
                _lost[pkt] |= lost;
                if (_remainingBits[pkt] > 0) continue; // more segments follow in later blocks
                if (_lost[pkt]) _ctx.Drop(pkt, _dropHarq);
                else _ctx.Sim.Schedule(_macArrival[pkt], _id, MacArrival, pkt);
            }
        }
        if (_queued > 0)
        {
            _ctx.Sim.Schedule(now + _cfg.Tti, _id, Tick);
            _tickScheduled = true;
        }
    }

    /// <summary>
    /// RLC concatenation and segmentation: takes bits from the heads of the queues in strict priority order
    /// until the block is full; returns how many packets have bits in it (listed in _segments).
    /// </summary>
    int FillBlock(long bits)
    {
        int n = 0;
        for (int cls = 0; cls < _queues.Length && bits > 0; cls++)
        {
            var q = _queues[cls];
            while (bits > 0 && q.Count > 0)
            {
                int pkt = q.Peek();
                long take = Math.Min(bits, _remainingBits[pkt]);
                _remainingBits[pkt] -= take;
                bits -= take;
                if (n == _segments.Length) Array.Resize(ref _segments, n * 2);
                _segments[n++] = pkt;
                if (_remainingBits[pkt] == 0)
                {
                    q.Dequeue(_ctx.Packets[pkt].Size);
                    _queued--;
                }
            }
        }
        return n;
    }

    int DrawFailures(HarqConfig harq)
    {
        if (harq.RetransmissionProbability <= 0) return 0;
        int f = 0;
        while (f < harq.MaxTransmissions && _rng.NextBool(harq.RetransmissionProbability)) f++;
        return f;
    }

    /// <summary>PDCP reception (TS 38.323 section 5.2.2.1; LTE RLC UM/AM reordering, TS 36.322 section 5.1, behaves alike).</summary>
    void PdcpReceive(int packet)
    {
        if (_cfg.Delivery == DeliveryOrder.OutOfOrder)
        {
            Deliver(packet);
            return;
        }
        int cls = _class[packet];
        var rx = _pdcp[cls];
        long count = _count[packet];
        if (count < rx.RxDeliv)
        {
            _ctx.Drop(packet, _dropLate); // t-Reordering already gave up on this COUNT
            return;
        }
        rx.Store(count, packet);
        if (count + 1 > rx.RxNext) rx.RxNext = count + 1;
        if (count == rx.RxDeliv) DeliverConsecutive(rx, false);
        if (rx.TimerRunning && rx.RxDeliv >= rx.RxReord)
        {
            _ctx.Sim.Cancel(rx.Timer);
            rx.TimerRunning = false;
        }
        if (!rx.TimerRunning && rx.RxDeliv < rx.RxNext) StartTimer(rx, cls);
    }

    /// <summary>TS 38.323 section 5.2.2.2: deliver what is stored below RX_REORD and the run from RX_REORD on.</summary>
    void ReorderingTimerExpired(int cls)
    {
        var rx = _pdcp[cls];
        rx.TimerRunning = false;
        for (long c = rx.RxDeliv; c < rx.RxReord; c++)
        {
            int pkt = rx.Take(c);
            if (pkt >= 0) DeliverAfterExpiry(pkt);
        }
        rx.RxDeliv = Math.Max(rx.RxDeliv, rx.RxReord);
        DeliverConsecutive(rx, true);
        if (rx.RxDeliv < rx.RxNext) StartTimer(rx, cls);
    }

    void StartTimer(PdcpReceiver rx, int cls)
    {
        rx.RxReord = rx.RxNext;
        rx.Timer = _ctx.Sim.ScheduleTimer(_ctx.Sim.Now + _cfg.TReordering, _id, ReorderingExpiry, cls);
        rx.TimerRunning = true;
    }

    void DeliverConsecutive(PdcpReceiver rx, bool afterExpiry)
    {
        while (rx.RxDeliv < rx.RxNext)
        {
            int pkt = rx.Take(rx.RxDeliv);
            if (pkt < 0) break;
            rx.RxDeliv++;
            if (afterExpiry) DeliverAfterExpiry(pkt);
            else Deliver(pkt);
        }
    }

    void DeliverAfterExpiry(int packet)
    {
        DeliveredOnExpiry++;
        Deliver(packet);
    }

    void Deliver(int packet)
    {
        Delivered++;
        Next.Receive(packet);
    }

    void EnsureCapacity(int packet)
    {
        if (packet < _remainingBits.Length) return;
        int size = Math.Max(packet + 1, _remainingBits.Length * 2);
        Array.Resize(ref _remainingBits, size);
        Array.Resize(ref _macArrival, size);
        Array.Resize(ref _count, size);
        Array.Resize(ref _class, size);
        Array.Resize(ref _lost, size);
    }

    public void ResetStatistics(long now)
    {
        TransportBlocks = 0;
        HarqRetransmissions = 0;
        HarqFailures = 0;
        Delivered = 0;
        DeliveredOnExpiry = 0;
    }

    /// <summary>The receiving PDCP entity of one radio bearer: RX_NEXT, RX_DELIV, RX_REORD and the stored SDUs by COUNT.</summary>
    sealed class PdcpReceiver
    {
        int[] _stored = InitialRing();
        public long RxNext, RxDeliv, RxReord;
        public EventHandle Timer;
        public bool TimerRunning;

        static int[] InitialRing()
        {
            var r = new int[256];
            Array.Fill(r, -1);
            return r;
        }

        public void Store(long count, int packet)
        {
            // Everything held lies in [RX_DELIV, RX_NEXT); grow the ring when that span outgrows it.
            long span = Math.Max(RxNext, count + 1) - RxDeliv;
            if (span > _stored.Length) Grow(span);
            _stored[count & (_stored.Length - 1)] = packet;
        }

        /// <summary>The packet stored under <paramref name="count"/>, removed, or -1.</summary>
        public int Take(long count)
        {
            ref int slot = ref _stored[count & (_stored.Length - 1)];
            int p = slot;
            slot = -1;
            return p;
        }

        void Grow(long span)
        {
            int size = _stored.Length;
            while (size < span) size *= 2;
            var bigger = new int[size];
            Array.Fill(bigger, -1);
            for (long c = RxDeliv; c < RxNext; c++) bigger[c & (size - 1)] = _stored[c & (_stored.Length - 1)];
            _stored = bigger;
        }
    }
}
