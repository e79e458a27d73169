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
    public int HardwareCapacity { get; init; } = DefaultHardwareCapacity;

    public const int DefaultHardwareCapacity = 65536;

    public const long DefaultHardwareInsertLatency = SimTime.Millisecond;

    /// <summary>Delay from nf_flow_offload_add to the rule being active: the nf_flow_offload work queue plus the driver (1 ms is an assumption).</summary>
    public long HardwareInsertLatency { get; init; } = DefaultHardwareInsertLatency;

    /// <summary>When the flowtable was created: its gc runs at created + 1 s, + 2 s, ... (nf_flow_table_init queues the gc after HZ).</summary>
    public long CreatedAt { get; init; }

    /// <summary>Kernel 6.14 replaced "FIN/RST tears the flow down" by the NF_FLOW_CLOSING state (commit "netfilter: flowtable: add CLOSING state").</summary>
    public bool HasClosingState => Version.AtLeast(6, 14);
}

/// <summary>
/// Flowtable counters. The kernel keeps only three, per CPU in struct nf_flow_table_stat
/// (include/net/netns/flow_table.h, printed by /proc/net/stat/nf_flowtable of
/// net/netfilter/nf_flow_table_procfs.c as wq_add, wq_del, wq_stats): work items queued to the
/// offload work queue and not yet handled (flow_offload_queue_work increments them,
/// flow_offload_work_handler decrements them). Of these the model keeps <see cref="wq_add"/>; it does the
/// delete and stats work inside the gc step (see <see cref="FlowTable"/>), so its wq_del and wq_stats
/// would always read 0 and are not kept. Every other counter is lab-only and prefixed so; each says
/// which kernel function's outcome it counts.
/// </summary>
public sealed class FlowtableStats
{
    /// <summary>count_wq_add: FLOW_CLS_REPLACE work queued by nf_flow_offload_add and not yet run by flow_offload_work_handler (a gauge, as in the kernel).</summary>
    public long wq_add;

    /// <summary>Lab-only: flows inserted by flow_offload_add (nf_flow_table_core.c).</summary>
    public long LabAdded;

    /// <summary>Lab-only: flow_offload_add failed because the lab's flow pool was full (the kernel's rhashtable has no such limit; it fails only on -ENOMEM).</summary>
    public long LabAddFailed;

    /// <summary>Lab-only: flows marked NF_FLOW_TEARDOWN by flow_offload_teardown (first time only).</summary>
    public long LabTornDown;

    /// <summary>Lab-only: flows freed by flow_offload_del from nf_flow_offload_gc_step.</summary>
    public long LabDeleted;

    /// <summary>Lab-only: flows nf_flow_offload_gc_step tore down because nf_flow_has_expired held.</summary>
    public long LabExpiredByGc;

    /// <summary>Lab-only: rules flow_offload_work_add installed in the NIC (IPS_HW_OFFLOAD set).</summary>
    public long LabHwInstalled;

    /// <summary>Lab-only: flow_offload_work_add failed because the NIC's table was full.</summary>
    public long LabHwInstallFailed;

    /// <summary>Lab-only: installed rules flow_offload_work_del removed (IPS_HW_OFFLOAD cleared).</summary>
    public long LabHwRemoved;

    /// <summary>Warm-up ends: the lab counters restart; <see cref="wq_add"/> is a gauge and keeps the work still queued.</summary>
    public void Reset() =>
        LabAdded = LabAddFailed = LabTornDown = LabDeleted = LabExpiredByGc = LabHwInstalled = LabHwInstallFailed = LabHwRemoved = 0;
}

/// <summary>
/// The software flowtable of net/netfilter/nf_flow_table_core.c (kernel 6.12; 6.14 CLOSING state as a
/// version parameter) with its hardware offload: flow_offload_add (both directions, conntrack refreshed
/// to one day and marked IPS_OFFLOAD), flow_offload_lookup, flow_offload_refresh (the timeout moves
/// only when it would grow by more than one second), nf_flow_state_check of nf_flow_table_ip.c,
/// flow_offload_teardown with flow_offload_fixup_ct, and nf_flow_offload_work_gc once per second.
/// The hardware side follows net/netfilter/nf_flow_table_offload.c: nf_flow_offload_add queues the
/// FLOW_CLS_REPLACE work that flow_offload_work_handler runs <see cref="FlowtableConfig.HardwareInsertLatency"/>
/// later; nf_flow_offload_del and nf_flow_offload_stats run their work at once (the model has no
/// latency for them, so their work-queue counters wq_del and wq_stats would stay 0).
/// Keys are <see cref="FlowTuple"/>s in a chained hash (two nodes per flow), entries pooled by index.
/// </summary>
public sealed class FlowTable
{
    const int Unlinked = HashChains.Unlinked;

    /// <summary>nf_flow_offload_work_gc re-queues itself after HZ jiffies: one second.</summary>
    public const long GcInterval = SimTime.Second;

