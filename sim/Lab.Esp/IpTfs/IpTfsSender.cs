using Lab.Engine;
using Lab.Esp.Wire;
using Lab.Models;
using Lab.Core;

namespace Lab.Esp.IpTfs;

/// <summary>
/// The <c>iptfs_out</c> element: the tunnel ingress of an IP-TFS SA (XFRM_SA_DIR_OUT). Inner packets
/// are queued as <c>iptfs_output_collect</c> / <c>iptfs_enqueue</c> do (max queue size in octets,
/// XfrmOutNoQueueSpace beyond it, ECN CE above 95% of it; with dont_frag, XfrmOutError for packets
/// that do not fit one outer packet); outer packets leave as the mode says:
/// <list type="bullet">
/// <item>demand (Linux v6.14, the only mode xfrm_iptfs.c has): a timer of init_delay from the first
/// queued packet (<c>iptfs_delay_timer</c>) drains the queue with <c>iptfs_output_queued</c>: the first
/// packet is fragmented over as many outer packets as it needs (<c>iptfs_copy_create_frags</c>, the
/// BlockOffset of each later fragment = the octets still to come), then whole packets are appended while
/// they fit; the next packet starts a new outer packet. Nothing is padded.</item>
/// <item>constant (RFC 9347 section 2.4.1): one fixed-size outer packet every interval, filled with
/// the rest of the head packet, whole packets, and a fragment of the next (section 2.1: padding only
/// when data runs out, or with dont_frag); an all-pad payload when the queue is empty (2.2.3).</item>
/// <item>cc (section 2.4.2): the same packets at a TFRC rate (RFC 5348) from the receiver's feedback.</item>
/// <item>tunnel: plain RFC 4303 tunnel mode for comparison.</item>
/// </list>
/// What each outer packet carries is written to the <see cref="Ledger"/>; the pooled outer packet
/// carries its ESP sequence number (in Seq) and size. Per packet nothing is allocated: the queue is a
/// ring of pool indices.
/// </summary>
public sealed class IpTfsSender : IEventTarget, IPacketReceiver, IResettable
{
    public const int OuterFlow = 0x4000_0000;

    const int KindDelayTimer = 0, KindTick = 1, KindFeedback = 2, KindNoFeedback = 3;

    readonly SimulationContext _ctx;
    readonly int _id;
    readonly int _dropNoSpace, _dropTooBig;
    readonly int _capacity;
    int[] _queue = new int[1024];
    long[] _queuedAt = new long[1024];
    int _qHead, _qCount;
    long _queuedBytes;
    int _headSent;
    bool _delayTimerQueued;
    double _tickCarry;
    long _lastDeparture = -1;

    // Congestion control (RFC 5348 through RFC 9347 section 3).
    double _xPps;
    long _rtt;
    long _lastDoubling;
    bool _gotFeedback;
    EventHandle _tick = EventHandle.None, _noFeedback = EventHandle.None;
    Feedback[] _feedback = new Feedback[16];
    int _fbHead, _fbCount;
    RunningStats _rate;

    public IpTfsSender(SimulationContext ctx, string name, IpTfsOutConfig config)
    {
        _ctx = ctx;
        Name = name;
        Config = config;
        _id = ctx.Sim.Register(this);
        _dropNoSpace = ctx.Drops.Register($"{name}.XfrmOutNoQueueSpace");
        _dropTooBig = ctx.Drops.Register($"{name}.XfrmOutError");
        _capacity = config.DataCapacity;
        ctx.OnWarmupEnd(this);
        if (config.Mode == IpTfsSendMode.Constant) ctx.Sim.Schedule(0, _id, KindTick);
        if (config.Mode == IpTfsSendMode.CongestionControlled)
        {
            // RFC 5348 section 4.2: one packet per second until the first feedback; no-feedback timer 2 s.
            _xPps = 1;
            _tick = ctx.Sim.ScheduleTimer(0, _id, KindTick);
            _noFeedback = ctx.Sim.ScheduleTimer(2 * SimTime.Second, _id, KindNoFeedback);
        }
    }

