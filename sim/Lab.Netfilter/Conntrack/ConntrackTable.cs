using System.Runtime.CompilerServices;
using Lab.Engine;
using Lab.Core;

namespace Lab.Netfilter.Conntrack;

/// <summary>
/// The conntrack hash table of net/netfilter/nf_conntrack_core.c (kernel 6.12; version-dependent
/// behaviour via <see cref="ConntrackConfig.Version"/>): one bucket array, each entry hashed twice
/// (original and reply tuple), lookups that free expired entries they walk over
/// (____nf_conntrack_find / nf_ct_gc_expired), allocation with early_drop when the table is full,
/// confirmation with clash resolution, and the gc_worker (see ConntrackTable.Gc.cs).
/// The caller drives it per packet in kernel order: <see cref="Find"/> (resolve_normal_ct), on a
/// miss <see cref="Allocate"/> (init_conntrack), <see cref="HandlePacket"/>
/// (nf_conntrack_handle_packet and the SEEN_REPLY update of nf_conntrack_in), NAT
/// (<see cref="Nat.NatPortAllocator"/>), then <see cref="Confirm"/> (__nf_conntrack_confirm).
/// No allocation per packet or per connection: entries, nodes and buckets are preallocated arrays.
/// </summary>
public sealed partial class ConntrackTable
{
    const int Unlinked = HashChains.Unlinked;

    readonly ConnEntry[] _e;
    readonly HashChains _chains;
    readonly int[] _heads;      // bucket -> first node, -1 if empty
    readonly int[] _next;       // node -> next node, -1 ends (kept after unlinking, as RCU readers see it)
    readonly int[] _prev;       // node -> previous node, or -(bucket + 1) at the head, or Unlinked
    readonly int[] _bySrcHeads; // nf_nat_bysource buckets -> first entry
    readonly ulong _hashKey;
    readonly RandomStream _random;
    int _freeHead;
    int _count;

    public ConntrackConfig Config { get; }
    public ConntrackStats Stats { get; } = new();

    /// <summary>nf_conntrack_count: allocated entries (confirmed or not), including expired ones not yet freed.</summary>
    public int Count => _count;

    public int Buckets => _heads.Length;

    /// <summary>Entry slots (ids 0 to Capacity - 1): nf_conntrack_max plus room for unconfirmed entries.</summary>
    public int Capacity => _e.Length;

    public ConntrackTable(ConntrackConfig config)
    {
        config.Validate();
        Config = config;
        // nf_conntrack_max bounds the count; a few extra slots hold the unconfirmed entries of packets in flight.
        int capacity = checked(config.Max + 64);
        _e = new ConnEntry[capacity];
        _chains = new HashChains(config.Buckets, 2 * capacity);
        (_heads, _next, _prev) = (_chains.Heads, _chains.Next, _chains.Prev);
        _bySrcHeads = new int[config.Buckets];
        Array.Fill(_bySrcHeads, -1);
        for (int i = 0; i < capacity; i++) _e[i].NextFree = i + 1 < capacity ? i + 1 : -1;
        _freeHead = 0;
        _random = RandomStream.For(config.Seed, config.Replication, "netfilter.conntrack");
        _hashKey = _random.NextUInt64();
        _gcNextRunAt = SimTime.Second; // nf_conntrack_init_start queues the first gc run after HZ
    }

    public ref readonly ConnEntry Entry(int id) => ref _e[id];

    /// <summary>Hash of a tuple (hash_conntrack_raw); the bucket is <see cref="TupleHash.Scale"/> of it.</summary>
    public uint Hash(in FlowTuple t) => TupleHash.Hash(t, _hashKey);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Expired(in ConnEntry e, long now) => e.Timeout - now <= 0; // nf_ct_is_expired

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ref readonly FlowTuple NodeTuple(int node) => ref (node & 1) == 0 ? ref _e[node >> 1].Orig : ref _e[node >> 1].Reply;

