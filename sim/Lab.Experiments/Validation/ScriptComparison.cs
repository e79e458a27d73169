using System.Globalization;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.ScriptValidation;
using Lab.Results;

namespace Lab.Experiments.Validation;

/// <summary>One compared fact of a scripted validation: a packet's fate, a probe row's field or a counter, model and kernel side by side.</summary>
/// <param name="AtSeconds">The script's instant (the packet's, or the probe's).</param>
/// <param name="Kind">packet, conntrack or conntrack_stats.</param>
/// <param name="Key">Which packet, entry or counter: the flow label and tuple, or the counter's name.</param>
/// <param name="Field">verdict, translation, present, state, flags, timeout, reply, or the counter.</param>
/// <param name="Documented">Set when the values differ for a reason documented with its kernel source (<see cref="ScriptComparison.DocumentedDifferences"/>); such a fact counts as agreeing.</param>
public sealed record ScriptCheck(double AtSeconds, string Kind, string Key, string Field, string Model, string Kernel, bool Agree, string? Documented = null);

/// <summary>
/// Compares a script's model run with the kernel's (<see cref="ScriptKernelRun"/>): every packet
/// (forwarded or dropped; for a forwarded client packet the source the server side saw, for a reply
/// the destination the client side saw), every conntrack entry at every probe (present in both, TCP
/// state, UNREPLIED/ASSURED flags, reply tuple, remaining timeout) and every conntrack -S counter the
/// kernel prints. Allowances, each for a reason the kernel gives:
/// <list type="bullet">
/// <item>A source port that NAT moved is chosen from a random offset (get_random_u16 in
/// nf_nat_l4proto_unique_tuple, net/netfilter/nf_nat_core.c, 6.12): where the model moved a
/// port, the kernel must have moved it too, into the same range (the nat range, or the class 1-511,
/// 600-1023, 1024-65535 of the original port); where the model kept it, the kernel must have kept it.</item>
/// <item>The remaining timeout: the replay runs in real time and the probe's tools run a few
/// milliseconds after the instant; ctnetlink_dump_timeout rounds down to whole seconds, so the kernel
/// may print one second less than the model (never more).</item>
/// </list>
/// </summary>
public static class ScriptComparison
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<ScriptCheck> Compare(ForwardTrace trace, IReadOnlyList<string> flowLabels, IReadOnlyList<ProbeRecord> modelProbes,
        string element, ScriptKernelRun kernel)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(modelProbes);
        ArgumentNullException.ThrowIfNull(kernel);
        var checks = new List<ScriptCheck>();
        for (int i = 0; i < trace.Packets.Count; i++) ComparePacket(checks, trace, trace.Packets[i], kernel.Packets[i], flowLabels, kernel.FlowtableUsed);
        CompareDropReasons(checks, trace, kernel, flowLabels);
        foreach (var probe in kernel.Probes)
        {
            double at = probe.AtNanoseconds / 1e9;
            var rows = modelProbes.Where(r => r.Element == element && Math.Abs(r.TimeSeconds - at) < 1e-9).ToList();
            int expiredLate = CompareEntries(checks, trace, at, rows.Where(r => r.Table == "conntrack").ToList(), probe, kernel.LateNanoseconds);
            CompareStats(checks, at, rows.Where(r => r.Table == "conntrack_stats").ToList(), probe, rows.Count(r => r.Table == "conntrack"), expiredLate);
        }
        return checks;
    }

    static string PacketKey(ForwardTracePacket p, IReadOnlyList<string> labels) =>
        string.Create(Inv, $"#{p.Index} {(p.Index < labels.Count ? labels[p.Index] : "")} {p.Describe()}");

    static void ComparePacket(List<ScriptCheck> checks, ForwardTrace trace, ForwardTracePacket p, ForwardPacketObservation k, IReadOnlyList<string> labels, bool flowtable)
    {
        double at = p.AtNanoseconds / 1e9;
        string key = PacketKey(p, labels);
        string model = p.Forwarded ? "forwarded" : "dropped (" + p.DropReason + ")";
        string kern = k.Count > 0 ? "forwarded" : "dropped";
        checks.Add(new ScriptCheck(at, "packet", key, "verdict", model, kern, p.Forwarded == k.Count > 0));
        if (!p.Forwarded || k.First is not { } seen) return;
        // With a flowtable: the forward chain marks what it sees (DSCP), the ingress fast path skips it.
        if (flowtable && k.Classic is bool classic)
        {
            string mp = p.ForwardChain ? "classic" : "fast", kp = classic ? "classic" : "fast";
            checks.Add(new ScriptCheck(at, "packet", key, "path", mp, kp, mp == kp));
        }
        bool client = p.Side == ForwardSide.Client;
        var (addr, port) = client ? (seen.Source, seen.SourcePort) : (seen.Destination, seen.DestinationPort);
        ushort original = client ? p.SourcePort : p.DestinationPort;
        bool agree = addr == p.OutAddress && (client ? PortAgrees(trace.Dut.SnatFor(p.Ipv6), original, p.OutPort, port) : port == p.OutPort);
        checks.Add(new ScriptCheck(at, "packet", key, client ? "source at the server" : "destination at the client",
            Endpoint(p.OutAddress, p.OutPort), Endpoint(addr, port), agree));
    }

    /// <summary>
    /// Each packet the kernel dropped, with the model's cause beside the skb drop reason the kernel recorded
    /// (<see cref="DropReasonMap.ForForward"/>): the events between the packet's marker and the previous one of its link
    /// (<see cref="DropAttribution"/>). A recording from before the markers pairs events with packets in order within each
    /// probe interval (<see cref="KernelDropTrace.Pair"/>) when the counts match, and shows them unattributed otherwise
    /// (the verdict check alone decides).
    /// </summary>
    static void CompareDropReasons(List<ScriptCheck> checks, ForwardTrace trace, ScriptKernelRun kernel, IReadOnlyList<string> labels)
    {
        if (kernel.DropReasonsUnavailable is not null) return;
        foreach (var interval in kernel.DropIntervals)
        {
            var range = Enumerable.Range(interval.First, interval.End - interval.First).ToList();
            var dropped = range.Where(i => kernel.Packets[i].Count == 0).ToList();
            // IPv6 frames the DUT sends the harness are freed there with another reason than IPv4 ones (ScriptKernelRun.HarnessDropReason6),
            // one no played packet gets in the DUT: the markers' attribution leaves them out as it leaves out the IPv4 harness reason.
            var events = kernel.HarnessDropReason6 is { } h6 ? [.. interval.Drops.Where(d => d.Reason != h6)] : interval.Drops;
            var attributed = DropAttribution.Attribute(events, [.. range.Select(i => ((int)trace.Packets[i].Side, kernel.Packets[i].Count == 0))], kernel.HarnessDropReason,
                [.. range.Select(i => trace.Packets[i].Forwarded ? null : DropReasonMap.ForForward(trace.Packets[i].DropReason ?? "").Reason)]);
            // The harness drops every frame the DUT sent it: forwarded packets and ICMP errors about dropped ones alike.
            int ToHarness(bool v6) => range.Where(i => trace.Packets[i].Ipv6 == v6).Sum(i => kernel.Packets[i].Count + kernel.Packets[i].IcmpErrors);
            var paired = attributed is not null ? null
                : KernelDropTrace.Pair(WithoutHarness(WithoutHarness(interval.Drops, kernel.HarnessDropReason, ToHarness(false)), kernel.HarnessDropReason6, ToHarness(true)), dropped.Count);
            for (int j = 0; j < dropped.Count; j++)
            {
                var p = trace.Packets[dropped[j]];
                string key = PacketKey(p, labels);
                string model = p.Forwarded ? "forwarded" : p.DropReason == ForwardProbe.NoRouteCounter ? "no route (IpExt InNoRoutes)" : "conntrack -S " + p.DropReason;
                var expected = DropReasonMap.ForForward(p.DropReason ?? "");
                double at = p.AtNanoseconds / 1e9;
                if (attributed is not null) checks.Add(DropCheck(at, key, model, !p.Forwarded, expected, attributed[dropped[j] - interval.First]));
                else if (paired is null) checks.Add(Unattributed(at, key, model, interval.Drops, dropped.Count));
                else checks.Add(DropCheck(at, key, model, !p.Forwarded, expected, new PacketDrops([paired[j]], false)));
            }
        }
    }

    /// <summary>What the "who is dropping" table shows where no event could be given to the packet; counted apart (<see cref="IsUnattributed"/>).</summary>
    public const string UnattributedPrefix = "unattributed: ";

    /// <summary>A drop_reason check with no kernel event of the packet's own to compare: not a disagreement (the verdict check decides).</summary>
    public static bool IsUnattributed(ScriptCheck c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.Kind == "drop_reason" && c.Kernel.StartsWith(UnattributedPrefix, StringComparison.Ordinal);
    }

    internal static ScriptCheck Unattributed(double at, string key, string model, IReadOnlyList<KernelDrop> events, int dropped) =>
        new(at, "drop_reason", key, "reason", model,
            string.Create(Inv, $"{UnattributedPrefix}{events.Count} events for {dropped} drops ({string.Join(' ', events.Select(d => d.Reason))})"), true,
            "a recording without drop markers, whose trace held another number of drops than packets dropped in this interval");

    /// <summary>
    /// One dropped packet's reason check from the events attributed to it: agrees when one of them is the reason the
    /// model's cause maps to (<paramref name="expected"/>); a reason the kernel does not record specifically is documented.
    /// </summary>
    internal static ScriptCheck DropCheck(double at, string key, string model, bool modelDropped, KernelDropExpectation expected, PacketDrops drops)
    {
        if (drops.Ambiguous)
            return new(at, "drop_reason", key, "reason", model, UnattributedPrefix + "a dropped packet on the other link was handled between the same markers", true,
                "the guest handled the two links out of the order sent, and both packets were dropped: their events cannot be told apart");
        if (drops.Events.Count == 0)
            return new(at, "drop_reason", key, "reason", model, UnattributedPrefix + "no kfree_skb event between its markers", true,
                "the kernel recorded no drop event for this packet");
        var k = drops.Events.FirstOrDefault(e => e.Reason == expected.Reason) ?? drops.Events[0];
        string kern = string.Join(" + ", drops.Events.Select(e => e.Location.Length > 0 ? $"{e.Reason} at {e.Location}" : e.Reason));
        bool agree = modelDropped && k.Reason == expected.Reason;
        return new(at, "drop_reason", key, "reason", model, kern, agree, agree && !expected.Specific ? "no skb_drop_reason of its own: " + expected.Source : null);
    }

    /// <summary>Removes one <paramref name="harnessReason"/> event per frame the DUT sent to the harness (<see cref="ScriptKernelRun.HarnessDropReason"/>).</summary>
    static List<KernelDrop> WithoutHarness(IReadOnlyList<KernelDrop> events, string? harnessReason, int forwarded)
    {
        var left = new List<KernelDrop>(events);
        if (harnessReason is null) return left;
        for (int n = 0; n < forwarded; n++)
        {
            int i = left.FindIndex(d => d.Reason == harnessReason);
            if (i < 0) break;
            left.RemoveAt(i);
        }
        return left;
    }

    /// <summary>See the class: a moved port agrees with any port of the same range, a kept one only with itself.</summary>
    static bool PortAgrees(ForwardSnat? nat, ushort original, ushort model, ushort kernel)
    {
        if (model == original || nat is not { } snat) return kernel == model;
        if (kernel == original) return false;
        var (min, max) = snat.PortRangeFor(original);
        return kernel >= min && kernel <= max;
    }

    /// <summary>
    /// ctnetlink_fill_info (net/netfilter/nf_conntrack_netlink.c, 6.1 and 6.18) dumps no timeout and no protocol info for an
    /// entry with IPS_OFFLOAD set, so conntrack -L prints neither for it; conntrack-tools prints one status word of
    /// [OFFLOAD], [HW_OFFLOAD], [ASSURED], in that order of precedence (libnetfilter_conntrack, __snprintf_status_assured).
    /// </summary>
    public const string OffloadHidden = "the kernel dumps no state or timeout for an [OFFLOAD] entry (ctnetlink_fill_info), and conntrack prints [OFFLOAD] instead of [ASSURED]";

    /// <summary>
    /// An entry the model lists with so little time left that the kernel's timeout allowance (<see cref="TimeoutBounds"/>)
    /// reaches below zero may have expired before the tools ran: ctnetlink's dump skips an expired entry (nf_ct_is_expired
    /// in ctnetlink_dump_table) and nf_conntrack_count drops when the gc or a lookup reaps it. fuzz-20261206-119: a UDP
    /// entry with 84 ms left at the 2.709 s probe (reply at 0.793 s, udp 2 s), tools back at 3.057 s: gone in the guest.
    /// </summary>
    public const string ExpiredWhileProbing = "the entry had less time left than the tools ran late: it expired before they read the table (ctnetlink skips expired entries)";

    /// <summary>Compares the entries; returns how many the model lists that the kernel no longer did for <see cref="ExpiredWhileProbing"/>.</summary>
    static int CompareEntries(List<ScriptCheck> checks, ForwardTrace trace, double at, List<ProbeRecord> model, KernelProbe probe, long lateNanoseconds)
    {
        int expiredLate = 0;
        var kernelByKey = new Dictionary<string, ConntrackEntry>(StringComparer.Ordinal);
        foreach (var e in probe.Entries) kernelByKey.TryAdd(EntryKey(e.Protocol, e.Original), e);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in model)
        {
            var c = row.Cells.ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal);
            string key = string.Create(Inv, $"{c["proto"]} src={c["src"]} dst={c["dst"]} sport={c["sport"]} dport={c["dport"]}");
            string shown = (c.GetValueOrDefault("flow") is { Length: > 0 } f ? f + " " : "") + key;
            seen.Add(key);
            if (!kernelByKey.TryGetValue(key, out var k))
            {
                bool late = TimeoutBounds(long.Parse(c["timeout"], Inv), probe, lateNanoseconds).Low < 0;
                if (late) expiredLate++;
                checks.Add(new ScriptCheck(at, "conntrack", shown, "present", "listed", "absent", late, late ? ExpiredWhileProbing : null));
                continue;
            }
            checks.Add(new ScriptCheck(at, "conntrack", shown, "present", "listed", "listed", true));
            bool offloaded = k.Offload || k.HardwareOffload;
            string ms = c.GetValueOrDefault("state") ?? "", ks = k.State ?? "";
            if (offloaded && ks.Length == 0 && ms.Length > 0) checks.Add(new ScriptCheck(at, "conntrack", shown, "state", ms, ks, true, OffloadHidden));
            else if (k.Protocol == "tcp" || ms.Length > 0) checks.Add(new ScriptCheck(at, "conntrack", shown, "state", ms, ks, ms == ks));
            string mf = Flags(c.GetValueOrDefault("flags") ?? ""), kf = Flags(k);
            if (mf.Contains("OFFLOAD", StringComparison.Ordinal)) mf = string.Join(' ', mf.Split(' ').Where(f => f != "ASSURED"));
            checks.Add(new ScriptCheck(at, "conntrack", shown, "flags", mf, kf, mf == kf));
            var reply = k.Reply;
            string mr = $"src={c["reply_src"]} dst={c["reply_dst"]} sport={c["reply_sport"]} dport={c["reply_dport"]}";
            bool replyAgree = reply.Source.ToString() == c["reply_src"] && reply.Destination.ToString() == c["reply_dst"]
                && reply.SourcePort.ToString(Inv) == c["reply_sport"]
                && PortAgrees(trace.Dut.SnatFor(c["src"].Contains(':', StringComparison.Ordinal)), ushort.Parse(c["sport"], Inv), ushort.Parse(c["reply_dport"], Inv), reply.DestinationPort);
            checks.Add(new ScriptCheck(at, "conntrack", shown, "reply", mr, reply.ToString(), replyAgree));
            long mt = long.Parse(c["timeout"], Inv);
            string kt = k.TimeoutSeconds?.ToString(Inv) ?? "";
            if (offloaded && k.TimeoutSeconds is null)
            {
                checks.Add(new ScriptCheck(at, "conntrack", shown, "timeout", mt.ToString(Inv), kt, true, OffloadHidden));
                continue;
            }
            var (low, high) = TimeoutBounds(mt, probe, lateNanoseconds);
            bool tAgree = k.TimeoutSeconds is int t && t >= low && t <= high;
            checks.Add(new ScriptCheck(at, "conntrack", shown, "timeout", mt.ToString(Inv), kt, tAgree));
        }
        foreach (var (key, k) in kernelByKey)
        {
            if (seen.Contains(key)) continue;
            checks.Add(new ScriptCheck(at, "conntrack", key, "present", "absent", $"listed {k.State} {Flags(k)} {k.TimeoutSeconds}".Trim(), false));
        }
        return expiredLate;
    }

    /// <summary>
    /// The kernel timeouts that agree with the model's <paramref name="model"/> seconds at a probe. The tools run after the
    /// instant (<see cref="KernelProbe.TakenNanoseconds"/>) and ctnetlink_dump_timeout rounds down, so the kernel may print
    /// one second less, and one more for each whole second the probe ran late (an emulated guest needs 0.3-1 s per probe,
    /// over 2 s under load: fuzz-20261206-19; the taken instant is when the tools' output was back).
    /// A packet sent late refreshes its entry's timeout late, so the kernel may print more: when the replay fell behind by
    /// more than <see cref="ScriptValidation.LateWarningNanoseconds"/>, up to the replay's largest lateness, rounded up.
    /// On the host (a few milliseconds late) this is the exact model value or one second less.
    /// </summary>
    public static (long Low, long High) TimeoutBounds(long model, KernelProbe probe, long lateNanoseconds)
    {
        ArgumentNullException.ThrowIfNull(probe);
        long probeLate = Math.Max(0, probe.TakenNanoseconds - probe.AtNanoseconds);
        long low = model - 1 - probeLate / 1_000_000_000;
        long high = model + (lateNanoseconds > ScriptValidation.LateWarningNanoseconds ? (lateNanoseconds + 999_999_999) / 1_000_000_000 : 0);
        return (low, high);
    }

    static string EntryKey(string proto, ConntrackTupleText t) => string.Create(Inv, $"{proto} {t}");

    static string Flags(string modelFlags) =>
        string.Join(' ', modelFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(f => f is "UNREPLIED" or "ASSURED" or "OFFLOAD" or "HW_OFFLOAD").Order(StringComparer.Ordinal));

    static string Flags(ConntrackEntry e)
    {
        var f = new List<string>(4);
        if (e.Unreplied) f.Add("UNREPLIED");
        if (e.Assured) f.Add("ASSURED");
        if (e.Offload) f.Add("OFFLOAD");
        if (e.HardwareOffload) f.Add("HW_OFFLOAD");
        return string.Join(' ', f.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Counters where the model and the kernels here differ for a known reason (captures/VALIDATION.md).
    /// <c>insert</c>: the model counts every confirmed entry, as __nf_conntrack_confirm did in older
    /// kernels; in the kernels validated here (6.1 and 6.18: net/netfilter/nf_conntrack_core.c,
    /// __nf_conntrack_confirm ends in __nf_conntrack_hash_insert without NF_CT_STAT_INC(net, insert)) only
    /// nf_conntrack_hash_check_insert, the insert of an entry created over ctnetlink (conntrack -I),
    /// counts it, so conntrack -S prints insert=0 for forwarded traffic. The model's counter stays as it
    /// is: scenarios and their tests use it as "entries created".
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> DocumentedDifferences = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["insert"] = "the kernel counts only ctnetlink inserts (nf_conntrack_hash_check_insert); __nf_conntrack_confirm no longer counts insert",
    };

    /// <summary>
    /// nf_conntrack_count counts expired entries until the gc worker reaps them. The kernel's conntrack
    /// hash and its gc_worker are shared by every network namespace (nf_conntrack_hash and the one
    /// conntrack_gc_work in net/netfilter/nf_conntrack_core.c): the next run is tuned from the remaining
    /// timeouts of all entries on the machine, not only the DUT's, so on a shared host expired entries are
    /// reaped sooner than the model's gc (which sees the DUT's entries only) reaps them. A kernel count
    /// between the entries both list and the model's count is that difference, documented, not a disagreement.
    /// </summary>
    public const string ReapedSooner = "expired entries reaped sooner: the kernel's gc_worker is shared by all namespaces on the host and runs on their entries' timeouts too";

    /// <summary>Every counter the kernel prints that the model keeps, nf_conntrack_count (conntrack -C) among them.</summary>
    static void CompareStats(List<ScriptCheck> checks, double at, List<ProbeRecord> model, KernelProbe probe, int modelListed, int expiredLate)
    {
        var m = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in model)
        {
            var c = row.Cells.ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal);
            m[c["counter"]] = c["value"];
        }
        foreach (var (name, value) in probe.Stats)
        {
            if (!m.TryGetValue(name, out var mv)) continue;
            string kv = value.ToString(Inv);
            if (mv != kv && name == "nf_conntrack_count" && value >= modelListed - expiredLate && value < long.Parse(mv, Inv))
                checks.Add(new ScriptCheck(at, "conntrack_stats", name, "value", mv, kv, true, value < modelListed ? ExpiredWhileProbing : ReapedSooner));
            else if (mv != kv && DocumentedDifferences.TryGetValue(name, out var why) && kv == "0")
                checks.Add(new ScriptCheck(at, "conntrack_stats", name, "value", mv, kv, true, why));
            else checks.Add(new ScriptCheck(at, "conntrack_stats", name, "value", mv, kv, mv == kv));
        }
    }

    static string Endpoint(WireAddress a, ushort port) => ForwardTracePacket.Endpoint(a, port);

    /// <summary>script-validation.csv: every compared fact.</summary>
    public static string Csv(IEnumerable<ScriptCheck> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var sb = new System.Text.StringBuilder("time_s,kind,key,field,model,kernel,agree\n");
        foreach (var c in checks)
            sb.Append(string.Create(Inv, $"{c.AtSeconds:0.######},{c.Kind},{Quote(c.Key)},{c.Field},{Quote(c.Model)},{Quote(c.Kernel)},{(c.Documented is not null ? "documented" : c.Agree ? "yes" : "no")}\n"));
        return sb.ToString();
    }

    static string Quote(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    /// <summary>The report's table of the facts that disagree (nothing when all agree); <paramref name="timeFormat"/> formats their instants in seconds.</summary>
    public static void AppendDisagreements(System.Text.StringBuilder sb, IReadOnlyList<ScriptCheck> checks, string timeFormat)
    {
        ArgumentNullException.ThrowIfNull(sb);
        var bad = checks.Where(c => !c.Agree).ToList();
        if (bad.Count == 0) return;
        sb.Append("\n| time_s | what | field | model | kernel |\n|---|---|---|---|---|\n");
        foreach (var c in bad) sb.Append(Inv, $"| {c.AtSeconds.ToString(timeFormat, Inv)} | {c.Key} | {c.Field} | {c.Model} | {c.Kernel} |\n");
    }

    /// <summary>The terminal's "  KIND: A/N agree" line for each kind, in the order given.</summary>
    public static void WriteAgreementByKind(TextWriter o, IReadOnlyList<ScriptCheck> checks, params string[] kinds)
    {
        ArgumentNullException.ThrowIfNull(o);
        foreach (var kind in kinds)
        {
            var c = checks.Where(x => x.Kind == kind).ToList();
            o.WriteLine(string.Create(Inv, $"  {kind}: {c.Count(x => x.Agree)}/{c.Count} agree"));
        }
    }

    /// <summary>"Who is dropping my packets": each packet either side dropped, the model's cause beside the kernel's reason.</summary>
    public static IEnumerable<string> DropTable(IReadOnlyList<ScriptCheck> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var rows = checks.Where(c => c.Kind == "drop_reason").ToList();
        if (rows.Count == 0) yield break;
        int wk = rows.Max(c => c.Key.Length), wm = Math.Max(11, rows.Max(c => c.Model.Length));
        yield return string.Create(Inv, $"  {"time_s",8}  {"packet".PadRight(wk)}  {"model cause".PadRight(wm)}  kernel skb drop reason");
        foreach (var c in rows)
            yield return string.Create(Inv, $"  {c.AtSeconds,8:0.######}  {c.Key.PadRight(wk)}  {c.Model.PadRight(wm)}  {c.Kernel}{(c.Agree ? "" : "   <- differs")}");
    }

    /// <summary>The side-by-side table of disagreements for the terminal.</summary>
    public static IEnumerable<string> Table(IEnumerable<ScriptCheck> disagreements)
    {
        ArgumentNullException.ThrowIfNull(disagreements);
        var list = disagreements.ToList();
        if (list.Count == 0) yield break;
        int wk = Math.Min(60, list.Max(c => c.Key.Length)), wf = list.Max(c => c.Field.Length), wm = Math.Max(5, list.Max(c => c.Model.Length));
        yield return string.Create(Inv, $"  {"time_s",8}  {"what".PadRight(wk)}  {"field".PadRight(wf)}  {"model".PadRight(wm)}  kernel");
        foreach (var c in list)
            yield return string.Create(Inv, $"  {c.AtSeconds,8:0.###}  {Cut(c.Key, wk).PadRight(wk)}  {c.Field.PadRight(wf)}  {c.Model.PadRight(wm)}  {c.Kernel}");
    }

    static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
