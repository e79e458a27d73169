using Lab.Engine;
using Lab.Netfilter.Conntrack;
using Lab.Core;

namespace Lab.Netfilter.Flowtable;

/// <summary>enum nf_flow_flags (include/net/netfilter/nf_flow_table.h), the bits the model uses.</summary>
[Flags]
public enum FlowFlags : byte
{
    None = 0,
    Snat = 1,
    Dnat = 2,
    /// <summary>NF_FLOW_CLOSING (6.14+): FIN or RST seen; stays in software, leaves hardware.</summary>
    Closing = 4,
    Teardown = 8,
    Hw = 16,
    HwDying = 32,
    HwDead = 64,
}

/// <summary>One struct flow_offload: both directions of one offloaded connection.</summary>
public struct FlowEntry
{
    public FlowTuple Orig;
    public FlowTuple Reply;
    public int Ct;
    /// <summary>flow->timeout: absolute expiry.</summary>
    public long Timeout;
    public FlowFlags Flags;
    /// <summary>Hardware: the rule is installed and forwarding from this time (long.MaxValue: not in hardware).</summary>
    public long HwReadyAt;
    /// <summary>Hardware: last packet the NIC forwarded (what flow_offload_work_stats reads).</summary>
    public long HwLastUsed;
    public bool HwRequestPending;
    public bool InUse;
    internal int NextFree;

    public readonly bool Has(FlowFlags f) => (Flags & f) == f;
}

/// <summary>Flowtable and hardware-offload parameters.</summary>
public sealed record FlowtableConfig
{
    public KernelVersion Version { get; init; } = KernelVersion.Default;

    /// <summary>Entries the software table can hold (rhashtable has no limit; this only sizes the pool).</summary>
    public int MaxFlows { get; init; } = 1 << 20;

    /// <summary><c>flags offload</c> on the flowtable: push flows to the NIC.</summary>
    public bool HardwareOffload { get; init; }

    /// <summary>Flows the NIC's flow table can hold (device-specific; 65536 is an assumption).</summary>
    public int HardwareCapacity { get; init; } = 65536;

    /// <summary>Delay from nf_flow_offload_add to the rule being active: the nf_flow_offload work queue plus the driver (1 ms is an assumption).</summary>
    public long HardwareInsertLatency { get; init; } = SimTime.Millisecond;

    /// <summary>When the flowtable was created: its gc runs at created + 1 s, + 2 s, ... (nf_flow_table_init queues the gc after HZ).</summary>
    public long CreatedAt { get; init; }

    /// <summary>Kernel 6.14 replaced "FIN/RST tears the flow down" by the NF_FLOW_CLOSING state (commit "netfilter: flowtable: add CLOSING state").</summary>
    public bool HasClosingState => Version.AtLeast(6, 14);
}

/// <summary>Counters as nft and conntrack show them.</summary>
public sealed class FlowtableStats
{
    public long Added;
    public long AddFailed;
    public long TornDown;
    public long Deleted;
    public long ExpiredByGc;
    public long HwInstalled;
    public long HwInstallFailed;
    public long HwRemoved;
}

/// <summary>
/// The software flowtable of net/netfilter/nf_flow_table_core.c (kernel 6.12; 6.14 CLOSING state as a
/// version parameter) with its hardware offload: flow_offload_add (both directions, conntrack refreshed
/// to one day and marked IPS_OFFLOAD), flow_offload_lookup, flow_offload_refresh (the timeout moves
/// only when it would grow by more than one second), nf_flow_state_check of nf_flow_table_ip.c,
/// flow_offload_teardown with flow_offload_fixup_ct, and nf_flow_offload_work_gc once per second.
/// Keys are <see cref="FlowTuple"/>s in a chained hash (two nodes per flow), entries pooled by index.
/// </summary>
public sealed class FlowTable
{
    const int Unlinked = HashChains.Unlinked;

    readonly FlowEntry[] _f;
    readonly HashChains _chains;
    readonly int[] _heads, _next, _prev;
    readonly ConntrackTable _ct;
    readonly ulong _key;
    int _freeHead, _count, _hwCount;
    readonly int[] _hwQueue;
    readonly long[] _hwDue;
    int _hwHead, _hwLen;
    long _nextGcAt;

    public FlowtableConfig Config { get; }
    public FlowtableStats Stats { get; } = new();

    /// <summary>Flowtable entries (what <c>conntrack -L</c> marks [OFFLOAD]).</summary>
    public int Count => _count;