    /// <summary>
    /// resolve_normal_ct's lookup (__nf_conntrack_find_get): the confirmed entry holding
    /// <paramref name="tuple"/> in either direction, or -1. Expired entries met on the chain are freed.
    /// </summary>
    public int Find(in FlowTuple tuple, long now, out CtDir dir)
    {
        int bucket = TupleHash.Scale(Hash(tuple), _heads.Length);
        for (int node = _heads[bucket]; node >= 0; node = _next[node])
        {
            if (_prev[node] == Unlinked) continue;
            Stats.LabNodesVisited++;
            int id = node >> 1;
            if (Expired(_e[id], now))
            {
                GcExpired(id);
                Stats.LabExpiredOnLookup++;
                continue;
            }
            if (FlowTuple.Same(NodeTuple(node), tuple) && _e[id].Is(ConntrackStatus.Confirmed))
            {
                dir = (CtDir)(node & 1);
                return id;
            }
        }
        dir = CtDir.Original;
        return -1;
    }

    /// <summary>
    /// nf_conntrack_tuple_taken: is <paramref name="tuple"/> (a reply tuple NAT wants to use) held by a
    /// confirmed entry other than <paramref name="ignored"/>? Expired entries met on the chain are freed;
    /// an entry with the same original tuple is ignored (clash resolution handles it later). Counts <c>found</c>.
    /// </summary>
    public bool TupleTaken(in FlowTuple tuple, int ignored, long now)
    {
        int bucket = TupleHash.Scale(Hash(tuple), _heads.Length);
        for (int node = _heads[bucket]; node >= 0; node = _next[node])
        {
            if (_prev[node] == Unlinked) continue;
            Stats.LabNodesVisited++;
            int id = node >> 1;
            if (id == ignored) continue;
            if (Expired(_e[id], now))
            {
                GcExpired(id);
                Stats.LabExpiredOnLookup++;
                continue;
            }
            if (FlowTuple.Same(NodeTuple(node), tuple) && _e[id].Is(ConntrackStatus.Confirmed))
            {
                if (ignored >= 0 && FlowTuple.Same(_e[ignored].Orig, _e[id].Orig)) continue;
                Stats.found++;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// init_conntrack / __nf_conntrack_alloc: a new unconfirmed entry for <paramref name="orig"/>
    /// (reply tuple = its inverse), or -1 with <see cref="CtDropReason.TableFull"/> when the count
    /// would exceed nf_conntrack_max and early_drop evicted nothing. The caller counts the packet
    /// drop (nf_conntrack_in does NF_CT_STAT_INC(drop)); <see cref="InitConntrack"/> does both.
    /// </summary>
    public int Allocate(in FlowTuple orig, long now, out CtDropReason reason)
    {
        reason = CtDropReason.None;
        if (_count + 1 > Config.Max)
        {
            if (!EarlyDrop(Hash(orig), now))
            {
                _gcEarlyDrop = true;
                reason = CtDropReason.TableFull;
                return -1;
            }
        }
        int id = _freeHead;
        if (id < 0)
        {
            reason = CtDropReason.TableFull; // more unconfirmed entries in flight than the model provides for
            return -1;
        }
        _freeHead = _e[id].NextFree;
        _count++;
        ref var e = ref _e[id];
        e = default;
        e.Orig = orig;
        e.Reply = orig.Invert();
        e.CreatedAt = now;
        e.InUse = true;
        e.BySrcNext = e.BySrcPrev = -1;
        e.BySrcBucket = -1;
        return id;
    }

    /// <summary>Allocate and count the drop as nf_conntrack_in does when allocation fails.</summary>
    public int InitConntrack(in FlowTuple orig, long now, out CtDropReason reason)
    {
        int id = Allocate(orig, now, out reason);
        if (id < 0) Stats.drop++;
        return id;
    }

    /// <summary>nf_conntrack_free for an entry that never got confirmed (its packet was dropped).</summary>
    public void FreeUnconfirmed(int id)
    {
        if (_e[id].Is(ConntrackStatus.Confirmed)) throw new InvalidOperationException("entry is confirmed; kill it instead");
        Free(id);
    }

    /// <summary>nf_ct_nat: replace the reply tuple of an unconfirmed entry (nf_conntrack_alter_reply) and mark SNAT.</summary>
    public void AlterReplyForSnat(int id, in FlowTuple newReply)
    {
        ref var e = ref _e[id];
        if (e.Is(ConntrackStatus.Confirmed)) throw new InvalidOperationException("cannot alter the reply tuple of a confirmed entry");
        bool changed = newReply != e.Reply;
        e.Reply = newReply;
        if (changed) e.Status |= ConntrackStatus.SrcNat;
        e.Status |= ConntrackStatus.SrcNatDone;
    }

    /// <summary>nf_ct_kill: remove an entry now (timeout, RST, early drop, flow teardown policy).</summary>
    public bool Kill(int id)
    {
        ref var e = ref _e[id];
        if (!e.InUse || e.Is(ConntrackStatus.Dying)) return false;
        e.Status |= ConntrackStatus.Dying;
        if (e.Is(ConntrackStatus.Confirmed))
        {
            Unlink(2 * id);     // no-op for an IPS_NAT_CLASH entry, whose original node was never linked
            Unlink(2 * id + 1);
        }
        if (!e.HeldByFlow) Free(id);
        return true;
    }

    /// <summary>flow_offload_alloc takes a reference on the conntrack entry.</summary>
    public void HoldForFlow(int id) => _e[id].HeldByFlow = true;

    /// <summary>flow_offload_free drops it; a killed entry is freed now.</summary>
    public void ReleaseFromFlow(int id)
    {
        _e[id].HeldByFlow = false;
        if (_e[id].InUse && _e[id].Is(ConntrackStatus.Dying)) Free(id);
    }

    void GcExpired(int id) => Kill(id);

    void Free(int id)
    {
        ref var e = ref _e[id];
        if (e.BySrcBucket >= 0) BySrcRemove(id);
        e.InUse = false;
        e.NextFree = _freeHead;
        _freeHead = id;
        _count--;
    }

    /// <summary>Sets or clears IPS_OFFLOAD (flowtable add / teardown).</summary>
    public void SetOffload(int id, bool on)
    {
        if (on) _e[id].Status |= ConntrackStatus.Offload;
        else _e[id].Status &= ~ConntrackStatus.Offload;
    }

    /// <summary>Sets or clears IPS_HW_OFFLOAD (the NIC holds the flow).</summary>
    public void SetHwOffload(int id, bool on)
    {
        if (on) _e[id].Status |= ConntrackStatus.HwOffload;
        else _e[id].Status &= ~ConntrackStatus.HwOffload;
    }

    /// <summary>nf_ct_refresh: new timeout relative to <paramref name="now"/> (ignored for IPS_FIXED_TIMEOUT).</summary>
    public void Refresh(int id, long extra, long now)
    {
        ref var e = ref _e[id];
        if (e.Is(ConntrackStatus.FixedTimeout)) return;
        e.Timeout = e.Is(ConntrackStatus.Confirmed) ? now + extra : extra;
    }

    /// <summary>Sets the TCP state directly (flow_offload_fixup_tcp).</summary>
    public void SetTcpState(int id, TcpState state)
    {
        _e[id].TcpState = state;
        if (state == TcpState.Close) _e[id].TcpCloseInit = true;
    }

    // ---- hash chains -------------------------------------------------------------------------

    void LinkHead(int node, int bucket) => _chains.LinkHead(node, bucket);

    void Unlink(int node) => _chains.Unlink(node);

    int ChainLength(int bucket, int limit)
    {
        int len = 0;
        for (int node = _heads[bucket]; node >= 0 && len <= limit; node = _next[node]) len++;
        return len;
    }
}
