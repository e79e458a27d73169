using System.Globalization;
using System.Text;
using Lab.KernelLab.ForwardValidation;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>report.md of a forward validation folder: what ran where, how it was bounded, the result, every counter, the first disagreements.</summary>
public static class ForwardReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(LoadedScenario loaded, IReadOnlyList<ForwardValidatedPoint> points, ForwardKernelOutcome outcome, string? versionNote)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(outcome);
        var s = loaded.First;
        var sb = new StringBuilder();
        sb.Append(Inv, $"# Validation: {s.Name}\n\n");
        if (s.Description.Length > 0) sb.Append(s.Description).Append("\n\n");
        sb.Append(Inv, $"- Scenario: `{loaded.File}`, {points.Count} point(s), replication 0, seed {s.Run.Seed}, warm-up 0 (warm-up only restarts statistics; the results files here count from the start).\n");
        sb.Append(Inv, $"- Kernel: {outcome.Kernel}.\n");
        if (versionNote is not null) sb.Append(Inv, $"- Model version: {versionNote}, so that version-dependent behaviour is the kernel's.\n");
        sb.Append(Inv, $"- Trace: every packet entering the `forward` element, simulated and synthesized (SYN/ACK, handshake and closing ACKs, UDP replies), in arrival order, at most {ForwardValidation.MaxPackets} packets and {ForwardValidation.MaxFlows} flows per point:\n");
        foreach (var p in points)
        {
            sb.Append(Inv, $"  - {p.Label}: {p.Trace.Packets.Count} packets, {p.Trace.Flows} flows{(p.Capped ? " (cut at the bound; the simulation went on)" : " (the whole run)")}.");
            if (p.Trace.Model.Expired > 0)
                sb.Append(Inv, $" The model expired {p.Trace.Model.Expired} conntrack entries within the trace: the kernel got the scenario's timeouts, but the replay is not timed, so verdicts that depend on expiry may differ.");
            sb.Append('\n');
        }
        sb.Append("- Frames: `frames.pcap`, real IPv4 TCP/UDP frames; each packet's index is its IPv4 identification. TCP segments carry no payload and consistent sequence numbers (conntrack's window tracking accepts them); the model's frame sizes change no verdict. The model's verdict per packet: `simulated.csv`.\n");
        sb.Append("- Replay: client packets into the ingress link, server packets into the egress link, in the model's order, with an ICMP echo barrier every 32 frames and whenever the side changes; a server packet of a NATed flow goes to the address and port the kernel translated that flow to (its moved ports are random). Timing is not replayed.\n");
        sb.Append("- DUT: forward chain with the scenario's counting rules (at most 1000), a DSCP CS1 mark (classic path on the wire), `flow add @ft` and a flowtable on both links when the scenario has one, `snat to` the scenario's pool and ports, and the conntrack sysctls; timeouts are raised to at least 600 s where nothing expired in the model's trace.\n\n");

        sb.Append("## Result\n\n");
        if (outcome.Failure is { } failure) sb.Append(Inv, $"**The kernel run did not complete**: {failure}\n\n");
        foreach (var skip in outcome.Comparisons.SelectMany(c => c.Skipped).Distinct()) sb.Append(Inv, $"- Skipped: {skip}.\n");
        foreach (var note in outcome.Runs.SelectMany(r => r.Notes).Distinct()) sb.Append(Inv, $"- Note: {note}.\n");
        int badRows = outcome.Comparisons.Sum(c => c.Rows.Count(r => !r.Agree));
        int badPackets = outcome.Comparisons.Sum(c => c.Packets.Count(p => !p.Agree));
        int badFlows = outcome.Comparisons.Sum(c => c.FlowDifferences.Count);
        sb.Append(outcome.AllAgree
            ? "\n**All checks agree**: every packet's verdict, every counter and every conntrack entry.\n\n"
            : string.Create(Inv, $"\n**Disagreement**: {badPackets} packet verdicts, {badRows} counters and {badFlows} conntrack entries differ.\n\n"));

        sb.Append("## Counters\n\n`forward_chain.packets` is the forward chain's first rule counter; `conntrack.*` come from `conntrack -S` (summed over CPUs) and `conntrack -L` after the trace; `nat.port_kept`/`nat.port_moved` count flows; `verdicts_agree` the packets whose verdicts agree.\n\n");
        sb.Append("| check | metric | simulated | kernel | agree |\n|---|---|---|---|---|\n");
        foreach (var r in outcome.Comparisons.SelectMany(c => c.Rows))
            sb.Append(Inv, $"| {r.Check} | {r.Metric} | {r.Simulated} | {r.Kernel} | {(r.Agree ? "yes" : "**no**")} |\n");
        var first = outcome.Comparisons.SelectMany(c => ForwardFiles.FirstDisagreements(c, 20)).Take(20).ToList();
        if (first.Count > 0)
        {
            sb.Append("\n## First disagreeing packets\n\n");
            foreach (var line in first) sb.Append("- ").Append(line).Append('\n');
            sb.Append("\nAll packets: `packets.csv`.\n");
        }
        var flows = outcome.Comparisons.SelectMany(c => c.FlowDifferences).Take(20).ToList();
        if (flows.Count > 0)
        {
            sb.Append("\n## Conntrack entries that differ\n\n");
            foreach (var line in flows) sb.Append("- ").Append(line).Append('\n');
        }
        return sb.ToString();
    }
}
