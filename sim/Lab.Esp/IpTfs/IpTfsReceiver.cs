using Lab.Engine;
using Lab.Models;

namespace Lab.Esp.IpTfs;

/// <summary>
/// The <c>iptfs_in</c> element: the tunnel egress of an IP-TFS SA (XFRM_SA_DIR_IN), following
/// net/xfrm/xfrm_iptfs.c of Linux v6.14 function by function:
/// <list type="bullet">
/// <item>the reorder window (<c>iptfs_input_reorder</c>: <c>__reorder_this</c>, <c>__reorder_past</c>,
/// <c>__reorder_future_fits</c>, <c>__reorder_future_shifts</c>; <c>iptfs_set_window_drop_times</c>) of
/// reorder_window slots after the wanted sequence number; 0 is the kernel's fast path (no reordering);</item>
/// <item>one drop timer (<c>iptfs_drop_timer</c>, <c>__reorder_drop</c>) shared by the window and the
/// reassembly: it gives up a missing outer packet drop_time after the newest saved one arrived, and
/// discards an in-progress inner packet; completing or abandoning a reassembly cancels it
/// (<c>__iptfs_reassem_done</c>), as the kernel does;</item>
/// <item>reassembly (<c>iptfs_reassem_cont</c>, <c>__input_process_payload</c>): a continuation must come in
/// the very next sequence number (<c>ra_wantseq</c>), else XfrmInIptfsError and the inner packet is
/// abandoned; a data block cut before its length field is kept as a "runt" (no timer).</item>
/// </list>
/// Every inner packet that had a piece in an outer packet that was lost (given up by the window or the
/// drop timer) is dropped, with reason NAME.lost_with_outer; the ledger decides the moment, when all its
/// pieces are settled and the reassembly no longer holds it. Inner packets leave with their original
/// CreatedAt, so the run's latency includes the IP-TFS queue, the reorder window and reassembly.
/// </summary>
public sealed class IpTfsReceiver : IEventTarget, IPacketReceiver, IResettable
{
    readonly SimulationContext _ctx;
    readonly int _id;
    readonly IpTfsSender _sender;
    readonly IpTfsLedger _ledger;
    readonly int _dropLost, _dropTimeout, _dropError;
    readonly int _nslots;
    readonly int _lengthFieldEnd;

    // Reorder window (w_wantseq, w_saved[], w_savedlen).
    bool _seqSet;
    long _wantSeq;
    readonly int[] _slotPacket;
    readonly long[] _slotDrop;
    int _savedLen;
    int[] _ready = new int[64];
    int _readyCount;

    // Reassembly (ra_newskb, ra_wantseq, ra_runt).
    int _raInner = -1, _raHave, _raRuntInner = -1, _raRunt;
    long _raWantSeq;

    EventHandle _dropTimer = EventHandle.None;

    // Congestion information (RFC 9347 section 3).
    readonly LossEventHistory _losses = new();
    long _lastTvalSentAt = -1, _lastTvalArrival, _lastFeedback = long.MinValue;

    public IpTfsReceiver(SimulationContext ctx, string name, IpTfsInConfig config, IpTfsSender sender)
    {
        _ctx = ctx;
        Name = name;
        Config = config;
        _sender = sender;
        _ledger = sender.Ledger;
        sender.Receiver = this;
        _id = ctx.Sim.Register(this);
        _dropLost = ctx.Drops.Register($"{name}.lost_with_outer");
        _dropTimeout = ctx.Drops.Register($"{name}.reassembly_timeout");
        _dropError = ctx.Drops.Register($"{name}.reassembly_error");
        _nslots = config.ReorderWindow + 1;
        _slotPacket = new int[Math.Max(1, config.ReorderWindow)];
        _slotDrop = new long[_slotPacket.Length];
        Array.Fill(_slotPacket, -1);
        _lengthFieldEnd = Aggfrag.LengthFieldEnd(sender.Config.Geometry.Esp.InnerFamily == IpFamily.Ipv6 ? Aggfrag.Ipv6Block : Aggfrag.Ipv4Block);
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }
    public IpTfsInConfig Config { get; }
    public IpTfsSender Sender => _sender;
    public IPacketReceiver Next { get; set; } = null!;

