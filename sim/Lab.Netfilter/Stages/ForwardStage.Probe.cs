using Lab.Core;
using Lab.Models.Metrics;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using static Lab.Models.Metrics.ProbeLog;

namespace Lab.Netfilter.Stages;

/// <summary>
/// State snapshots of the forwarding box, as the kernel's tools print them:
/// <list type="bullet">
/// <item><c>conntrack</c>: one row per entry <c>conntrack -L</c> would list (ctnetlink_dump_table:
/// confirmed, not dying, not expired), with both tuples, the TCP state (tcp_conntrack_names), the
/// flags UNREPLIED (no IPS_SEEN_REPLY), ASSURED, OFFLOAD, HW_OFFLOAD, the remaining timeout in whole
/// seconds as ctnetlink_dump_timeout computes it (nf_ct_expires in jiffies, divided by HZ,
/// truncated), and the mark (the model sets none: 0);</item>
/// <item><c>conntrack_stats</c>: the <c>conntrack -S</c> counters by kernel name, and nf_conntrack_count;</item>
/// <item><c>nat</c>: per listed entry, the original source and the source it is translated to;</item>
/// <item><c>flowtable</c>: the flowtable's entries (struct flow_offload): tuples, flags, remaining timeout.</item>
/// </list>
/// Rows are sorted by original tuple, not in hash order, so that they compare across runs. A probe
/// runs the conntrack gc and the flowtable work that was due by then (they would run at the same
/// instants anyway) and changes nothing else: unlike a real dump, it does not evict expired entries.
/// </summary>
public sealed partial class ForwardStage : IProbeable
{
    static readonly string[] TcpStateNames =
        ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"];

    public void Probe(long now, ProbeLog log)
    {
        Path.AdvanceTo(now);
        long jiffy = SimTime.Second / Conntrack.Config.Hz;
        long nowJ = FloorDiv(now, jiffy);
        var listed = new List<int>();
        for (int id = 0; id < Conntrack.Capacity; id++)
        {
            ref readonly var e = ref Conntrack.Entry(id);
            if (!e.InUse || !e.Is(ConntrackStatus.Confirmed) || e.Is(ConntrackStatus.Dying)) continue;
            if (FloorDiv(e.Timeout, jiffy) - nowJ <= 0) continue; // nf_ct_is_expired: the dump skips it
            listed.Add(id);
        }
        listed.Sort((a, b) => Compare(Conntrack.Entry(a).Orig, Conntrack.Entry(b).Orig));
        foreach (int id in listed)
        {
            ref readonly var e = ref Conntrack.Entry(id);
            long seconds = (FloorDiv(e.Timeout, jiffy) - nowJ) / Conntrack.Config.Hz;
            log.Add(now, Name, "conntrack",
            [
                Cell("flow", Label(e.Orig, e.Reply)), Cell("proto", ProtoName(e.Orig.Proto)),
                Cell("state", e.Orig.Proto == IpProto.Tcp ? TcpStateNames[(int)e.TcpState] : ""),
                .. TupleCells(e.Orig, ""), .. TupleCells(e.Reply, "reply_"),
                Cell("flags", Flags(e.Status)), Cell("timeout", seconds), Cell("mark", 0),
            ]);
        }
        var s = Conntrack.Stats;
        foreach (var (name, value) in new[]
        {
            ("found", s.found), ("invalid", s.invalid), ("insert", s.insert), ("insert_failed", s.insert_failed),
            ("drop", s.drop), ("early_drop", s.early_drop), ("error", s.error), ("search_restart", s.search_restart),
            ("clash_resolve", s.clash_resolve), ("chaintoolong", s.chaintoolong), ("nf_conntrack_count", (long)Conntrack.Count),
        })
            log.Add(now, Name, "conntrack_stats", Cell("counter", name), Cell("value", value));

        if (Path.Nat is not null)
        {
            foreach (int id in listed)
            {
                ref readonly var e = ref Conntrack.Entry(id);
                log.Add(now, Name, "nat",
                [
                    Cell("flow", Label(e.Orig, e.Reply)), Cell("proto", ProtoName(e.Orig.Proto)), .. TupleCells(e.Orig, ""),
                    Cell("nat_src", e.Reply.DstText), Cell("nat_sport", e.Reply.DstPort),
                    Cell("flags", e.Is(ConntrackStatus.SrcNat) ? "SNAT" : ""),
                ]);
            }
        }
        if (Path.Flowtable is { } ft) ProbeFlowtable(ft, now, jiffy, nowJ, log);
    }

