namespace Lab.Esp.Replay;

/// <summary>
/// Outbound sequence numbers: the xfrm_replay_overflow* functions of net/xfrm/xfrm_replay.c
/// (Linux v6.12). The first packet of an SA carries 1 (oseq starts at 0 and is pre-incremented).
/// </summary>
public partial struct XfrmReplay
{
    /// <summary>
    /// One packet through the software path: __xfrm_replay_overflow (legacy),
    /// xfrm_replay_overflow_bmp, xfrm_replay_overflow_esn. A 32-bit counter that would wrap to 0
    /// stops the SA with -EOVERFLOW and stays at 0xffffffff, unless XFRM_SA_XFLAG_OSEQ_MAY_WRAP is
    /// set: then the packet goes out carrying sequence number 0 (which every receiver drops).
    /// ESN carries into oseq_hi and only fails when all 64 bits are used; MAY_WRAP does not apply.
    /// Returns the 64-bit number the packet carries (the high half only enters the ICV).
    /// </summary>
    public DropReason Overflow(bool oseqMayWrap, out ulong seq)
    {
        if (Mode == XfrmReplayMode.Esn)
        {
            uint lo = unchecked(++Oseq);
            uint hi = OseqHi;
            if (lo == 0)
            {
                hi = unchecked(++OseqHi);
                if (OseqHi == 0)
                {
                    unchecked { Oseq--; OseqHi--; }
                    seq = 0;
                    return DropReason.OutSequenceOverflow;
                }
            }
            seq = ((ulong)hi << 32) | lo;
            return DropReason.None;
        }

        uint low = unchecked(++Oseq);
        if (low == 0 && !oseqMayWrap)
        {
            unchecked { Oseq--; }
            seq = 0;
            return DropReason.OutSequenceOverflow;
        }
        seq = low;
        return DropReason.None;
    }

    /// <summary>
    /// A GSO/bulked skb of <paramref name="segments"/> segments through the crypto-offload path
    /// (xfrm_replay_overflow_offload, _offload_bmp, _offload_esn, CONFIG_XFRM_OFFLOAD): the first
    /// segment gets oseq + 1 and the counter advances by the segment count in one step; if the
    /// 32-bit counter would wrap the whole skb is refused (unless MAY_WRAP) and the state is left
    /// as it was. ESN carries into oseq_hi; on exhausting 64 bits the kernel decrements both
    /// halves of the stored state (a quirk reproduced here: oseq - 1, oseq_hi unchanged).
    /// </summary>
    public DropReason OverflowOffload(int segments, bool oseqMayWrap, out ulong firstSeq)
    {
        if (segments < 1) throw new ArgumentOutOfRangeException(nameof(segments), "at least one segment");
        uint oseq = Oseq;
        uint first = unchecked(oseq + 1);
        oseq = unchecked(oseq + (uint)segments);

        if (Mode == XfrmReplayMode.Esn)
        {
            uint oseqHi = OseqHi;
            uint hi = oseqHi;
            if (oseq < Oseq)
            {
                OseqHi = unchecked(++oseqHi);
                if (first < Oseq) hi = oseqHi;
                if (OseqHi == 0)
                {
                    unchecked { Oseq--; OseqHi--; }
                    firstSeq = 0;
                    return DropReason.OutSequenceOverflow;
                }
            }
            Oseq = oseq;
            firstSeq = ((ulong)hi << 32) | first;
            return DropReason.None;
        }

        if (oseq < Oseq && !oseqMayWrap)
        {
            firstSeq = 0;
            return DropReason.OutSequenceOverflow;
        }
        Oseq = oseq;
        firstSeq = first;
        return DropReason.None;
    }
}