    /// <summary>flow_offload_refresh moves the timeout only when it grows by more than HZ jiffies: one second.</summary>
    public const long RefreshMinStep = SimTime.Second;

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
        _nextGcAt = config.CreatedAt + GcInterval;
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
            if ((node & 1) == 0 ? !FlowTuple.Same(f.Orig, tuple) : !FlowTuple.Same(f.Reply, tuple)) continue;
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
            Stats.LabAddFailed++;
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
        Stats.LabAdded++;
        if (Config.HardwareOffload)
        {
            f.Flags |= FlowFlags.Hw;
            NfFlowOffloadAdd(id, now);
        }
        return id;
    }

    /// <summary>flow_offload_refresh: move the timeout only if it grows by more than one second; then retry the hardware add.</summary>
    public void Refresh(int id, long now, bool force = false)
    {
        ref var f = ref _f[id];
        long timeout = now + OffloadTimeout(id);
        if (force || timeout - f.Timeout > RefreshMinStep) f.Timeout = timeout;
        else return;
        if (!Config.HardwareOffload || f.Has(FlowFlags.Closing)) return;
        NfFlowOffloadAdd(id, now);
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

    /// <summary>
    /// Whether the NIC's rule matches a packet with these TCP flags: nf_flow_rule_match
    /// (nf_flow_table_offload.c) installs TCP rules with key tcp.flags = 0 under mask FIN|RST, so a FIN
    /// or RST misses the hardware and reaches the software flowtable (nf_flow_state_check). UDP packets
    /// carry no flags and always match.
    /// </summary>
    public static bool HardwareRuleMatches(TcpFlags flags) => (flags & (TcpFlags.Fin | TcpFlags.Rst)) == 0;

    /// <summary>A packet the NIC forwarded (no CPU involved): only its timestamp, as the hardware counters keep it.</summary>
    public void HwPacket(int id, long now) => _f[id].HwLastUsed = now;

    /// <summary>flow_offload_teardown: clear IPS_OFFLOAD, mark the flow, and give conntrack a sane timeout back.</summary>
    public void Teardown(int id, long now)
    {
        ref var f = ref _f[id];
        _ct.SetOffload(f.Ct, false);
        if (f.Has(FlowFlags.Teardown)) return;
        f.Flags |= FlowFlags.Teardown;
        Stats.LabTornDown++;
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
        FlowOffloadWorkHandler(now);
        while (_nextGcAt <= now)
        {
            long t = _nextGcAt;
            FlowOffloadWorkHandler(t);
            NfFlowOffloadWorkGc(t);
            _nextGcAt = t + GcInterval;
        }
    }

    /// <summary>nf_flow_offload_work_gc → nf_flow_table_gc_run: nf_flow_offload_gc_step over every flow (in index order: deterministic).</summary>
    void NfFlowOffloadWorkGc(long now)
    {
        for (int id = 0; id < _f.Length; id++)
            if (_f[id].InUse) NfFlowOffloadGcStep(id, now);
    }

    /// <summary>
    /// nf_flow_offload_gc_step (nf_flow_table_core.c, 6.12; the CLOSING branch from 6.14). Not modelled:
    /// nf_flow_table_extend_ct_timeout (6.10+, commit 03428ca5cee9 "rework offload nf_conn timeout
    /// extension logic"), which for a live flow whose conntrack entry has less than 5 minutes left would
    /// set it to one day (UDP, TCP ESTABLISHED) or 5 minutes (TCP FIN_WAIT..TIME_WAIT). In the kernels
    /// this model follows, its cmpxchg compares the relative nf_ct_expires() with the absolute
    /// ct->timeout, so the store never happens (upstream fix "Fixes: 03428ca5cee9", 2026); leaving it out
    /// is therefore what those kernels do. Effect: an offloaded entry's conntrack timeout is the NF_CT_DAY
    /// <see cref="Add"/> gave it; no gc step raises it. A flow offloaded for more than a day thus has an
    /// expired conntrack entry, which the model's conntrack gc leaves alone while IPS_OFFLOAD is set and
    /// frees at its first pass after the teardown (flow_offload_fixup_ct only ever shortens a timeout).
    /// Also not modelled: nf_flow_custom_gc (no flowtable type here has one) and, from 6.16, the stale
    /// route check nf_flow_check_dst (routes do not change in the model).
    /// </summary>
    void NfFlowOffloadGcStep(int id, long now)
    {
        ref var f = ref _f[id];
        bool teardown = f.Has(FlowFlags.Teardown);
        if (f.Timeout - now <= 0 || _ct.Entry(f.Ct).Is(ConntrackStatus.Dying))
        {
            if (!teardown && f.Timeout - now <= 0) Stats.LabExpiredByGc++;
            Teardown(id, now);
            teardown = true;
        }
        if (teardown)
        {
            if (f.Has(FlowFlags.Hw))
            {
                if (!f.Has(FlowFlags.HwDying)) NfFlowOffloadDel(id, now);
                else if (f.Has(FlowFlags.HwDead)) FlowOffloadDel(id);
            }
            else
            {
                FlowOffloadDel(id);
            }
        }
        else if (f.Has(FlowFlags.Closing) && f.Has(FlowFlags.Hw) && !f.Has(FlowFlags.HwDying))
        {
            NfFlowOffloadDel(id, now);
        }
        else if (f.Has(FlowFlags.Hw))
        {
            NfFlowOffloadStats(id, now);
        }
    }

    /// <summary>
    /// nf_flow_offload_stats + flow_offload_work_stats (nf_flow_table_offload.c): the NIC's last-used time
    /// of either direction moves the flow's timeout to max(timeout, lastused + offload timeout). A rule
    /// not (or no longer) in the NIC reports nothing, which leaves the timeout as it is. Not modelled:
    /// nf_flow_offload_stats skips the query while 90 % of the offload timeout is still left; as the
    /// query runs at once here and takes a max, skipping it changes no expiry, only work done.
    /// </summary>
    void NfFlowOffloadStats(int id, long now)
    {
        ref var f = ref _f[id];
        if (f.HwReadyAt <= now && f.HwLastUsed > 0) f.Timeout = Math.Max(f.Timeout, f.HwLastUsed + OffloadTimeout(id));
    }

    /// <summary>nf_flow_offload_add: queue the FLOW_CLS_REPLACE work (flow_offload_queue_work counts it in wq_add) unless one is pending or the rule is in.</summary>
    void NfFlowOffloadAdd(int id, long now)
    {
        ref var f = ref _f[id];
        if (f.HwRequestPending || f.HwReadyAt != long.MaxValue) return;
        f.HwRequestPending = true;
        int tail = (_hwHead + _hwLen) % _hwQueue.Length;
        _hwQueue[tail] = id;
        _hwDue[tail] = now + Config.HardwareInsertLatency;
        _hwLen++;
        Stats.wq_add++;
    }

    /// <summary>
    /// flow_offload_work_handler for the FLOW_CLS_REPLACE work due by <paramref name="now"/>, in queue
    /// order: flow_offload_work_add installs the rule (IPS_HW_OFFLOAD) unless the flow is being torn
    /// down or the NIC is full. Every handled item leaves wq_add.
    /// </summary>
    void FlowOffloadWorkHandler(long now)
    {
        while (_hwLen > 0 && _hwDue[_hwHead] <= now)
        {
            int id = _hwQueue[_hwHead];
            long due = _hwDue[_hwHead];
            _hwHead = (_hwHead + 1) % _hwQueue.Length;
            _hwLen--;
            Stats.wq_add--;
            ref var f = ref _f[id];
            if (!f.InUse || !f.HwRequestPending) continue;
            f.HwRequestPending = false;
            if (f.Has(FlowFlags.Teardown) || f.Has(FlowFlags.HwDying)) continue;
            if (_hwCount < Config.HardwareCapacity)
            {
                _hwCount++;
                f.HwReadyAt = due;
                _ct.SetHwOffload(f.Ct, true);
                Stats.LabHwInstalled++;
            }
            else
            {
                Stats.LabHwInstallFailed++; // retried by the next flow_offload_refresh that moves the timeout
            }
        }
    }

    /// <summary>nf_flow_offload_del (sets NF_FLOW_HW_DYING) with its flow_offload_work_del run at once (NF_FLOW_HW_DEAD, IPS_HW_OFFLOAD cleared).</summary>
    void NfFlowOffloadDel(int id, long now)
    {
        ref var f = ref _f[id];
        f.Flags |= FlowFlags.HwDying;
        f.HwRequestPending = false;
        if (f.HwReadyAt != long.MaxValue)
        {
            _hwCount--;
            Stats.LabHwRemoved++;
            _ct.SetHwOffload(f.Ct, false);
        }
        f.HwReadyAt = long.MaxValue;
        f.Flags |= FlowFlags.HwDead; // the delete work completes before the next gc pass looks again
    }

    /// <summary>flow_offload_del: unlink both directions, drop the conntrack reference (flow_offload_free) and free the flow.</summary>
    void FlowOffloadDel(int id)
    {
        ref var f = ref _f[id];
        Unlink(2 * id);
        Unlink(2 * id + 1);
        _ct.ReleaseFromFlow(f.Ct);
        f.InUse = false;
        f.NextFree = _freeHead;
        _freeHead = id;
        _count--;
        Stats.LabDeleted++;
    }

    void Link(int node, in FlowTuple t) => _chains.LinkHead(node, TupleHash.Scale(TupleHash.Hash(t, _key), _heads.Length));

    void Unlink(int node) => _chains.Unlink(node);
}
