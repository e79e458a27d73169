namespace Lab.Esp.IpTfs;

/// <summary>One data block (or the piece of one) in an outer packet: bytes [Offset, Offset + Length) of an inner packet.</summary>
public struct AggfragSegment
{
    /// <summary>The inner packet's index in the packet pool.</summary>
    public int Inner;
    public int Offset;
    public int Length;
    /// <summary>The inner packet's IP length (what its IPv4 Total Length / IPv6 Payload Length + 40 say).</summary>
    public int InnerLength;
}

/// <summary>What one outer ESP packet (by sequence number) carries: its AGGFRAG header's BlockOffset and its data blocks.</summary>
public struct OuterRecord
{
    public long Seq;
    public long SentAt;
    public long SegStart;
    public int SegCount;
    public int BlockOffset;
    public int DataBytes;
    public int PadBytes;
    public bool Resolved;
}

/// <summary>
/// The payload of every outer packet of one IP-TFS SA in flight, keyed by ESP sequence number, and the
/// fate of every inner packet inside the tunnel. The simulated outer packet is a pooled
/// <c>Packet</c> carrying only its sequence number and size; what its encrypted payload holds lives
/// here, written by the sender and read by the receiver, which resolves each sequence number once
/// (processed, or given up as lost). Records and segments sit in ring buffers that grow by doubling
/// and are reused in sequence order, so steady state allocates nothing.
/// </summary>
public sealed class IpTfsLedger
{
    [Flags]
    enum Fate : byte
    {
        None = 0,
        /// <summary>The sender has placed the packet's last byte in an outer packet.</summary>
        Complete = 1,
        /// <summary>The receiver holds it as the in-progress reassembly (ra_newskb).</summary>
        Held = 2,
        Delivered = 4,
        /// <summary>A piece of it was in an outer packet that never arrived (or arrived too late).</summary>
        LostPiece = 8,
        /// <summary>The drop timer discarded its in-progress reassembly.</summary>
        TimedOut = 16,
    }

    OuterRecord[] _records = new OuterRecord[256];
    AggfragSegment[] _segments = new AggfragSegment[4096];
    long _firstSeq = 1, _nextSeq = 1;
    long _segHead, _segTail;
    int[] _pieces = new int[4096];
    Fate[] _fate = new Fate[4096];

    /// <summary>The sequence number the next outer packet gets (ESP starts at 1).</summary>
    public long NextSeq => _nextSeq;

    /// <summary>Outer packets recorded and not yet resolved (or resolved behind an unresolved one).</summary>
    public long InFlight => _nextSeq - _firstSeq;

    public bool Has(long seq) => seq >= _firstSeq && seq < _nextSeq;

    public ref OuterRecord Record(long seq) => ref _records[seq & (_records.Length - 1)];

    public ref AggfragSegment Segment(in OuterRecord r, int i) => ref _segments[(r.SegStart + i) & (_segments.Length - 1)];

    /// <summary>Starts the record of the next outer packet; returns its sequence number.</summary>
    public long Begin(long sentAt, int blockOffset)
    {
        if (_nextSeq - _firstSeq == _records.Length) GrowRecords();
        long seq = _nextSeq++;
        ref var r = ref Record(seq);
        r = new OuterRecord { Seq = seq, SentAt = sentAt, SegStart = _segTail, BlockOffset = blockOffset };
        return seq;
    }

    /// <summary>Adds a piece of <paramref name="inner"/> to the outer packet begun last; <paramref name="last"/> when it holds the packet's final byte.</summary>
    public void Add(long seq, int inner, int offset, int length, int innerLength, bool last)
    {
        if (_segTail - _segHead == _segments.Length) GrowSegments();
        ref var r = ref Record(seq);
        _segments[_segTail & (_segments.Length - 1)] = new AggfragSegment { Inner = inner, Offset = offset, Length = length, InnerLength = innerLength };
        _segTail++;
        r.SegCount++;
        r.DataBytes += length;
        EnsureInner(inner);
        if (offset == 0)
        {
            _pieces[inner] = 0;
            _fate[inner] = Fate.None;
        }
        _pieces[inner]++;
        if (last) _fate[inner] |= Fate.Complete;
    }

    public void End(long seq, int padBytes) => Record(seq).PadBytes = padBytes;

    /// <summary>Marks a sequence number done; frees records (and their segments) in sequence order.</summary>
    public void Resolve(long seq)
    {
        if (!Has(seq)) return;
        Record(seq).Resolved = true;
        while (_firstSeq < _nextSeq)
        {
            ref var head = ref Record(_firstSeq);
            if (!head.Resolved) break;
            _segHead = head.SegStart + head.SegCount;
            _firstSeq++;
        }
    }

    /// <summary>The oldest sequence number not yet freed.</summary>
    public long FirstSeq => _firstSeq;

    /// <summary>
    /// One piece of <paramref name="inner"/> is settled (its outer packet processed, or lost when
    /// <paramref name="lost"/>). True when the inner packet is now beyond delivery and must be dropped.
    /// </summary>
    public bool SettlePiece(int inner, bool lost)
    {
        _pieces[inner]--;
        if (lost) _fate[inner] |= Fate.LostPiece;
        return Droppable(inner);
    }

    public void Hold(int inner) => _fate[inner] |= Fate.Held;

    /// <summary>The receiver lets go of its in-progress packet; true when it must now be dropped.</summary>
    public bool Release(int inner, bool timedOut)
    {
        _fate[inner] &= ~Fate.Held;
        if (timedOut) _fate[inner] |= Fate.TimedOut;
        return Droppable(inner);
    }

    public void MarkDelivered(int inner) => _fate[inner] = (_fate[inner] & ~Fate.Held) | Fate.Delivered;

    public bool LostWithOuter(int inner) => (_fate[inner] & Fate.LostPiece) != 0;

    public bool TimedOut(int inner) => (_fate[inner] & Fate.TimedOut) != 0;

    bool Droppable(int inner) => _pieces[inner] == 0 && (_fate[inner] & (Fate.Complete | Fate.Held | Fate.Delivered)) == Fate.Complete;

    void EnsureInner(int inner)
    {
        if (inner < _pieces.Length) return;
        int n = _pieces.Length;
        while (n <= inner) n *= 2;
        Array.Resize(ref _pieces, n);
        Array.Resize(ref _fate, n);
    }

    void GrowRecords()
    {
        var bigger = new OuterRecord[_records.Length * 2];
        for (long s = _firstSeq; s < _nextSeq; s++) bigger[s & (bigger.Length - 1)] = _records[s & (_records.Length - 1)];
        _records = bigger;
    }

    void GrowSegments()
    {
        var bigger = new AggfragSegment[_segments.Length * 2];
        for (long i = _segHead; i < _segTail; i++) bigger[i & (bigger.Length - 1)] = _segments[i & (_segments.Length - 1)];
        _segments = bigger;
    }
}
