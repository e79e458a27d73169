using Lab.Core;
using System.Globalization;
using System.Text;
using Lab.KernelLab.Validation;
using Lab.Esp;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>report.md of a validation folder: what ran where, the result, every counter, the first disagreements.</summary>
public static class ValidationReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(LoadedScenario loaded, IReadOnlyList<ValidatedPoint> points, KernelOutcome outcome, int clampedLengths, Wording wording)
    {
        ArgumentNullException.ThrowIfNull(wording);
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(outcome);
        var s = loaded.First;
        long packets = points.Sum(p => p.Plan.AllPackets.LongCount());
        var sb = new StringBuilder();
        sb.Append(Inv, $"# Validation: {s.Name}\n\n");
        if (s.Description.Length > 0) sb.Append(s.Description).Append("\n\n");
        sb.Append(Inv, $"- Scenario: `{loaded.File}`, {points.Count} point(s), replication 0, seed {s.Run.Seed}.\n");
        sb.Append(Inv, $"- Kernel: {outcome.Kernel}.\n");
        sb.Append(Inv, $"- Frames: `frames.pcap`, {packets} ESP frames (rfc4106(gcm(aes)), ICV 128) as the simulation delivered them to the esp_in element, SA after SA; each inner UDP packet carries its index. Verdicts of the model per packet: `simulated.csv`.\n");
        if (clampedLengths > 0)
            sb.Append(Inv, $"- {clampedLengths} inner packets were sent at {EspTraceFrames.MinInnerLength(false)}-{EspTraceFrames.MaxInnerLength} B instead of their simulated length (an index needs room; outer packets must fit a 1500 B MTU). Lengths do not change replay verdicts.\n");
        sb.Append("- Injection: AF_PACKET (sendmmsg, qdisc bypass) with an ICMP echo barrier every 32 frames; order per SA, not timing, decides the verdicts. The kernel's per-packet verdict is whether the packet's index came out of the DUT; its reasons are in the counters.\n\n");

        sb.Append("## Result\n\n");
        if (outcome.SkippedReason is { } reason)
        {
            sb.Append(Inv, $"**ESP checks skipped**: {reason}. Nothing was compared; ");
            sb.Append(wording.Render("`", new ParameterName("kernel"), " vm` runs them on a Debian kernel that has ESP.\n"));
            return sb.ToString();
        }
        if (outcome.Failure is { } failure) sb.Append(Inv, $"**The kernel run did not complete**: {failure}\n\n");
        int badRows = outcome.Comparisons.Sum(c => c.Rows.Count(r => !r.Agree));
        int badPackets = outcome.Comparisons.Sum(c => c.Packets.Count(p => !p.Agree));
        sb.Append(badRows == 0 && badPackets == 0 && outcome.Failure is null
            ? "**All checks agree**: every packet's verdict and every counter.\n\n"
            : string.Create(Inv, $"**Disagreement**: {badPackets} packet verdicts and {badRows} counters differ.\n\n"));

        sb.Append("## Checks\n\n| check | SA | packets | accepted (model) | verdicts agree | counters agree |\n|---|---|---|---|---|---|\n");
        foreach (var c in outcome.Comparisons)
        {
            foreach (var t in points.SelectMany(p => p.Plan.Traces).Where(t => c.Packets.Any(p => p.Check == t.Sa.Check)))
            {
                var pk = c.Packets.Where(p => p.Check == t.Sa.Check).ToList();
                var rows = c.Rows.Where(r => r.Check == t.Sa.Check).ToList();
                sb.Append(Inv, $"| {t.Sa.Check} | {t.Sa.Describe()} | {pk.Count} | {pk.Count(p => p.Packet.Simulated == DropReason.None)} | {pk.Count(p => p.Agree)}/{pk.Count} | {rows.Count(r => r.Agree)}/{rows.Count} |\n");
            }
        }
        sb.Append("\n## Counters\n\nPer SA: `replay-window`, `replay`, `failed`, `packets` from `ip -s xfrm state`; `Xfrm*` the change in /proc/net/xfrm_stat over the SA's injection; `delivered` the packets that came out; `verdicts_agree` the packets whose verdicts agree.\n\n");
        sb.Append("| check | metric | simulated | kernel | agree |\n|---|---|---|---|---|\n");
        foreach (var r in outcome.Comparisons.SelectMany(c => c.Rows))
            sb.Append(Inv, $"| {r.Check} | {r.Metric} | {r.Simulated} | {r.Kernel} | {(r.Agree ? "yes" : "**no**")} |\n");
        var first = outcome.Comparisons.SelectMany(c => ValidationFiles.FirstDisagreements(c)).Take(20).ToList();
        if (first.Count > 0)
        {
            sb.Append("\n## First disagreeing packets\n\n");
            foreach (var line in first) sb.Append("- ").Append(line).Append('\n');
            sb.Append("\nAll packets: `packets.csv`.\n");
        }
        return sb.ToString();
    }
}