    public string Name { get; }
    public IpTfsOutConfig Config { get; }
    public IpTfsLedger Ledger { get; } = new();
    public IPacketReceiver Next { get; set; } = null!;

    /// <summary>The iptfs_in element that settles this SA's outer packets; required for every mode.</summary>
    public IpTfsReceiver? Receiver { get; set; }

    /// <summary>Data octets per outer packet after the AGGFRAG header.</summary>
    public int DataCapacity => _capacity;

    // Statistics over the measurement window.
    public long OuterPackets { get; private set; }
    public long AllPadPackets { get; private set; }
    public long OuterWireBytes { get; private set; }
    public long InnerBytesCarried { get; private set; }
    public long PadBytes { get; private set; }
    public long DataSpaceBytes { get; private set; }
    public long InnerPacketsSent { get; private set; }
    public long InnerPacketsFragmented { get; private set; }
    public long EcnMarked { get; private set; }
    /// <summary>Drops counted in the MIB as XfrmOutNoQueueSpace (LINUX_MIB_XFRMOUTNOQSPACE, include/uapi/linux/snmp.h; xfrm_iptfs.c iptfs_enqueue failed).</summary>
    public long NoQueueSpace { get; private set; }
    /// <summary>Drops counted in the MIB as XfrmOutError (LINUX_MIB_XFRMOUTERROR; xfrm_iptfs.c: a packet too big for a mode that does not fragment).</summary>
    public long OutError { get; private set; }
    public RunningStats SizeStats;
    public RunningStats GapStats;
    public RunningStats QueueWait;
    public long MaxQueueWait { get; private set; }

    /// <summary>Mean TFRC send rate over the measurement (cc mode), outer packets per second.</summary>
    public double MeanCcRatePps => _rate.Count > 0 ? _rate.Mean : 0;

    public long QueuedBytes => _queuedBytes;

    public void ResetStatistics(long now)
    {
        OuterPackets = AllPadPackets = OuterWireBytes = InnerBytesCarried = PadBytes = DataSpaceBytes = 0;
        InnerPacketsSent = InnerPacketsFragmented = EcnMarked = NoQueueSpace = OutError = MaxQueueWait = 0;
        SizeStats.Reset();
        GapStats.Reset();
        QueueWait.Reset();
        _rate.Reset();
    }

    public void Receive(int packet)
    {
        ref Packet p = ref _ctx.Packets[packet];
        if (Receiver is null) throw new LabInputException($"iptfs_out '{Name}': expected an iptfs_in element later in the path whose sender is '{Name}'");
        int len = p.Size - IpTfsGeometry.EthernetBytes;
        if (Config.Mode == IpTfsSendMode.Tunnel)
        {
            SendTunnel(packet, len);
            return;
        }
        if (Config.DontFragment && len > _capacity)
        {
            // iptfs_is_too_big: XfrmOutError and ICMP "fragmentation needed" / "packet too big".
            OutError++;
            _ctx.Drop(packet, _dropTooBig);
            return;
        }
        long newSize = _queuedBytes + len;
        if (newSize > Config.MaxQueueBytes)
        {
            NoQueueSpace++;
            _ctx.Drop(packet, _dropNoSpace);
            return;
        }
        if (newSize > Config.MaxQueueBytes * 95 / 100) EcnMarked++;
        Enqueue(packet, len);
        if (Config.Mode == IpTfsSendMode.Demand && !_delayTimerQueued)
        {
            _delayTimerQueued = true;
            _ctx.Sim.ScheduleIn(Config.InitDelay, _id, KindDelayTimer);
        }
    }

    void Enqueue(int packet, int len)
    {
        if (_qCount == _queue.Length)
        {
            var q = new int[_queue.Length * 2];
            var t = new long[q.Length];
            for (int i = 0; i < _qCount; i++)
            {
                q[i] = _queue[(_qHead + i) & (_queue.Length - 1)];
                t[i] = _queuedAt[(_qHead + i) & (_queue.Length - 1)];
            }
            _queue = q;
            _queuedAt = t;
            _qHead = 0;
        }
        int slot = (_qHead + _qCount) & (_queue.Length - 1);
        _queue[slot] = packet;
        _queuedAt[slot] = _ctx.Sim.Now;
        _qCount++;
        _queuedBytes += len;
    }

