using Lab.Simulation.Running;
using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Stages;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Simulation.Plugins;

/// <summary>
/// The <c>forward</c> path element: a Linux forwarding box with conntrack, optional SNAT and an
/// optional flowtable (<see cref="ForwardStage"/>), its scenario keys, its <c>lab describe</c> table
/// and its metrics.
/// </summary>
public sealed class ForwardPlugin : IModelPlugin
{
    public const string Type = "forward";

    public IPathElementBinder Binder { get; } = new ForwardBinder();

    public ModelDescription Describe() => new(
        Type,
        "Forwarding box in the packet path: conntrack, SNAT/masquerade, forward-chain rules, flowtable fast path and hardware offload, with per-stage CPU costs.",
        "net/netfilter/nf_conntrack_core.c, nf_nat_core.c, nf_flow_table_core.c, nf_flow_table_ip.c, nft_flow_offload.c (kernel 6.12; version-dependent behaviour by the kernel key)",
        ForwardBinder.Parameters,
        [
            "Flow ids become tuples: client 10.0.0.1 + flow mod subscribers, source port 32768 + (flow div subscribers) mod 28232, server 198.18.0.1 + hash(flow) mod destinations.",
            "TCP: a flow's first packet (FlowFirst, or the first packet of an unseen flow id) is the SYN; the stage synthesizes the SYN/ACK and the handshake ACK, so the flow is offloaded on that ACK. FlowLast carries FIN/ACK; the server's FIN/ACK and the last ACK are synthesized (TIME_WAIT).",
            "UDP: with replies: true the server answers the first packet once; with false the entry stays unreplied (30 s).",
            "Script traffic (kind: script) carries its own tuples, directions and TCP flags: nothing is synthesized and the address plan is not used; a reply goes to the client's translated address and port (the entry's reply tuple). IPv4 only.",
            "probes: lists conntrack (conntrack -L), conntrack_stats (conntrack -S), nat (mapping per entry) and flowtable entries into probes.csv.",
            "Synthesized original-direction packets are charged to the core, reply-direction ones only with reply_cost: true; all count in the kernel counters (forward chain counts both directions as nft does).",
            "Hardware-forwarded packets cost no CPU but still pass the core group's receive ring in this path model.",
            "Drops: NAME.table_full (conntrack drop), NAME.nat_exhausted and NAME.insert_failed (insert_failed), NAME.chaintoolong, NAME.invalid.",
            "Metrics: NAME.path.{slow,slow_new,fast,hw,dropped} (simulated packets), NAME.fast_path_share, NAME.cost_per_packet_ns, NAME.core_capacity_mpps, NAME.forward_chain.packets, NAME.flowtable.*, NAME.conntrack.* (conntrack -S names, entries, peak_entries, memory_bytes), NAME.nat.*.",
            "Costs and the lifecycle come from the flowtable and conntrack models: see lab describe flowtable, conntrack, nat.",
            "costs.*: measured values come from a cost profile (scenario key costs: FILE, lab calibrate); lab describe forward --costs FILE shows which.",
        ])
    {
        CostSection = Type,
        CostKeyPrefix = "costs.",
    };

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx) =>
        new ForwardStage(element.Name, (ForwardStageConfig)element.Config, ctx);

    /// <summary>Share of packets the flowtable (software or hardware) forwarded, and the CPU cost per packet.</summary>
    public IReadOnlyList<string> KeyMetrics { get; } = ["fast_path_share", "cost_per_packet_ns"];

    public IEnumerable<MetricValue> Metrics(IPacketStage stage, double measuredSeconds)
    {
        var s = (ForwardStage)stage;
        string n = s.Name + ".";
        var ct = s.Conntrack;
        var list = new List<MetricValue>
        {
            new(n + "packets", "packets", s.Packets),
            new(n + "path.slow", "packets", s.ByVerdict[(int)ForwardVerdict.SlowPath]),
            new(n + "path.slow_new", "packets", s.ByVerdict[(int)ForwardVerdict.SlowPathNew]),
            new(n + "path.fast", "packets", s.ByVerdict[(int)ForwardVerdict.FastPath]),
            new(n + "path.hw", "packets", s.ByVerdict[(int)ForwardVerdict.Hardware]),
            new(n + "path.dropped", "packets", s.ByVerdict[(int)ForwardVerdict.Dropped]),
            new(n + "fast_path_share", "ratio", Ratio(s.ByVerdict[(int)ForwardVerdict.FastPath] + s.ByVerdict[(int)ForwardVerdict.Hardware], s.Packets)),
            new(n + "hw_share", "ratio", Ratio(s.ByVerdict[(int)ForwardVerdict.Hardware], s.Packets)),
            new(n + "cost_per_packet_ns", "ns", Ratio(s.ChargedCost, s.Packets) / SimTime.Nanosecond),
            new(n + "core_capacity_mpps", "Mpps", s.ChargedCost > 0 ? s.Packets * 1e6 / s.ChargedCost : 0),
            new(n + "synthesized_packets", "packets", s.Synthesized),
            new(n + "forward_chain.packets", "packets", s.Path.ForwardChainPackets),
            new(n + "conntrack.found", "count", ct.Stats.found),
            new(n + "conntrack.invalid", "count", ct.Stats.invalid),
            new(n + "conntrack.insert", "count", ct.Stats.insert),
            new(n + "conntrack.insert_failed", "count", ct.Stats.insert_failed),
            new(n + "conntrack.drop", "count", ct.Stats.drop),
            new(n + "conntrack.early_drop", "count", ct.Stats.early_drop),
            new(n + "conntrack.clash_resolve", "count", ct.Stats.clash_resolve),
            new(n + "conntrack.chaintoolong", "count", ct.Stats.chaintoolong),
            new(n + "conntrack.entries", "entries", ct.Count),
            new(n + "conntrack.peak_entries", "entries", s.PeakEntries),
            new(n + "conntrack.max", "entries", ct.Config.Max),
            new(n + "conntrack.buckets", "buckets", ct.Buckets),
            new(n + "conntrack.memory_bytes", "bytes", ConntrackSizing.MemoryBytes(s.PeakEntries, ct.Buckets)),
        };
        if (s.Path.Flowtable is { } ft)
        {
            list.Add(new(n + "flowtable.lab_sw_packets", "packets", s.Path.FastPathPackets));
            list.Add(new(n + "flowtable.lab_hw_packets", "packets", s.Path.HardwarePackets));
            list.Add(new(n + "flowtable.entries", "entries", ft.Count));
            list.Add(new(n + "flowtable.hw_entries", "entries", ft.HardwareCount));
            list.Add(new(n + "flowtable.lab_added", "count", ft.Stats.LabAdded));
            list.Add(new(n + "flowtable.lab_torn_down", "count", ft.Stats.LabTornDown));
            list.Add(new(n + "flowtable.lab_expired_by_gc", "count", ft.Stats.LabExpiredByGc));
            list.Add(new(n + "flowtable.lab_hw_installed", "count", ft.Stats.LabHwInstalled));
            list.Add(new(n + "flowtable.lab_hw_install_failed", "count", ft.Stats.LabHwInstallFailed));
            list.Add(new(n + "flowtable.wq_add", "count", ft.Stats.wq_add));
        }
        if (s.Path.Nat is { } nat)
        {
            list.Add(new(n + "nat.lab_setups", "count", nat.Stats.LabSetups));
            list.Add(new(n + "nat.lab_attempts_per_setup", "checks", Ratio(nat.Stats.LabAttempts, nat.Stats.LabSetups)));
            list.Add(new(n + "nat.lab_max_attempts", "checks", nat.Stats.LabMaxAttempts));
            list.Add(new(n + "nat.lab_kept_port", "count", nat.Stats.LabKeptPort));
            list.Add(new(n + "nat.lab_exhausted", "count", nat.Stats.LabExhausted));
            list.Add(new(n + "nat.lab_evicted_closing", "count", nat.Stats.LabEvictedClosing));
        }
        return list;
    }

    static double Ratio(long a, long b) => b == 0 ? 0 : a / (double)b;
}
