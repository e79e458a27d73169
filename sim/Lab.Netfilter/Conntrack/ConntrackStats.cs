namespace Lab.Netfilter.Conntrack;

/// <summary>
/// The per-netns conntrack statistics as <c>conntrack -S</c> and /proc/net/stat/nf_conntrack show
/// them (struct ip_conntrack_stat), with the kernel's names; plus lab-only counters, named as such.
/// </summary>
public sealed class ConntrackStats
{
    public long found;
    public long invalid;
    public long insert;
    public long insert_failed;
    public long drop;
    public long early_drop;
    public long error;
    public long search_restart;
    public long clash_resolve;
    public long chaintoolong;

    /// <summary>Lab-only: entries freed because a lookup, tuple_taken or early_drop walked over them expired (nf_ct_gc_expired).</summary>
    public long LabExpiredOnLookup;

    /// <summary>Lab-only: entries freed by gc_worker.</summary>
    public long LabExpiredByGc;

    /// <summary>Lab-only: entries killed by gc_worker's early-drop pass (table above 95 %).</summary>
    public long LabGcEarlyDropped;

    /// <summary>Lab-only: hash-chain nodes visited by lookups (the cost driver of a lookup).</summary>
    public long LabNodesVisited;

    public void Reset()
    {
        found = invalid = insert = insert_failed = drop = early_drop = error = search_restart = clash_resolve = chaintoolong = 0;
        LabExpiredOnLookup = LabExpiredByGc = LabGcEarlyDropped = LabNodesVisited = 0;
    }
}
