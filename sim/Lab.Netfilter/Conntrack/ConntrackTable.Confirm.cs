using Lab.Core;

namespace Lab.Netfilter.Conntrack;

public sealed partial class ConntrackTable
{
    /// <summary>
    /// __nf_conntrack_confirm: insert an unconfirmed entry under both tuples. A clash with a confirmed
    /// entry goes to nf_ct_resolve_clash (UDP only: allow_clash); what cannot be resolved is dropped,
    /// counting <c>insert_failed</c> and <c>drop</c>. <paramref name="ctId"/> is the entry the packet
    /// ends up attached to (the winner when the clash was resolved by merging). The timeout, relative
    /// until now, becomes absolute ("timer relative to confirmation time").
    /// </summary>
    public CtVerdict Confirm(int id, long now, out int ctId, out CtDropReason reason)
    {
        ref var e = ref _e[id];
        ctId = id;
        reason = CtDropReason.None;
        if (e.Is(ConntrackStatus.Confirmed)) return CtVerdict.Accept;

        int hash = TupleHash.Scale(Hash(e.Orig), _heads.Length);
        int replyHash = TupleHash.Scale(Hash(e.Reply), _heads.Length);
        var (min, range) = Config.ChainLimit;
        int maxChain = min + (int)_random.NextBelow((ulong)range);

        int chain = 0;
        for (int node = _heads[hash]; node >= 0; node = _next[node])
        {
            if (NodeTuple(node) == e.Orig && _e[node >> 1].Is(ConntrackStatus.Confirmed))
                return ResolveClash(id, node >> 1, replyHash, now, out ctId, out reason);
            if (chain++ > maxChain) return ChainTooLong(id, out reason);
        }
        chain = 0;
        for (int node = _heads[replyHash]; node >= 0; node = _next[node])
        {
            if (NodeTuple(node) == e.Reply && _e[node >> 1].Is(ConntrackStatus.Confirmed))
                return ResolveClash(id, node >> 1, replyHash, now, out ctId, out reason);
            if (chain++ > maxChain) return ChainTooLong(id, out reason);
        }

        e.Timeout += now;
        e.Status |= ConntrackStatus.Confirmed;
        LinkHead(2 * id, hash);
        LinkHead(2 * id + 1, replyHash);
        Stats.insert++;
        return CtVerdict.Accept;
    }

    CtVerdict ChainTooLong(int id, out CtDropReason reason)
    {
        Stats.chaintoolong++;
        Stats.insert_failed++;
        Free(id);
        reason = CtDropReason.ChainTooLong;
        return CtVerdict.Drop;
    }

    /// <summary>nf_ct_resolve_clash, __nf_ct_resolve_clash and nf_ct_resolve_clash_harder.</summary>
    CtVerdict ResolveClash(int loser, int winner, int replyHash, long now, out int ctId, out CtDropReason reason)
    {
        ctId = loser;
        reason = CtDropReason.None;
        if (_e[loser].Orig.Proto == IpProto.Udp)
        {
            if (TryMerge(loser, winner, out ctId)) return CtVerdict.Accept;
            // nf_ct_resolve_clash_harder: the reply direction must not clash, unless both tuples are identical.
            for (int node = _heads[replyHash]; node >= 0; node = _next[node])
            {
                if (NodeTuple(node) == _e[loser].Reply && _e[node >> 1].Is(ConntrackStatus.Confirmed))
                {
                    if (TryMerge(loser, node >> 1, out ctId)) return CtVerdict.Accept;
                    goto drop;
                }
            }
            // Insert only the reply direction, with a fixed 1-second timeout and IPS_NAT_CLASH.
            ref var l = ref _e[loser];
            l.Timeout = now + Lab.Core.SimTime.Second;
            l.Status |= ConntrackStatus.FixedTimeout | ConntrackStatus.NatClash | ConntrackStatus.Confirmed;
            LinkHead(2 * loser + 1, replyHash);
            Stats.clash_resolve++;
            return CtVerdict.Accept;
        }
    drop:
        Stats.drop++;
        Stats.insert_failed++;
        Free(loser);
        ctId = -1;
        reason = CtDropReason.InsertClash;
        return CtVerdict.Drop;
    }

    /// <summary>__nf_ct_resolve_clash: attach the packet to the winner when NAT did nothing or both entries are identical.</summary>
    bool TryMerge(int loser, int winner, out int ctId)
    {
        ctId = loser;
        ref var w = ref _e[winner];
        if (w.Is(ConntrackStatus.Dying)) return false;
        if ((w.Status & ConntrackStatus.NatDoneMask) == 0
            || (w.Orig == _e[loser].Orig && w.Reply == _e[loser].Reply))
        {
            Stats.clash_resolve++;
            Free(loser);
            ctId = winner;
            return true;
        }
        return false;
    }
}
