namespace Lab.Netfilter.Conntrack;

/// <summary>
/// ct->status bits (enum ip_conntrack_status, include/uapi/linux/netfilter/nf_conntrack_common.h);
/// the values are the kernel's bit positions. IPS_NAT_CLASH shares its bit with IPS_UNTRACKED.
/// </summary>
[Flags]
public enum ConntrackStatus : ushort
{
    None = 0,
    Expected = 1 << 0,
    SeenReply = 1 << 1,
    Assured = 1 << 2,
    Confirmed = 1 << 3,
    SrcNat = 1 << 4,
    DstNat = 1 << 5,
    SeqAdjust = 1 << 6,
    SrcNatDone = 1 << 7,
    DstNatDone = 1 << 8,
    Dying = 1 << 9,
    FixedTimeout = 1 << 10,
    Template = 1 << 11,
    NatClash = 1 << 12,
    Helper = 1 << 13,
    Offload = 1 << 14,
    HwOffload = 1 << 15,
    NatDoneMask = SrcNatDone | DstNatDone,
}

/// <summary>enum ip_conntrack_dir.</summary>
public enum CtDir : byte
{
    Original = 0,
    Reply = 1,
}

/// <summary>TCP header flags as get_conntrack_index reads them.</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 1,
    Syn = 2,
    Rst = 4,
    Ack = 16,
    SynAck = Syn | Ack,
    FinAck = Fin | Ack,
    RstAck = Rst | Ack,
}

/// <summary>
/// What nf_conntrack_in does with a packet after the protocol tracker looked at it
/// (the sign convention of nf_conntrack_handle_packet's return value).
/// </summary>
public enum CtVerdict : byte
{
    /// <summary>NF_ACCEPT: tracked.</summary>
    Accept,
    /// <summary>-NF_ACCEPT: not a valid part of the connection; the packet continues untracked and counts in <c>invalid</c>.</summary>
    Invalid,
    /// <summary>-NF_REPEAT: TCP reopen of a closed connection; the entry was killed, look up again and create a fresh one.</summary>
    Repeat,
    /// <summary>NF_DROP.</summary>
    Drop,
}

/// <summary>Why the conntrack or NAT layer dropped a packet. Each maps to kernel counters (see <see cref="ConntrackStats"/>).</summary>
public enum CtDropReason : byte
{
    None,
    /// <summary>__nf_conntrack_alloc: count above nf_conntrack_max and early_drop found nothing to evict ("nf_conntrack: table full, dropping packet"); counts <c>drop</c>.</summary>
    TableFull,
    /// <summary>__nf_conntrack_confirm: the tuple clashes with a confirmed entry and the clash cannot be resolved; counts <c>insert_failed</c> and <c>drop</c>. With NAT this is what port exhaustion looks like.</summary>
    InsertClash,
    /// <summary>__nf_conntrack_confirm: a hash chain is longer than the random limit (5.15+); counts <c>chaintoolong</c>, <c>insert_failed</c>.</summary>
    ChainTooLong,
    /// <summary>The protocol tracker returned NF_DROP (TCP reopen race); counts <c>invalid</c> and <c>drop</c>.</summary>
    ProtocolDrop,
    /// <summary>
    /// Not a conntrack drop: routing after PREROUTING found no route for a packet still addressed to the NAT's public
    /// address (no entry de-NATed it). ip_route_input_slow (net/ipv4/route.c, 6.18) gives it RTN_UNREACHABLE and
    /// ip_error frees it with SKB_DROP_REASON_IP_INNOROUTES, counting IpExt InNoRoutes; no conntrack counter moves, and
    /// an entry it created is never confirmed.
    /// </summary>
    NoRoute,
}