    public long OuterReceived { get; private set; }
    /// <summary>Outer sequence numbers given up (never arrived in time).</summary>
    public long OuterLost { get; private set; }
    /// <summary>Outer packets that arrived after the window had passed them (freed by <c>__reorder_past</c>).</summary>
    public long OuterLate { get; private set; }
    public long InnerDelivered { get; private set; }
    public long InnerLost { get; private set; }
    /// <summary>LINUX_MIB_XFRMINIPTFSERROR: a continuation that did not come in the wanted sequence number.</summary>
    public long XfrmInIptfsError { get; private set; }
    public long ReassemblyTimeouts { get; private set; }
    public long LossEvents => _losses.Events;

    public void ResetStatistics(long now)
    {
        OuterReceived = OuterLost = OuterLate = InnerDelivered = InnerLost = XfrmInIptfsError = ReassemblyTimeouts = 0;
    }

    public void Receive(int packet)
    {
        ref Packet p = ref _ctx.Packets[packet];
        if (_sender.Config.Mode == IpTfsSendMode.Tunnel)
        {
            // Plain tunnel mode: decapsulate (the frame regains its original size) and pass on.
            OuterReceived++;
            p.Size = (int)p.Aux;
            InnerDelivered++;
            Next.Receive(packet);
            return;
        }
        OuterReceived++;
        long seq = p.Seq;
        if (Config.ReorderWindow == 0)
        {
            // Fast path: no window. A packet whose record was already given up (below) is only freed.
            GiveUpStale();
            if (!_ledger.Has(seq) || _ledger.Record(seq).Resolved)
            {
                OuterLate++;
                _ctx.Packets.Free(packet);
                return;
            }
            InputOrdered(packet);
            return;
        }
        Reorder(packet, seq);
        ProcessReady();
    }

    /// <summary>
    /// Without a window nothing passes a missing sequence number; the model gives one up when it was sent more
    /// than drop_time ago (the kernel would still process it if it came later: a simplification).
    /// </summary>
    void GiveUpStale()
    {
        long now = _ctx.Sim.Now;
        for (long s = _ledger.FirstSeq; s < _ledger.NextSeq; s++)
        {
            ref var r = ref _ledger.Record(s);
            if (r.SentAt + Config.DropTime >= now) break;
            if (!r.Resolved) Missing(s);
        }
    }

    // ---- reorder window ------------------------------------------------------------------------

    void Reorder(int packet, long inseq)
    {
        if (!_seqSet)
        {
            _seqSet = true;
            _wantSeq = inseq;
        }
        if (inseq == _wantSeq) ReorderThis(packet);
        else if (inseq < _wantSeq)
        {
            OuterLate++;
            _ctx.Packets.Free(packet);
        }
        else if (inseq - _wantSeq < _nslots) ReorderFutureFits(packet, inseq);
        else ReorderFutureShifts(packet, inseq);
    }

    void Ready(int packet)
    {
        if (_readyCount == _ready.Length) Array.Resize(ref _ready, _ready.Length * 2);
        _ready[_readyCount++] = packet;
    }

    void ProcessReady()
    {
        // The kernel collects the in-order packets under drop_lock, then processes them in order.
        for (int i = 0; i < _readyCount; i++) InputOrdered(_ready[i]);
        _readyCount = 0;
    }

    /// <summary><c>__reorder_this</c>: the wanted one; flush the consecutive saved packets after it.</summary>
    void ReorderThis(int packet)
    {
        Ready(packet);
        _wantSeq++;
        if (_savedLen == 0) return;
        int count = 0;
        while (count < _savedLen && _slotPacket[count] >= 0) Ready(_slotPacket[count++]);
        _wantSeq += count;
        Shift(count + 1);
    }

