using Lab.Esp.Replay;

namespace Lab.Esp.Sa;

/// <summary>
/// An inbound ESP SA (struct xfrm_state with dir in) and the steps xfrm_input
/// (net/xfrm/xfrm_input.c, Linux v6.12) runs on it per packet, split where the kernel drops the
/// SA lock around the crypto:
/// <list type="number">
/// <item><see cref="InputBegin"/>: encapsulation check (XfrmInStateMismatch), replay check
/// (XfrmInStateSeqError), then xfrm_replay_seqhi; returns the ticket the packet carries.</item>
/// <item>the crypto (esp_input): the caller decides whether the ICV verified, usually with
/// <see cref="EspInputTicket.IcvMatches"/>; it may complete later and out of order (cryptd, pcrypt).</item>
/// <item><see cref="InputResume"/>: ICV failure counts integrity_failed and XfrmInStateProtoError;
/// otherwise recheck (XfrmInStateSeqError) and advance, then the lifetime counters.</item>
/// </list>
/// A simulator stage keeps SAs in an array and calls these two methods per packet; they allocate
/// nothing. Not thread-safe (one SA = one lock in the kernel; the simulator serialises).
/// </summary>
public sealed class XfrmStateIn
{
    /// <summary>Replay state; a field so that the struct's methods update it in place.</summary>
    public XfrmReplay Replay;

    /// <summary>Per-SA counters as <c>ip -s xfrm state</c> shows them.</summary>
    public XfrmStateStats Stats;

    public XfrmStateIn(XfrmId id, XfrmMode mode, EspEncap encap, XfrmReplay replay)
    {
        Id = id;
        Mode = mode;
        Encap = encap;
        Replay = replay;
    }

    public XfrmId Id { get; }

    public XfrmMode Mode { get; }

    public EspEncap Encap { get; }

    /// <summary>XFRM_STATE_ESN: the high half enters the ICV.</summary>
    public bool Esn => Replay.Mode == XfrmReplayMode.Esn;

    /// <summary>x->curlft.packets: packets that passed recheck.</summary>
    public ulong CurlftPackets { get; private set; }

    /// <summary>x->curlft.bytes.</summary>
    public ulong CurlftBytes { get; private set; }

    /// <summary>
    /// xfrm_input up to type->input: encap check, xfrm_replay_check, xfrm_replay_seqhi.
    /// Returns <see cref="DropReason.None"/> and the ticket to go on to decryption.
    /// </summary>
    public DropReason InputBegin(uint seqLo, EspEncap packetEncap, XfrmMib mib, out EspInputTicket ticket)
    {
        ticket = default;
        if (packetEncap != Encap)
        {
            mib.XfrmInStateMismatch++;
            return DropReason.StateMismatch;
        }
        var reason = Replay.Check(seqLo, ref Stats);
        if (reason != DropReason.None)
        {
            mib.XfrmInStateSeqError++;
            return reason;
        }
        ticket = new EspInputTicket(seqLo, Replay.InferSeqHi(seqLo));
        return DropReason.None;
    }

    /// <summary>
    /// xfrm_input from the resume label: integrity result, xfrm_replay_recheck, xfrm_replay_advance,
    /// curlft. <paramref name="icvVerified"/> false is esp_input's -EBADMSG.
    /// </summary>
    public DropReason InputResume(in EspInputTicket ticket, bool icvVerified, int bytes, XfrmMib mib)
    {
        if (!icvVerified)
        {
            Stats.IntegrityFailed++;
            mib.XfrmInStateProtoError++;
            return DropReason.IntegrityFailed;
        }
        var reason = Replay.Recheck(ticket.SeqLo, ticket.SeqHi, ref Stats);
        if (reason != DropReason.None)
        {
            mib.XfrmInStateSeqError++;
            return reason;
        }
        Replay.Advance(ticket.SeqLo);
        CurlftBytes += (ulong)bytes;
        CurlftPackets++;
        return DropReason.None;
    }

    /// <summary>
    /// The whole inbound step with synchronous crypto: the sender used <paramref name="senderSeq"/>
    /// (64 bits; only the low half travels), the ICV verifies iff the receiver's inferred number
    /// equals it (and <paramref name="payloadIntact"/>).
    /// </summary>
    public DropReason Input(ulong senderSeq, XfrmMib mib, int bytes = 0, bool payloadIntact = true)
    {
        var reason = InputBegin((uint)senderSeq, Encap, mib, out var ticket);
        if (reason != DropReason.None) return reason;
        return InputResume(ticket, ticket.IcvMatches(senderSeq, Esn, payloadIntact), bytes, mib);
    }
}