    void ProbeFlowtable(FlowTable ft, long now, long jiffy, long nowJ, ProbeLog log)
    {
        var flows = new List<int>();
        for (int id = 0; id < ft.Capacity; id++)
            if (ft.Entry(id).InUse) flows.Add(id);
        flows.Sort((a, b) => Compare(ft.Entry(a).Orig, ft.Entry(b).Orig));
        foreach (int id in flows)
        {
            ref readonly var f = ref ft.Entry(id);
            long seconds = Math.Max(0, FloorDiv(f.Timeout, jiffy) - nowJ) / Conntrack.Config.Hz;
            var names = new List<string>();
            foreach (var (flag, name) in new[] { (FlowFlags.Snat, "SNAT"), (FlowFlags.Dnat, "DNAT"), (FlowFlags.Closing, "CLOSING"), (FlowFlags.Teardown, "TEARDOWN"), (FlowFlags.Hw, "HW") })
                if (f.Has(flag)) names.Add(name);
            log.Add(now, Name, "flowtable",
            [
                Cell("flow", Label(f.Orig, f.Reply)), Cell("proto", ProtoName(f.Orig.Proto)),
                .. TupleCells(f.Orig, ""), .. TupleCells(f.Reply, "reply_"),
                Cell("flags", string.Join(' ', names)), Cell("timeout", seconds),
            ]);
        }
    }

    string Label(in FlowTuple orig, in FlowTuple reply) =>
        _scriptLabels.TryGetValue(orig, out var l) ? l : _scriptLabels.TryGetValue(reply, out l) ? l : "";

    static KeyValuePair<string, string>[] TupleCells(in FlowTuple t, string prefix) =>
    [
        Cell(prefix + "src", t.SrcText), Cell(prefix + "dst", t.DstText),
        Cell(prefix + "sport", t.SrcPort), Cell(prefix + "dport", t.DstPort),
    ];

    static string Flags(ConntrackStatus s)
    {
        var names = new List<string>();
        if ((s & ConntrackStatus.SeenReply) == 0) names.Add("UNREPLIED");
        if ((s & ConntrackStatus.Assured) != 0) names.Add("ASSURED");
        if ((s & ConntrackStatus.Offload) != 0) names.Add("OFFLOAD");
        if ((s & ConntrackStatus.HwOffload) != 0) names.Add("HW_OFFLOAD");
        return string.Join(' ', names);
    }

    static string ProtoName(IpProto p) => p switch { IpProto.Tcp => "tcp", IpProto.Udp => "udp", IpProto.Esp => "esp", IpProto.Icmp => "icmp", _ => ((byte)p).ToString(System.Globalization.CultureInfo.InvariantCulture) };

    static int Compare(in FlowTuple a, in FlowTuple b)
    {
        int c = a.Family.CompareTo(b.Family); // IPv4 rows first, then IPv6
        if (c == 0) c = a.SrcIp.CompareTo(b.SrcIp);
        if (c == 0) c = a.SrcPort.CompareTo(b.SrcPort);
        if (c == 0) c = a.DstIp.CompareTo(b.DstIp);
        if (c == 0) c = a.DstPort.CompareTo(b.DstPort);
        return c != 0 ? c : a.Proto.CompareTo(b.Proto);
    }

    static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
