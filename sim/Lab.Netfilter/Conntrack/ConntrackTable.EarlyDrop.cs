namespace Lab.Netfilter.Conntrack;

public sealed partial class ConntrackTable
{
    /// <summary>NF_CT_EVICTION_RANGE: early_drop looks at this many consecutive buckets.</summary>
    public const int EvictionRange = 8;

    /// <summary>
    /// early_drop: starting at the new tuple's bucket, walk up to 8 consecutive buckets; in the first
    /// bucket that holds any, kill every confirmed entry that is neither assured nor offloaded (so one
    /// call can evict several), count them in <c>early_drop</c> and succeed. Expired entries met on the
    /// way are freed but do not count as drops: the kernel still reports failure then.
    /// </summary>
    bool EarlyDrop(uint hash, long now)
    {
        int bucket = 0;
        for (int i = 0; i < EvictionRange; i++)
        {
            bucket = i == 0 ? TupleHash.Scale(hash, _heads.Length) : (bucket + 1) % _heads.Length;
            int drops = 0;
            for (int node = _heads[bucket]; node >= 0; node = _next[node])
            {
                if (_prev[node] == Unlinked) continue;
                int id = node >> 1;
                ref var e = ref _e[id];
                if (e.Is(ConntrackStatus.Offload)) continue;
                if (Expired(e, now))
                {
                    GcExpired(id);
                    Stats.LabExpiredOnLookup++;
                    continue;
                }
                if (e.Is(ConntrackStatus.Assured) || e.Is(ConntrackStatus.Dying)) continue;
                if (e.Is(ConntrackStatus.Confirmed) && Kill(id)) drops++;
            }
            if (drops > 0)
            {
                Stats.early_drop += drops;
                return true;
            }
        }
        return false;
    }

    // ---- NAT bysource index (nf_nat_bysource, hash_by_src: source address, port and protocol) ----

    int BySrcBucket(in FlowTuple orig) =>
        TupleHash.Scale(TupleHash.Hash(orig with { DstIp = default, DstPort = 0 }, _hashKey ^ 0x5A5A), _bySrcHeads.Length);

    /// <summary>nf_nat_setup_info for a source manip: hook the entry into the bysource hash.</summary>
    internal void BySrcInsert(int id)
    {
        ref var e = ref _e[id];
        if (e.BySrcBucket >= 0) return;
        int b = BySrcBucket(e.Orig);
        e.BySrcBucket = b;
        e.BySrcPrev = -1;
        e.BySrcNext = _bySrcHeads[b];
        if (e.BySrcNext >= 0) _e[e.BySrcNext].BySrcPrev = id;
        _bySrcHeads[b] = id;
    }

    void BySrcRemove(int id)
    {
        ref var e = ref _e[id];
        if (e.BySrcPrev >= 0) _e[e.BySrcPrev].BySrcNext = e.BySrcNext;
        else _bySrcHeads[e.BySrcBucket] = e.BySrcNext;
        if (e.BySrcNext >= 0) _e[e.BySrcNext].BySrcPrev = e.BySrcPrev;
        e.BySrcBucket = e.BySrcNext = e.BySrcPrev = -1;
    }

    /// <summary>
    /// find_appropriate_src: an existing source mapping of the same source address, port and protocol
    /// whose translated source lies in [<paramref name="minIp"/>, <paramref name="maxIp"/>] (and in the
    /// port range when one is given). <paramref name="result"/> is the original tuple with that source.
    /// </summary>
    internal bool FindAppropriateSrc(in FlowTuple orig, InetAddr minIp, InetAddr maxIp, int minPort, int maxPort, out FlowTuple result)
    {
        for (int id = _bySrcHeads[BySrcBucket(orig)]; id >= 0; id = _e[id].BySrcNext)
        {
            ref readonly var e = ref _e[id];
            // same_src: protocol, source address and port (the address compare is nf_inet_addr_cmp over l3num's bytes)
            if (e.Orig.Proto != orig.Proto || e.Orig.Family != orig.Family || e.Orig.SrcIp != orig.SrcIp || e.Orig.SrcPort != orig.SrcPort) continue;
            // Copy the source part from the reply tuple.
            var mapped = orig.WithSource(e.Reply.DstIp, e.Reply.DstPort);
            if (mapped.SrcIp >= minIp && mapped.SrcIp <= maxIp && mapped.SrcPort >= minPort && mapped.SrcPort <= maxPort)
            {
                result = mapped;
                return true;
            }
        }
        result = default;
        return false;
    }
}
