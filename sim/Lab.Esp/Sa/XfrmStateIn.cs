using Lab.Esp.Replay;
using Lab.Esp.Wire;

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

    public XfrmStateIn(XfrmId id, XfrmMode mode, EspEncap encap, XfrmReplay replay, IpFamily family = IpFamily.Ipv4)
    {
        Id = id;
        Mode = mode;
        Encap = encap;
        Replay = replay;
        Family = family;
    }

    public XfrmId Id { get; }

    public XfrmMode Mode { get; }

    /// <summary>x->props.family: the outer header's family (in transport mode the packet's only IP header).</summary>
    public IpFamily Family { get; }

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
    /// skb->len when xfrm_input adds it to x->curlft.bytes (net/xfrm/xfrm_input.c, xfrm_input, after
    /// xfrm_replay_advance; the same in 6.1 and 6.12), for a decrypted packet of
    /// <paramref name="ipPacketBytes"/> (the IP packet the sender protected: in tunnel mode the inner
    /// packet, in transport mode the packet with its own IP header). esp_input_done2 (esp4.c, esp6.c)
    /// has pulled the ESP header and IV and trimmed padding, trailer and ICV, so in tunnel mode skb->len
    /// is the whole inner packet. In transport mode the IP header was pulled before the ESP handler ran
    /// (ip_local_deliver_finish's __skb_pull of ip_hdrlen before xfrm4_rcv; ip6_protocol_deliver_rcu
    /// pulls the IPv6 header before xfrm6_rcv) and xfrm4_transport_input / xfrm6_transport_input put it
    /// back only after the count, so the count is the transport payload: 20 bytes less for IPv4 without
    /// options, 40 less for IPv6 without extension headers. BEET is counted as tunnel: not checked
    /// against a kernel (lab validate builds no BEET frames).
    /// </summary>
    public int CountedBytes(int ipPacketBytes) => Mode == XfrmMode.Transport
        ? Math.Max(0, ipPacketBytes - EspSaGeometry.IpHeaderBytes(Family))
        : ipPacketBytes;

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