    int HeadPacket => _queue[_qHead];

    int HeadLength => _ctx.Packets[HeadPacket].Size - IpTfsGeometry.EthernetBytes;

    void Dequeue(int len)
    {
        long wait = _ctx.Sim.Now - _queuedAt[_qHead];
        QueueWait.Add(wait);
        MaxQueueWait = Math.Max(MaxQueueWait, wait);
        InnerPacketsSent++;
        _qHead = (_qHead + 1) & (_queue.Length - 1);
        _qCount--;
        _queuedBytes -= len;
        _headSent = 0;
    }

    public void OnEvent(int kind, int arg, long data)
    {
        switch (kind)
        {
            case KindDelayTimer:
                _delayTimerQueued = false;
                OutputQueued();
                break;
            case KindTick:
                SendFixed();
                ScheduleNextTick();
                break;
            case KindFeedback:
                OnFeedback(_feedback[_fbHead]);
                _fbHead = (_fbHead + 1) & (_feedback.Length - 1);
                _fbCount--;
                break;
            case KindNoFeedback:
                // RFC 5348 section 4.4 (RFC 9347 section 2.4.2: the "no feedback timeout" halves the rate).
                _xPps = Math.Max(_xPps / 2, 1 / Tfrc.MaxBackoffSeconds);
                _noFeedback = _ctx.Sim.ScheduleTimer(_ctx.Sim.Now + NoFeedbackTimeout(), _id, KindNoFeedback);
                break;
        }
    }

    /// <summary>
    /// <c>iptfs_output_queued</c> over the whole queue (the kernel splices it under the SA lock, so packets
    /// queued meanwhile wait for the next timer): each outer packet starts with the next queued packet,
    /// fragmented if larger than the capacity, then takes whole packets while they fit.
    /// </summary>
    void OutputQueued()
    {
        int n = _qCount;
        while (n > 0)
        {
            int first = HeadPacket, len = HeadLength;
            n--;
            long seq;
            int used;
            if (len <= _capacity)
            {
                seq = Ledger.Begin(_ctx.Sim.Now, 0);
                Ledger.Add(seq, first, 0, len, len, last: true);
                used = len;
            }
            else
            {
                // iptfs_copy_create_frags: the first outer packet carries `mtu` octets (BlockOffset 0); each
                // later one min(to_copy, mtu) with BlockOffset = to_copy, the octets still to come.
                seq = Ledger.Begin(_ctx.Sim.Now, 0);
                Ledger.Add(seq, first, 0, _capacity, len, last: false);
                Emit(seq);
                int offset = _capacity, toCopy = len - _capacity;
                InnerPacketsFragmented++;
                while (true)
                {
                    int copy = Math.Min(toCopy, _capacity);
                    seq = Ledger.Begin(_ctx.Sim.Now, toCopy);
                    Ledger.Add(seq, first, offset, copy, len, last: copy == toCopy);
                    offset += copy;
                    toCopy -= copy;
                    if (toCopy == 0)
                    {
                        used = copy;
                        break;
                    }
                    Emit(seq);
                }
            }
            Dequeue(len);
            int remaining = _capacity - used;
            while (n > 0 && HeadLength <= remaining)
            {
                int next = HeadPacket, l = HeadLength;
                Ledger.Add(seq, next, 0, l, l, last: true);
                remaining -= l;
                Dequeue(l);
                n--;
            }
            Emit(seq);
        }
    }

