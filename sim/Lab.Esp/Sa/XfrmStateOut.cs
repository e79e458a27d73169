using Lab.Esp.Replay;

namespace Lab.Esp.Sa;

/// <summary>
/// An outbound ESP SA: the sequence-number part of xfrm_output_one (net/xfrm/xfrm_output.c,
/// Linux v6.12), which calls xfrm_replay_overflow under the SA lock and counts a failure in
/// XfrmOutStateSeqError. Allocation-free per packet.
/// </summary>
public sealed class XfrmStateOut
{
    /// <summary>Replay state (only oseq/oseq_hi are used outbound).</summary>
    public XfrmReplay Replay;

    public XfrmStateOut(XfrmId id, XfrmMode mode, EspEncap encap, XfrmReplay replay, bool oseqMayWrap = false)
    {
        Id = id;
        Mode = mode;
        Encap = encap;
        Replay = replay;
        OseqMayWrap = oseqMayWrap;
    }

    public XfrmId Id { get; }

    public XfrmMode Mode { get; }

    public EspEncap Encap { get; }

    /// <summary>XFRM_SA_XFLAG_OSEQ_MAY_WRAP in x->props.extra_flags.</summary>
    public bool OseqMayWrap { get; }

    public bool Esn => Replay.Mode == XfrmReplayMode.Esn;

    /// <summary>x->curlft.packets (segments for GSO through the software path).</summary>
    public ulong CurlftPackets { get; private set; }

    /// <summary>
    /// One packet, or a GSO/bulked batch of <paramref name="segments"/>. Software crypto
    /// (<paramref name="cryptoOffload"/> false): xfrm_output_gso segments first and each segment
    /// takes its own number; on the first overflow the remaining segments are freed
    /// (kfree_skb_list), so <paramref name="sent"/> may be less than the batch. Crypto offload:
    /// the counter advances by the segment count at once and an overflow refuses the whole batch.
    /// <paramref name="firstSeq"/> is the 64-bit number of the first segment sent; the others
    /// follow consecutively.
    /// </summary>
    public DropReason Output(int segments, bool cryptoOffload, XfrmMib mib, out ulong firstSeq, out int sent)
    {
        if (segments < 1) throw new ArgumentOutOfRangeException(nameof(segments), "at least one segment");
        firstSeq = 0;
        sent = 0;
        if (cryptoOffload)
        {
            var r = Replay.OverflowOffload(segments, OseqMayWrap, out firstSeq);
            if (r != DropReason.None)
            {
                mib.XfrmOutStateSeqError++;
                return r;
            }
            sent = segments;
            CurlftPackets++;
            return DropReason.None;
        }

        for (int i = 0; i < segments; i++)
        {
            var r = Replay.Overflow(OseqMayWrap, out var seq);
            if (r != DropReason.None)
            {
                mib.XfrmOutStateSeqError++;
                return r;
            }
            if (i == 0) firstSeq = seq;
            sent++;
            CurlftPackets++;
        }
        return DropReason.None;
    }
}
