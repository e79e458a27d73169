using System.Globalization;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.Validation;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>One trace packet compared: the model's verdict, what came out of the kernel, and the first difference (null when they agree).</summary>
public sealed record ForwardPacketComparison(string Check, ForwardTracePacket Packet, ForwardPacketObservation Kernel, string? Difference)
{
    public bool Agree => Difference is null;

    public string KernelVerdict => Kernel.First is not { } f ? "drop"
        : string.Create(CultureInfo.InvariantCulture, $"{(Kernel.Classic == true ? "classic" : "fast")}{(Kernel.Count > 1 ? $" x{Kernel.Count}" : "")} out {ForwardTracePacket.Ip(f.Source)}:{f.SourcePort} -> {ForwardTracePacket.Ip(f.Destination)}:{f.DestinationPort}");
}

/// <summary>
/// Compares a forward trace's model verdicts with the kernel run.
/// <para>Per packet: forwarded or dropped (its index came out of the DUT exactly once, or not at
/// all); the path, where the kernel had a flowtable (marked by the forward chain = classic, unmarked
/// = the flowtable's fast path); and where it left: a server packet at the model's de-NATed client
/// address and port exactly; a client packet with NAT at a public address of the pool (the model's
/// address when the pool has one) and, per flow, with the source port kept exactly when the model
/// kept it, else moved into the range the model searched (the kernel searches from a random
/// offset), the same for every packet of a flow; without NAT, unchanged.</para>
/// <para>Per counter: the forward chain's rule counter (where the kernel had the flowtable the
/// scenario asks for, or the scenario has none), packets delivered, conntrack -S insert_failed,
/// drop and early_drop, the entries conntrack -L lists by protocol with their [OFFLOAD],
/// [ASSURED] and [UNREPLIED] marks, per-flow entry agreement (state and marks), flows whose NAT
/// kept or moved the port, and the packets whose verdicts agree.</para>
/// </summary>
public sealed record ForwardComparison(string Check, IReadOnlyList<ValidationRow> Rows, IReadOnlyList<ForwardPacketComparison> Packets,
    IReadOnlyList<string> FlowDifferences, IReadOnlyList<string> Skipped)
{
    public bool AllAgree => Rows.All(r => r.Agree) && Packets.All(p => p.Agree) && FlowDifferences.Count == 0;

    public IEnumerable<ForwardPacketComparison> Disagreements => Packets.Where(p => !p.Agree);

    /// <param name="run">The kernel's side.</param>
    /// <param name="flowtableSkipped">Why the flowtable checks do not apply (the kernel has none), or null.</param>
    public static ForwardComparison Compare(ForwardKernelRun run, string? flowtableSkipped)
    {
        ArgumentNullException.ThrowIfNull(run);
        var t = run.Trace;
        string c = t.Check;
        var snat = t.Dut.Snat;
        bool pathChecks = flowtableSkipped is null || !t.Dut.Flowtable;
        var skipped = new List<string>();
        // Without the flowtable in the kernel, the model's offloaded connections keep the conntrack state of
        // the moment they were offloaded (the flowtable owns them), the kernel's go on: states and
        // [ASSURED] are not comparable either.
        if (!pathChecks) skipped.Add($"flowtable: {flowtableSkipped}; the per-packet path, the forward-chain counter, [OFFLOAD], TCP states and [ASSURED] are not compared (the ruleset had no flowtable)");
        // A replied UDP entry becomes ASSURED (6.2+: and gets the stream timeout) only on a packet more than
        // 2 s after its creation (nf_conntrack_udp_packet): wall time in the replay, simulated time in the model.
        bool udpAssured = !(run.Elapsed >= TimeSpan.FromSeconds(2) && t.Model.Entries.Any(e => e.Protocol == 17 && !e.Unreplied));
        if (!udpAssured) skipped.Add($"[ASSURED] of replied UDP entries: it depends on a packet arriving more than 2 s after the entry's creation, and the replay took {run.Elapsed.TotalSeconds:0.0} s of wall time where the trace spans {(t.Packets.Count == 0 ? 0 : t.Packets[^1].AtNanoseconds / 1e9):0.000} s");

        // The kernel's translation per flow: from the flow's first client packet that came out.
        var kernelNat = new Dictionary<int, (WireAddress Address, ushort Port)>();
        var modelNat = new Dictionary<int, (WireAddress Address, ushort Port, ushort Original)>();
        for (int i = 0; i < t.Packets.Count; i++)
        {
            var p = t.Packets[i];
            if (p.Side != ForwardSide.Client) continue;
            if (p.Forwarded) modelNat.TryAdd(p.Flow, (p.OutAddress, p.OutPort, p.SourcePort));
            if (run.Packets[i].First is { } f) kernelNat.TryAdd(p.Flow, (f.Source, f.SourcePort));
        }

        var packets = new List<ForwardPacketComparison>(t.Packets.Count);
        long delivered = 0, agree = 0;
        for (int i = 0; i < t.Packets.Count; i++)
        {
            var p = t.Packets[i];
            var k = run.Packets[i];
            delivered += k.Count;
            string? diff = Difference(p, k, pathChecks, t.Dut.SnatFor(p.Ipv6), kernelNat);
            packets.Add(new ForwardPacketComparison(c, p, k, diff));
            if (diff is null) agree++;
        }

        var rows = new List<ValidationRow>();
        if (pathChecks) rows.Add(new(c, "forward_chain.packets", t.Model.ForwardChainPackets, run.ForwardChainPackets));
        rows.Add(new(c, "delivered", t.Packets.Count(p => p.Forwarded), delivered));
        rows.Add(new(c, "conntrack.insert_failed", t.Model.InsertFailed, run.Stats.GetValueOrDefault("insert_failed")));
        rows.Add(new(c, "conntrack.drop", t.Model.Drop, run.Stats.GetValueOrDefault("drop")));
        rows.Add(new(c, "conntrack.early_drop", t.Model.EarlyDrop, run.Stats.GetValueOrDefault("early_drop")));
        foreach (var (proto, name) in new[] { (6, "tcp"), (17, "udp") })
        {
            var m = t.Model.Entries.Where(e => e.Protocol == proto).ToList();
            var k = run.Entries.Where(e => e.ProtocolNumber == proto).ToList();
            rows.Add(new(c, $"conntrack.entries.{name}", m.Count, k.Count));
            if (pathChecks) rows.Add(new(c, $"conntrack.offload.{name}", m.Count(e => e.Offload), k.Count(e => e.Offload)));
            // conntrack -L prints [OFFLOAD] in place of [ASSURED] (libnetfilter_conntrack __snprintf_status_assured):
            // assured is compared on the entries that are not offloaded.
            if (pathChecks && (proto == 6 || udpAssured)) rows.Add(new(c, $"conntrack.assured.{name}", m.Count(e => e.Assured && !e.Offload), k.Count(e => e.Assured && !e.Offload)));
            rows.Add(new(c, $"conntrack.unreplied.{name}", m.Count(e => e.Unreplied), k.Count(e => e.Unreplied)));
        }
        var flowDiffs = CompareEntries(t, run.Entries, pathChecks, udpAssured);
        rows.Add(new(c, "conntrack.entries_agree", t.Model.Entries.Count, t.Model.Entries.Count - flowDiffs.Count(d => d.Model)));
        if (snat is not null || t.Dut.Snat6 is not null)
        {
            rows.Add(new(c, "nat.port_kept", modelNat.Values.Count(v => v.Port == v.Original), kernelNat.Count(kv => Kept(t, kv.Key, kv.Value.Port))));
            rows.Add(new(c, "nat.port_moved", modelNat.Values.Count(v => v.Port != v.Original), kernelNat.Count(kv => !Kept(t, kv.Key, kv.Value.Port))));
        }
        rows.Add(new(c, "verdicts_agree", t.Packets.Count, agree));
        return new ForwardComparison(c, rows, packets, [.. flowDiffs.Select(d => d.Text)], skipped);
    }

    static bool Kept(ForwardTrace t, int flow, ushort port)
    {
        foreach (var p in t.Packets)
            if (p.Flow == flow && p.Side == ForwardSide.Client) return p.SourcePort == port;
        return false;
    }

    static string? Difference(ForwardTracePacket p, ForwardPacketObservation k, bool pathChecks, ForwardSnat? snat,
        Dictionary<int, (WireAddress Address, ushort Port)> kernelNat)
    {
        if (!p.Forwarded) return k.Count == 0 ? null : "forwarded by the kernel, dropped by the model";
        if (k.First is not { } f) return "dropped by the kernel, forwarded by the model";
        if (k.Count > 1) return string.Create(CultureInfo.InvariantCulture, $"came out {k.Count} times");
        if (pathChecks)
        {
            bool modelClassic = p.Simulated is ForwardPathTaken.Classic or ForwardPathTaken.ClassicNew;
            if (modelClassic != (k.Classic == true))
                return $"path: model {(modelClassic ? "classic (forward chain)" : "flowtable fast path")}, kernel {(k.Classic == true ? "classic (forward chain)" : "flowtable fast path")}";
        }
        if (p.Side == ForwardSide.Server)
        {
            if (f.Destination != p.OutAddress || f.DestinationPort != p.OutPort)
                return $"left towards {ForwardTracePacket.Ip(f.Destination)}:{f.DestinationPort}, the model's de-NAT gives {ForwardTracePacket.Ip(p.OutAddress)}:{p.OutPort}";
            return null;
        }
        if (f.Destination != p.Destination || f.DestinationPort != p.DestinationPort)
            return $"destination changed to {ForwardTracePacket.Ip(f.Destination)}:{f.DestinationPort}";
        bool translated = p.OutAddress != p.Source || p.OutPort != p.SourcePort;
        if (snat is null || !translated)
        {
            // No NAT, or an untracked packet the model left alone: the kernel must leave it alone too.
            if (f.Source != p.OutAddress || f.SourcePort != p.OutPort)
                return $"source {ForwardTracePacket.Ip(f.Source)}:{f.SourcePort}, the model sends it unchanged as {ForwardTracePacket.Ip(p.OutAddress)}:{p.OutPort}";
            return null;
        }
        if (f.Source < snat.MinAddress || f.Source > snat.MaxAddress)
            return $"source address {ForwardTracePacket.Ip(f.Source)} outside the pool {ForwardTracePacket.Ip(snat.MinAddress)}-{ForwardTracePacket.Ip(snat.MaxAddress)}";
        if (snat.MinAddress == snat.MaxAddress && f.Source != p.OutAddress)
            return $"source address {ForwardTracePacket.Ip(f.Source)}, the model's {ForwardTracePacket.Ip(p.OutAddress)}";
        if (kernelNat.TryGetValue(p.Flow, out var first) && (first.Address, first.Port) != (f.Source, f.SourcePort))
            return $"source {ForwardTracePacket.Ip(f.Source)}:{f.SourcePort}, the flow's first packet left as {ForwardTracePacket.Ip(first.Address)}:{first.Port}";
        bool modelKept = p.OutPort == p.SourcePort, kernelKept = f.SourcePort == p.SourcePort;
        if (modelKept != kernelKept)
            return string.Create(CultureInfo.InvariantCulture,
                $"source port {p.SourcePort}: model {(modelKept ? "kept it" : $"moved it to {p.OutPort}")}, kernel {(kernelKept ? "kept it" : $"moved it to {f.SourcePort}")}");
        if (!modelKept)
        {
            var (min, max) = snat.PortRangeFor(p.SourcePort);
            if (f.SourcePort < min || f.SourcePort > max)
                return string.Create(CultureInfo.InvariantCulture, $"source port moved to {f.SourcePort}, outside the range {min}-{max} the model searches");
        }
        return null;
    }

    /// <summary>Per flow: the model's entry and the kernel's, by original tuple; differences in existence, TCP state and marks.</summary>
    static List<(bool Model, string Text)> CompareEntries(ForwardTrace t, IReadOnlyList<ConntrackEntry> kernel, bool pathChecks, bool udpAssured)
    {
        var result = new List<(bool, string)>();
        var byTuple = new Dictionary<(int, WireAddress, ushort, WireAddress, ushort), ConntrackEntry>();
        foreach (var e in kernel)
            byTuple.TryAdd((e.ProtocolNumber, Ip(e.Original.Source), e.Original.SourcePort, Ip(e.Original.Destination), e.Original.DestinationPort), e);
        var seen = new HashSet<(int, WireAddress, ushort, WireAddress, ushort)>();
        foreach (var m in t.Model.Entries)
        {
            var key = (m.Protocol, m.Client, m.ClientPort, m.Server, m.ServerPort);
            seen.Add(key);
            string name = string.Create(CultureInfo.InvariantCulture, $"flow {m.Flow} ({(m.Protocol == 6 ? "tcp" : "udp")} {ForwardTracePacket.Endpoint(m.Client, m.ClientPort)} -> {ForwardTracePacket.Endpoint(m.Server, m.ServerPort)})");
            if (!byTuple.TryGetValue(key, out var k))
            {
                result.Add((true, $"{name}: the model has an entry, the kernel none"));
                continue;
            }
            var diffs = new List<string>();
            if (pathChecks && m.Offload != k.Offload) diffs.Add($"[OFFLOAD] model {m.Offload}, kernel {k.Offload}");
            // ctnetlink leaves the state out of an offloaded entry; compare it where both show one.
            if (pathChecks && m.TcpState is { } ms && k.State is { } ks && ms != ks) diffs.Add($"state model {ms}, kernel {ks}");
            if (pathChecks && m.Assured != k.Assured && !m.Offload && !k.Offload && (m.Protocol == 6 || udpAssured)) diffs.Add($"[ASSURED] model {m.Assured}, kernel {k.Assured}");
            if (m.Unreplied != k.Unreplied) diffs.Add($"[UNREPLIED] model {m.Unreplied}, kernel {k.Unreplied}");
            if (diffs.Count > 0) result.Add((true, $"{name}: {string.Join("; ", diffs)}"));
        }
        foreach (var k in kernel)
        {
            var key = (k.ProtocolNumber, Ip(k.Original.Source), k.Original.SourcePort, Ip(k.Original.Destination), k.Original.DestinationPort);
            if (!seen.Contains(key)) result.Add((false, $"kernel entry {k.Protocol} {k.Original} {k.State}: the model has none"));
        }
        return result;
    }

    static WireAddress Ip(System.Net.IPAddress a) => WireAddress.From(a);
}