    /// <summary><c>__vec_shift</c>.</summary>
    void Shift(int shift)
    {
        if (shift > _savedLen) shift = _savedLen;
        int keep = _savedLen - shift;
        Array.Copy(_slotPacket, shift, _slotPacket, 0, keep);
        Array.Copy(_slotDrop, shift, _slotDrop, 0, keep);
        for (int i = keep; i < _savedLen; i++)
        {
            _slotPacket[i] = -1;
            _slotDrop[i] = 0;
        }
        _savedLen -= shift;
    }

    /// <summary><c>__reorder_future_fits</c>: save it in slot distance - 1.</summary>
    void ReorderFutureFits(int packet, long inseq)
    {
        int index = (int)(inseq - _wantSeq - 1);
        if (_slotPacket[index] >= 0)
        {
            OuterLate++;
            _ctx.Packets.Free(packet);
            return;
        }
        _slotPacket[index] = packet;
        _savedLen = Math.Max(_savedLen, index + 1);
        SetWindowDropTimes(index);
    }

    /// <summary><c>iptfs_set_window_drop_times</c>: the newest saved packet sets the drop time of the empty slots below it.</summary>
    void SetWindowDropTimes(int index)
    {
        if (_savedLen > index + 1) return;
        long dropTime = _ctx.Sim.Now + Config.DropTime;
        _slotDrop[index] = dropTime;
        while (index-- > 0 && _slotPacket[index] < 0) _slotDrop[index] = dropTime;
        if (index == -1 && !_ctx.Sim.IsPending(_dropTimer)) StartDropTimer(Config.DropTime);
    }

    /// <summary><c>__reorder_future_shifts</c>: beyond the window; the wanted one and any gap the window passes are lost.</summary>
    void ReorderFutureShifts(int packet, long inseq)
    {
        long distance = inseq - _wantSeq;
        int beyond = (int)Math.Min(distance - (_nslots - 1), int.MaxValue);
        int shifting = Math.Min(_savedLen, beyond);
        // The wanted sequence number is missing (else it would have been processed).
        Missing(_wantSeq);
        int slot0 = -1;
        for (int slot = 1; slot <= shifting; slot++)
        {
            if (slot0 >= 0) Ready(slot0);
            else if (slot > 1) Missing(_wantSeq + slot - 1);
            slot0 = _slotPacket[slot - 1];
            _slotPacket[slot - 1] = -1;
        }
        if (_savedLen < beyond)
        {
            if (_savedLen != 0) Ready(slot0);
            slot0 = -1;
            // Sequence numbers past the saved ones up to the new wanted one never arrived.
            for (long s = _wantSeq + _savedLen + 1; s < _wantSeq + beyond; s++) Missing(s);
        }
        Shift(beyond);
        _wantSeq += beyond;
        _savedLen = _nslots - 1;
        _slotPacket[_savedLen - 1] = packet;
        SetWindowDropTimes(_savedLen - 1);
        if (slot0 < 0) return;
        ReorderThis(slot0);
    }

    /// <summary><c>__reorder_drop</c>, from the drop timer: give up the wanted one and every expired gap.</summary>
    void ReorderDrop()
    {
        long now = _ctx.Sim.Now;
        if (_slotDrop[0] > now)
        {
            StartDropTimer(_slotDrop[0] - now);
            return;
        }
        Missing(_wantSeq);
        _wantSeq++;
        int s = 0;
        while (s < _savedLen)
        {
            bool stop = false;
            for (; s < _savedLen && _slotPacket[s] < 0; s++)
            {
                if (_slotDrop[s] > now)
                {
                    stop = true;
                    break;
                }
                Missing(_wantSeq + s);
            }
            if (stop) break;
            for (; s < _savedLen && _slotPacket[s] >= 0; s++) Ready(_slotPacket[s]);
        }
        if (s > 0)
        {
            _wantSeq += s;
            Shift(s);
        }
        if (_savedLen > 0) StartDropTimer(_slotDrop[0] - now);
    }

    // ---- drop timer ----------------------------------------------------------------------------