    /// <summary>One fixed-size outer packet (RFC 9347 sections 2.1, 2.2.2, 2.2.3): continuation, whole packets, a fragment, pad.</summary>
    void SendFixed()
    {
        int used = 0, blockOffset = 0;
        long seq;
        if (_qCount > 0 && _headSent > 0)
        {
            int len = HeadLength, rest = len - _headSent;
            blockOffset = rest;
            seq = Ledger.Begin(_ctx.Sim.Now, blockOffset);
            int piece = Math.Min(rest, _capacity);
            Ledger.Add(seq, HeadPacket, _headSent, piece, len, last: piece == rest);
            used = piece;
            if (piece == rest) Dequeue(len);
            else _headSent += piece;
        }
        else seq = Ledger.Begin(_ctx.Sim.Now, 0);
        while (used < _capacity && _qCount > 0 && _headSent == 0)
        {
            int len = HeadLength, space = _capacity - used;
            if (len <= space)
            {
                Ledger.Add(seq, HeadPacket, 0, len, len, last: true);
                used += len;
                Dequeue(len);
            }
            else if (!Config.DontFragment)
            {
                Ledger.Add(seq, HeadPacket, 0, space, len, last: false);
                _headSent = space;
                InnerPacketsFragmented++;
                used = _capacity;
            }
            else break;
        }
        if (used == 0) AllPadPackets++;
        Ledger.End(seq, _capacity - used);
        Emit(seq);
    }

    void ScheduleNextTick()
    {
        double interval;
        if (Config.Mode == IpTfsSendMode.Constant) interval = Config.IntervalPs;
        else
        {
            double maxPps = Config.RateBitsPerSecond / (Config.FixedWireBytes * 8.0);
            _xPps = Math.Min(_xPps, maxPps);
            _rate.Add(_xPps);
            interval = SimTime.Second / _xPps;
        }
        // Carry the sub-picosecond remainder so the long-run rate is exact.
        double exact = interval + _tickCarry;
        long step = Math.Max(1, (long)exact);
        _tickCarry = exact - step;
        if (Config.Mode == IpTfsSendMode.Constant) _ctx.Sim.ScheduleIn(step, _id, KindTick);
        else _tick = _ctx.Sim.ScheduleTimer(_ctx.Sim.Now + step, _id, KindTick);
    }

    void Emit(long seq)
    {
        if (Receiver is null) throw new LabInputException($"iptfs_out '{Name}': expected an iptfs_in element later in the path whose sender is '{Name}'");
        ref var r = ref Ledger.Record(seq);
        int bytes = Config.FixedSize ? Config.Geometry.OuterPacketBytes(_capacity) : Config.Geometry.OuterPacketBytes(r.DataBytes);
        int frame = bytes + IpTfsGeometry.EthernetBytes;
        int outer = _ctx.Packets.Allocate();
        ref Packet o = ref _ctx.Packets[outer];
        o.CreatedAt = _ctx.Sim.Now;
        o.Seq = seq;
        o.Size = frame;
        o.Flow = OuterFlow;
        o.Tag = 0;
        Account(frame, r.DataBytes, Config.FixedSize ? _capacity - r.DataBytes : 0, Config.FixedSize ? _capacity : r.DataBytes);
        Next.Receive(outer);
    }

    /// <summary>
    /// Plain tunnel mode: esp_output's size, and what xfrm_output does with a packet over the MTU
    /// (<see cref="EspMtu"/>, inner DF clear): the ESP packet is IP-fragmented. The fragments travel as one
    /// simulated frame whose size makes the wire time of all of them (each fragment: its own IP header,
    /// Ethernet framing, preamble and gap).
    /// </summary>
    void SendTunnel(int packet, int len)
    {
        ref Packet p = ref _ctx.Packets[packet];
        var mtu = EspMtu.Decide(Config.Geometry.Esp, len, Config.Mtu, dontFragment: false);
        if (mtu.Verdict is MtuVerdict.PacketTooBig or MtuVerdict.FragmentationNeeded)
        {
            OutError++;
            _ctx.Drop(packet, _dropTooBig);
            return;
        }
        int total = Config.Geometry.Esp.Layout(len).Total;
        int n = mtu.Verdict == MtuVerdict.OuterFragmented ? mtu.Fragments : 1;
        int header = EspSaGeometry.IpHeaderBytes(Config.Geometry.Esp.Family);
        int frame = total + (n - 1) * (header + IpTfsGeometry.EthernetBytes + IpTfsGeometry.WireGapBytes) + IpTfsGeometry.EthernetBytes;
        p.Aux = p.Size;
        p.Size = frame;
        InnerPacketsSent++;
        QueueWait.Add(0);
        Account(frame, len, 0, len);
        Next.Receive(packet);
    }