    /// <summary>Flows installed in the NIC ([HW_OFFLOAD]).</summary>
    public int HardwareCount => _hwCount;

    public long NextGcAt => _nextGcAt;

    public FlowTable(FlowtableConfig config, ConntrackTable conntrack)
    {
        if (config.MaxFlows < 1) throw new LabInputException($"flowtable size must be at least 1, found {config.MaxFlows}");
        if (config.HardwareCapacity < 0) throw new LabInputException($"hardware capacity must not be negative, found {config.HardwareCapacity}");
        Config = config;
        _ct = conntrack;
        _f = new FlowEntry[config.MaxFlows];
        int buckets = (int)Math.Min(1 << 24, Math.Max(16, (long)config.MaxFlows));
        _chains = new HashChains(buckets, 2 * config.MaxFlows);
        (_heads, _next, _prev) = (_chains.Heads, _chains.Next, _chains.Prev);
        for (int i = 0; i < _f.Length; i++) _f[i].NextFree = i + 1 < _f.Length ? i + 1 : -1;
        _hwQueue = new int[config.MaxFlows];
        _hwDue = new long[config.MaxFlows];
        _key = RandomStream.For(conntrack.Config.Seed, conntrack.Config.Replication, "netfilter.flowtable").NextUInt64();
        _nextGcAt = config.CreatedAt + SimTime.Second;
    }

    public ref readonly FlowEntry Entry(int id) => ref _f[id];

    /// <summary>Slots of the flow pool (ids 0..Capacity-1; a slot holds a flow when its entry is InUse).</summary>
    public int Capacity => _f.Length;

    long OffloadTimeout(int id) =>
        _f[id].Orig.Proto == IpProto.Tcp ? _ct.Config.Timeouts.FlowtableTcp : _ct.Config.Timeouts.FlowtableUdp;

    /// <summary>flow_offload_lookup: the flow and direction for a packet's tuple, or -1 (also for a torn-down flow or a dying conntrack).</summary>
    public int Lookup(in FlowTuple tuple, out CtDir dir)
    {
        int b = TupleHash.Scale(TupleHash.Hash(tuple, _key), _heads.Length);
        for (int node = _heads[b]; node >= 0; node = _next[node])
        {
            int id = node >> 1;
            ref readonly var f = ref _f[id];
            if ((node & 1) == 0 ? f.Orig != tuple : f.Reply != tuple) continue;
            dir = (CtDir)(node & 1);
            if (f.Has(FlowFlags.Teardown) || _ct.Entry(f.Ct).Is(ConntrackStatus.Dying)) return -1;
            return id;
        }
        dir = CtDir.Original;
        return -1;
    }

    /// <summary>
    /// nft_flow_offload_eval's checks (net/netfilter/nft_flow_offload.c, kernel 6.1 and later): TCP
    /// only when nf_conntrack_tcp_established holds, i.e. state ESTABLISHED <em>and</em> IPS_ASSURED
    /// (a connection picked up mid-stream with tcp_loose is ESTABLISHED but not ASSURED until a reply
    /// confirms it), and the packet carries no FIN/RST; UDP always; no helper, no sequence
    /// adjustment, no NAT clash; confirmed; not already offloaded.
    /// </summary>
    public static bool Eligible(in ConnEntry ct, TcpFlags packetFlags)
    {
        if (!ct.Is(ConntrackStatus.Confirmed) || ct.Is(ConntrackStatus.Offload)) return false;
        if ((ct.Status & (ConntrackStatus.Helper | ConntrackStatus.SeqAdjust | ConntrackStatus.NatClash)) != 0) return false;
        return ct.Orig.Proto switch
        {
            IpProto.Tcp => ct.TcpState == TcpState.Established && ct.Is(ConntrackStatus.Assured)
                && (packetFlags & (TcpFlags.Fin | TcpFlags.Rst)) == 0,
            IpProto.Udp => true,
            _ => false,
        };
    }

