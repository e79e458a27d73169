namespace Lab.Esp.Sa;

/// <summary>
/// What xfrm_input stores in XFRM_SKB_CB(skb)->seq.input between the replay check and the resume
/// after decryption: the low half from the wire and the high half it inferred
/// (xfrm_replay_seqhi) and fed into the ICV. A simulator stage carries it with the packet while
/// the (possibly asynchronous) crypto runs.
/// </summary>
public readonly record struct EspInputTicket(uint SeqLo, uint SeqHi)
{
    /// <summary>The 64-bit sequence number the receiver authenticates the packet with.</summary>
    public ulong Seq64 => ((ulong)SeqHi << 32) | SeqLo;

    /// <summary>
    /// Whether the ICV computed with this ticket matches the one the sender computed for
    /// <paramref name="senderSeq"/>: the AAD holds SPI and the low half; with ESN also the high half
    /// (RFC 4303 section 2.2.1, appendix A; RFC 4106 section 5). A wrong seq_hi guess therefore fails
    /// the ICV. <paramref name="payloadIntact"/> false models a corrupted or forged packet.
    /// </summary>
    public bool IcvMatches(ulong senderSeq, bool esn, bool payloadIntact = true) =>
        payloadIntact && (uint)senderSeq == SeqLo && (!esn || (uint)(senderSeq >> 32) == SeqHi);
}