    void Account(int frame, int data, int pad, int space)
    {
        long now = _ctx.Sim.Now;
        long last = _lastDeparture;
        _lastDeparture = now;
        if (now < _ctx.MeasureFrom) return;
        OuterPackets++;
        OuterWireBytes += frame + IpTfsGeometry.WireGapBytes;
        InnerBytesCarried += data;
        PadBytes += pad;
        DataSpaceBytes += space;
        SizeStats.Add(frame);
        if (last >= 0) GapStats.Add(now - last);
    }

    // ---- congestion control -------------------------------------------------------------------

    /// <summary>What the receiver's congestion information (RFC 9347 section 3) tells the sender.</summary>
    public readonly record struct Feedback(uint LossEventRate, long TEchoSentAt, long EchoDelay, long TransmitDelay);

    /// <summary>The receiver sends its congestion header on the reverse SA; it arrives after the reverse delay.</summary>
    public void SendFeedback(in Feedback fb)
    {
        if (_fbCount == _feedback.Length)
        {
            var bigger = new Feedback[_feedback.Length * 2];
            for (int i = 0; i < _fbCount; i++) bigger[i] = _feedback[(_fbHead + i) & (_feedback.Length - 1)];
            _feedback = bigger;
            _fbHead = 0;
        }
        _feedback[(_fbHead + _fbCount) & (_feedback.Length - 1)] = fb;
        _fbCount++;
        _ctx.Sim.ScheduleIn(Config.ReverseDelay, _id, KindFeedback);
    }

    /// <summary>The sender's RTT estimate (RFC 9347 section 3), ps; 0 before the first feedback.</summary>
    public long Rtt => _rtt;

    public double RatePps => _xPps;

    long OwnInterval => (long)(SimTime.Second / Math.Max(_xPps, 1e-9));

    long NoFeedbackTimeout() => Math.Max(4 * _rtt, 2 * OwnInterval);

    void OnFeedback(in Feedback fb)
    {
        long now = _ctx.Sim.Now;
        // Two RTT estimates; the larger wins (RFC 9347 section 3). Smoothed as RFC 5348 section 4.3 (q = 0.9).
        long echo = now - fb.TEchoSentAt - fb.EchoDelay;
        // Before the first feedback the sender only probes at RFC 5348's 1 packet/s; counting that as its
        // transmission delay would make the first RTT 1 s, so the model leaves it out of the first sample.
        long tx = fb.TransmitDelay + (_gotFeedback ? OwnInterval : 0);
        long sample = Math.Max(echo, tx);
        _rtt = _rtt == 0 ? sample : (long)(0.9 * _rtt + 0.1 * sample);
        double r = SimTime.ToSeconds(_rtt);
        double xOld = _xPps;
        if (!_gotFeedback)
        {
            _gotFeedback = true;
            _xPps = Tfrc.InitialWindowPackets(Config.Geometry.OuterPacketBytes(_capacity)) / r;
            _lastDoubling = now;
        }
        else if (fb.LossEventRate > 0)
        {
            double p = 1.0 / fb.LossEventRate;
            // X_recv is taken as the current send rate (RFC 9347 appendix B).
            _xPps = Math.Max(Math.Min(Tfrc.PacketsPerSecond(p, r), 2 * _xPps), 1 / Tfrc.MaxBackoffSeconds);
        }
        else if (now - _lastDoubling >= _rtt)
        {
            // Slow start: double once per RTT while there is no loss.
            _xPps = Math.Max(2 * _xPps, 1 / r);
            _lastDoubling = now;
        }
        _xPps = Math.Min(_xPps, Config.RateBitsPerSecond / (Config.FixedWireBytes * 8.0));
        _ctx.Sim.Cancel(_noFeedback);
        _noFeedback = _ctx.Sim.ScheduleTimer(now + NoFeedbackTimeout(), _id, KindNoFeedback);
        if (_xPps > xOld * 1.0001 && _ctx.Sim.Cancel(_tick))
        {
            // A faster rate takes effect now rather than after the old (long) interval.
            _tickCarry = 0;
            _tick = _ctx.Sim.ScheduleTimer(now, _id, KindTick);
        }
    }
}