    /// <summary>hrtimer_start: (re)arms the one drop timer.</summary>
    void StartDropTimer(long delay)
    {
        _ctx.Sim.Cancel(_dropTimer);
        _dropTimer = _ctx.Sim.ScheduleTimer(_ctx.Sim.Now + Math.Max(0, delay), _id, 0);
    }

    public void OnEvent(int kind, int arg, long data)
    {
        // iptfs_drop_timer: discard any in-progress inner packet, then drop what is due from the window.
        if (_raInner >= 0)
        {
            int inner = _raInner;
            _raInner = -1;
            ReassemblyTimeouts++;
            if (_ledger.Release(inner, timedOut: true)) DropInner(inner);
        }
        if (_savedLen > 0) ReorderDrop();
        ProcessReady();
    }

    // ---- in-order processing -------------------------------------------------------------------

    /// <summary>An outer sequence number that will not be processed: every inner packet with a piece in it is lost.</summary>
    void Missing(long seq)
    {
        if (!_ledger.Has(seq) || _ledger.Record(seq).Resolved) return;
        ref var r = ref _ledger.Record(seq);
        OuterLost++;
        for (int i = 0; i < r.SegCount; i++)
        {
            int inner = _ledger.Segment(r, i).Inner;
            if (_ledger.SettlePiece(inner, lost: true)) DropInner(inner);
        }
        _losses.Lost(seq, r.SentAt, _sender.Rtt);
        _ledger.Resolve(seq);
        MaybeSendFeedback();
    }

    /// <summary><c>iptfs_input_ordered</c>: the AGGFRAG payload of the next in-order outer packet.</summary>
    void InputOrdered(int packet)
    {
        long seq = _ctx.Packets[packet].Seq;
        _ctx.Packets.Free(packet);
        if (!_ledger.Has(seq) || _ledger.Record(seq).Resolved) return;
        ref var r = ref _ledger.Record(seq);
        int i = 0;
        if (r.BlockOffset > 0 || _raRunt > 0 || _raInner >= 0) i = ReassemCont(seq, ref r);
        ProcessPayload(seq, ref r, i);
        _losses.Seen(seq);
        _lastTvalSentAt = r.SentAt;
        _lastTvalArrival = _ctx.Sim.Now;
        _ledger.Resolve(seq);
        MaybeSendFeedback();
    }

    /// <summary><c>iptfs_reassem_cont</c>; returns the first segment of the payload not consumed.</summary>
    int ReassemCont(long seq, ref OuterRecord r)
    {
        int blkoff = r.BlockOffset;
        int remaining = r.DataBytes + r.PadBytes;
        bool cont = blkoff > 0 && r.SegCount > 0 && _ledger.Segment(r, 0).Offset > 0;
        if (_raRunt == 0 && _raInner < 0) return cont ? Skip(ref r, 0) : 0;
        if (seq < _raWantSeq) return SkipAll(ref r, 0);
        if (seq > _raWantSeq)
        {
            XfrmInIptfsError++;
            Abandon();
            return cont ? Skip(ref r, 0) : 0;
        }
        if (blkoff == 0)
        {
            // The kernel tests the first octet of skb->data, which is the AGGFRAG header's sub-type (0 or 1),
            // not the first data block: so any payload with BlockOffset 0 counts as all-pad (RFC 9347 section
            // 2.2.3) and is skipped whole while a reassembly waits.
            _raWantSeq++;
            return SkipAll(ref r, 0);
        }
        ref var seg = ref _ledger.Segment(r, 0);
        if (_raRunt > 0)
        {
            int rrem = 6 - _raRunt;
            if (remaining < rrem || blkoff < rrem || seg.Inner != _raRuntInner)
            {
                XfrmInIptfsError++;
                Abandon();
                return cont ? Skip(ref r, 0) : 0;
            }
            _raInner = _raRuntInner;
            _raHave = _raRunt;
            _raRunt = 0;
            _raRuntInner = -1;
        }
        int ipremain = seg.InnerLength - _raHave;
        if (blkoff < ipremain || seg.Inner != _raInner)
        {
            XfrmInIptfsError++;
            Abandon();
            return cont ? Skip(ref r, 0) : 0;
        }
        int fraglen = Math.Min(blkoff, remaining);
        int copylen = Math.Min(fraglen, ipremain);
        _raHave += copylen;
        int inner = _raInner;
        if (copylen < ipremain)
        {
            _raWantSeq++;
            _ledger.SettlePiece(inner, lost: false);
            return 1;
        }
        // iptfs_reassem_done: cancels the drop timer, whatever else it was timing.
        _ctx.Sim.Cancel(_dropTimer);
        _raInner = -1;
        Deliver(inner);
        return 1;
    }