    /// <summary>flow_offload_alloc + flow_offload_add. Returns the flow id, or -1 when the pool is full (IPS_OFFLOAD is cleared again).</summary>
    public int Add(int ct, long now)
    {
        int id = _freeHead;
        if (id < 0)
        {
            Stats.AddFailed++;
            return -1;
        }
        _freeHead = _f[id].NextFree;
        _count++;
        ref readonly var c = ref _ct.Entry(ct);
        ref var f = ref _f[id];
        f = default;
        f.InUse = true;
        f.Ct = ct;
        f.Orig = c.Orig;
        f.Reply = c.Reply;
        f.HwReadyAt = long.MaxValue;
        if (c.Is(ConntrackStatus.SrcNat)) f.Flags |= FlowFlags.Snat;
        if (c.Is(ConntrackStatus.DstNat)) f.Flags |= FlowFlags.Dnat;
        f.Timeout = now + OffloadTimeout(id);
        Link(2 * id, f.Orig);
        Link(2 * id + 1, f.Reply);
        _ct.HoldForFlow(ct);
        _ct.SetOffload(ct, true);
        _ct.Refresh(ct, SimTime.Day, now); // nf_ct_refresh(flow->ct, NF_CT_DAY)
        Stats.Added++;
        if (Config.HardwareOffload)
        {
            f.Flags |= FlowFlags.Hw;
            RequestHwAdd(id, now);
        }
        return id;
    }

    /// <summary>flow_offload_refresh: move the timeout only if it grows by more than one second; then retry the hardware add.</summary>
    public void Refresh(int id, long now, bool force = false)
    {
        ref var f = ref _f[id];
        long timeout = now + OffloadTimeout(id);
        if (force || timeout - f.Timeout > SimTime.Second) f.Timeout = timeout;
        else return;
        if (!Config.HardwareOffload || f.Has(FlowFlags.Closing)) return;
        RequestHwAdd(id, now);
    }

    /// <summary>
    /// nf_flow_state_check for TCP: true if the packet stays on the fast path. Before 6.14 a FIN or RST
    /// tears the flow down and the packet goes to the classic path. From 6.14 a FIN or RST only sets
    /// NF_FLOW_CLOSING (the packet stays fast); a SYN on a closing flow tears it down (TCP reopen).
    /// </summary>
    public bool StateCheck(int id, TcpFlags flags, long now)
    {
        ref var f = ref _f[id];
        if (f.Orig.Proto != IpProto.Tcp) return true;
        if (!Config.HasClosingState)
        {
            if ((flags & (TcpFlags.Fin | TcpFlags.Rst)) == 0) return true;
            Teardown(id, now);
            return false;
        }
        if ((flags & TcpFlags.Syn) != 0 && f.Has(FlowFlags.Closing))
        {
            Teardown(id, now);
            return false;
        }
        if ((flags & (TcpFlags.Fin | TcpFlags.Rst)) != 0) f.Flags |= FlowFlags.Closing;
        return true;
    }

    /// <summary>Whether the NIC forwards this flow's packets at <paramref name="now"/> (installed and not being removed).</summary>
    public bool InHardware(int id, long now)
    {
        ref readonly var f = ref _f[id];
        return f.HwReadyAt <= now && !f.Has(FlowFlags.HwDying) && !f.Has(FlowFlags.Teardown);
    }

    /// <summary>A packet the NIC forwarded (no CPU involved): only its timestamp, as the hardware counters keep it.</summary>
    public void HwPacket(int id, long now) => _f[id].HwLastUsed = now;

    /// <summary>flow_offload_teardown: clear IPS_OFFLOAD, mark the flow, and give conntrack a sane timeout back.</summary>
    public void Teardown(int id, long now)
    {
        ref var f = ref _f[id];
        _ct.SetOffload(f.Ct, false);
        if (f.Has(FlowFlags.Teardown)) return;
        f.Flags |= FlowFlags.Teardown;
        Stats.TornDown++;
        FixupCt(id, now);
    }

    /// <summary>flow_offload_fixup_ct (6.12 form, and the 6.14 form with the CLOSING state).</summary>
    void FixupCt(int id, long now)
    {
        ref readonly var f = ref _f[id];
        int ct = f.Ct;
        ref readonly var c = ref _ct.Entry(ct);
        var t = _ct.Config.Timeouts;
        long timeout;
        bool closing = false, expired = f.Timeout - now <= 0;
        if (c.Orig.Proto == IpProto.Tcp)
        {
            if (Config.HasClosingState && f.Has(FlowFlags.Closing))
            {
                closing = true;
                expired = false;
                _ct.SetTcpState(ct, TcpState.Close);
                timeout = t.Tcp[(int)TcpState.Close];
            }
            else
            {
                timeout = t.Tcp[(int)c.TcpState];
            }
            if (!Config.HasClosingState) expired = true; // before 6.14 the offload timeout was always subtracted
            if (expired) timeout -= t.FlowtableTcp;
        }
        else if (c.Orig.Proto == IpProto.Udp)
        {
            timeout = c.Is(ConntrackStatus.SeenReply) ? t.UdpReplied : t.UdpUnreplied;
            if (!Config.HasClosingState) expired = true;
            if (expired) timeout -= t.FlowtableUdp;
        }
        else
        {
            return;
        }
        if (timeout < 0) timeout = 0;
        if (closing || c.Timeout - now > timeout) _ct.Refresh(ct, timeout, now);
    }

