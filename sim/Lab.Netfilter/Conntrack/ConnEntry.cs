namespace Lab.Netfilter.Conntrack;

/// <summary>
/// One struct nf_conn, reduced to what the model uses. Lives in a pooled array; identified by index.
/// Each entry owns two hash nodes (2 x index for the original tuple, 2 x index + 1 for the reply
/// tuple), as ct->tuplehash[IP_CT_DIR_ORIGINAL / REPLY] are two hlist_nulls nodes.
/// </summary>
public struct ConnEntry
{
    public FlowTuple Orig;
    public FlowTuple Reply;

    /// <summary>ct->timeout: absolute expiry in ps once confirmed, a relative duration before (as in the kernel).</summary>
    public long Timeout;

    /// <summary>ct->proto.udp.stream_ts: creation time + 2 s.</summary>
    public long StreamTs;

    public long CreatedAt;

    public ConntrackStatus Status;
    public TcpState TcpState;
    public byte TcpLastIndex;
    public CtDir TcpLastDir;

    /// <summary>IP_CT_TCP_FLAG_CLOSE_INIT seen in either direction.</summary>
    public bool TcpCloseInit;

    public bool InUse;

    /// <summary>A flowtable entry holds a reference (flow_offload_alloc's refcount_inc): freeing waits for its release.</summary>
    internal bool HeldByFlow;

    // NAT bysource chain (nf_nat_bysource), doubly linked by entry index; -1 ends.
    internal int BySrcNext;
    internal int BySrcPrev;
    internal int BySrcBucket;

    internal int NextFree;

    public readonly bool Is(ConntrackStatus s) => (Status & s) == s;
}