    /// <summary><c>__input_process_payload</c>: new data blocks from segment <paramref name="i"/> on.</summary>
    void ProcessPayload(long seq, ref OuterRecord r, int i)
    {
        int remaining = r.PadBytes;
        for (int k = i; k < r.SegCount; k++) remaining += _ledger.Segment(r, k).Length;
        for (; i < r.SegCount; i++)
        {
            ref var seg = ref _ledger.Segment(r, i);
            int inner = seg.Inner;
            if (seg.Length < seg.InnerLength)
            {
                if (_raInner >= 0 || _raRunt > 0) Abandon();
                _raWantSeq = seq + 1;
                _ledger.Hold(inner);
                _ledger.SettlePiece(inner, lost: false);
                if (remaining < _lengthFieldEnd)
                {
                    // iptfs_input_save_runt: too short to read the length; no timer is started.
                    _raRunt = remaining;
                    _raRuntInner = inner;
                }
                else
                {
                    _raInner = inner;
                    _raHave = seg.Length;
                    if (!_ctx.Sim.IsPending(_dropTimer)) StartDropTimer(Config.DropTime);
                }
                return;
            }
            remaining -= seg.Length;
            Deliver(inner);
        }
    }

    /// <summary>The abandon path of <c>iptfs_reassem_cont</c>: an in-progress packet is aborted (cancelling the drop timer); a runt is forgotten.</summary>
    void Abandon()
    {
        int inner = _raInner >= 0 ? _raInner : _raRuntInner;
        if (_raInner >= 0) _ctx.Sim.Cancel(_dropTimer);
        else _raWantSeq = 0;
        _raInner = -1;
        _raRunt = 0;
        _raRuntInner = -1;
        if (inner >= 0 && _ledger.Release(inner, timedOut: false)) DropInner(inner);
    }

    int Skip(ref OuterRecord r, int i)
    {
        int inner = _ledger.Segment(r, i).Inner;
        if (_ledger.SettlePiece(inner, lost: false)) DropInner(inner);
        return i + 1;
    }

    int SkipAll(ref OuterRecord r, int i)
    {
        while (i < r.SegCount) i = Skip(ref r, i);
        return i;
    }

    void Deliver(int inner)
    {
        _ledger.MarkDelivered(inner);
        _ledger.SettlePiece(inner, lost: false);
        InnerDelivered++;
        Next.Receive(inner);
    }

    void DropInner(int inner)
    {
        InnerLost++;
        int reason = _ledger.LostWithOuter(inner) ? _dropLost : _ledger.TimedOut(inner) ? _dropTimeout : _dropError;
        _ctx.Drop(inner, reason);
    }

    // ---- congestion information ----------------------------------------------------------------

    /// <summary>
    /// The receiver's congestion header rides its own SA's packets, one every reverse_interval (RFC 9347
    /// section 3); it goes out at least once per RTT, and with every packet before the RTT is known.
    /// </summary>
    void MaybeSendFeedback()
    {
        if (_sender.Config.Mode != IpTfsSendMode.CongestionControlled || _lastTvalSentAt < 0) return;
        long now = _ctx.Sim.Now;
        long every = Math.Max(_sender.Config.ReverseInterval, _sender.Rtt);
        if (_lastFeedback != long.MinValue && now - _lastFeedback < every) return;
        _lastFeedback = now;
        _sender.SendFeedback(new IpTfsSender.Feedback(_losses.LossEventRateField(), _lastTvalSentAt, now - _lastTvalArrival, _sender.Config.ReverseInterval));
    }
}