    /// <summary>Runs the hardware work queue and the once-per-second gc up to <paramref name="now"/>.</summary>
    public void AdvanceTo(long now)
    {
        PumpHw(now);
        while (_nextGcAt <= now)
        {
            long t = _nextGcAt;
            PumpHw(t);
            RunGc(t);
            _nextGcAt = t + SimTime.Second;
        }
    }

    /// <summary>nf_flow_offload_work_gc: nf_flow_offload_gc_step over every flow (in index order: deterministic).</summary>
    void RunGc(long now)
    {
        for (int id = 0; id < _f.Length; id++)
        {
            ref var f = ref _f[id];
            if (!f.InUse) continue;
            bool teardown = f.Has(FlowFlags.Teardown);
            if (f.Timeout - now <= 0 || _ct.Entry(f.Ct).Is(ConntrackStatus.Dying))
            {
                if (!teardown && f.Timeout - now <= 0) Stats.ExpiredByGc++;
                Teardown(id, now);
                teardown = true;
            }
            if (teardown)
            {
                if (f.Has(FlowFlags.Hw))
                {
                    if (!f.Has(FlowFlags.HwDying)) HwDel(id, now);
                    else if (f.Has(FlowFlags.HwDead)) Delete(id);
                }
                else
                {
                    Delete(id);
                }
            }
            else if (f.Has(FlowFlags.Closing) && f.Has(FlowFlags.Hw) && !f.Has(FlowFlags.HwDying))
            {
                HwDel(id, now);
            }
            else if (f.Has(FlowFlags.Hw) && f.HwReadyAt <= now)
            {
                // nf_flow_offload_stats: timeout = max(timeout, lastused + offload timeout)
                if (f.HwLastUsed > 0) f.Timeout = Math.Max(f.Timeout, f.HwLastUsed + OffloadTimeout(id));
            }
        }
    }

    void RequestHwAdd(int id, long now)
    {
        ref var f = ref _f[id];
        if (f.HwRequestPending || f.HwReadyAt != long.MaxValue) return;
        f.HwRequestPending = true;
        int tail = (_hwHead + _hwLen) % _hwQueue.Length;
        _hwQueue[tail] = id;
        _hwDue[tail] = now + Config.HardwareInsertLatency;
        _hwLen++;
    }

    void PumpHw(long now)
    {
        while (_hwLen > 0 && _hwDue[_hwHead] <= now)
        {
            int id = _hwQueue[_hwHead];
            long due = _hwDue[_hwHead];
            _hwHead = (_hwHead + 1) % _hwQueue.Length;
            _hwLen--;
            ref var f = ref _f[id];
            if (!f.InUse || !f.HwRequestPending) continue;
            f.HwRequestPending = false;
            if (f.Has(FlowFlags.Teardown) || f.Has(FlowFlags.HwDying)) continue;
            if (_hwCount < Config.HardwareCapacity)
            {
                _hwCount++;
                f.HwReadyAt = due;
                _ct.SetHwOffload(f.Ct, true);
                Stats.HwInstalled++;
            }
            else
            {
                Stats.HwInstallFailed++; // retried by the next flow_offload_refresh that moves the timeout
            }
        }
    }

    void HwDel(int id, long now)
    {
        ref var f = ref _f[id];
        f.Flags |= FlowFlags.HwDying;
        f.HwRequestPending = false;
        if (f.HwReadyAt != long.MaxValue)
        {
            _hwCount--;
            Stats.HwRemoved++;
            _ct.SetHwOffload(f.Ct, false);
        }
        f.HwReadyAt = long.MaxValue;
        f.Flags |= FlowFlags.HwDead; // the delete work completes before the next gc pass looks again
    }

    void Delete(int id)
    {
        ref var f = ref _f[id];
        Unlink(2 * id);
        Unlink(2 * id + 1);
        _ct.ReleaseFromFlow(f.Ct);
        f.InUse = false;
        f.NextFree = _freeHead;
        _freeHead = id;
        _count--;
        Stats.Deleted++;
    }

    void Link(int node, in FlowTuple t) => _chains.LinkHead(node, TupleHash.Scale(TupleHash.Hash(t, _key), _heads.Length));

    void Unlink(int node) => _chains.Unlink(node);
}
