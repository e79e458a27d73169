using System.Globalization;
using System.Net;
using System.Text;
using Lab.Captures.Frames;
using Lab.Core;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.ScriptValidation;

namespace Lab.Experiments.Validation;

/// <summary>
/// A kernel's observations of a scripted scenario, kept beside it as <c>NAME.kernel.txt</c> so the
/// scenario is a regression test without a kernel: <c>lab validate NAME.yaml --kernel recorded</c>
/// simulates the script and compares it with these observations through the same
/// <see cref="ScriptComparison"/> as a live run (<c>lab fuzz</c> writes them for every disagreement it
/// shrinks). Plain text, one fact a line, written in the tools' own syntax so a reader can check it:
/// <code>
/// kernel host: this machine's kernel 6.18.44 in network namespaces ...
/// packet INDEX COUNT [ID TOS PROTO SRC:SPORT DST:DPORT TCPFLAGS] [icmp=N]   (what left the DUT first; COUNT 0 = dropped; N ICMP errors sent back about it)
/// probe AT_NS TAKEN_NS
/// conntrack LINE   (conntrack -L syntax)
/// stats NAME=VALUE ...   (conntrack -S sums and nf_conntrack_count)
/// drop_reasons harness=REASON [harness6=REASON] | drop_reasons unavailable: WHY   (whether skb:kfree_skb was read)
/// drops FIRST END [REASON@FUNCTION ...]   (the kfree_skb events while packets FIRST..END-1 were handled)
/// </code>
/// Lines starting with # are comments. A recording without a drop_reasons line (written before drop reasons were
/// read in fuzz plays) compares no drop reasons.
/// </summary>
public static class RecordedKernelRun
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The recording that belongs to <paramref name="scenarioFile"/>: the same name with .kernel.txt for its extension.</summary>
    public static string PathFor(string scenarioFile)
    {
        ArgumentNullException.ThrowIfNull(scenarioFile);
        return Path.ChangeExtension(scenarioFile, ".kernel.txt");
    }

    public static string Write(ScriptKernelRun run, IEnumerable<string> comments)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comments);
        var sb = KernelRecordingText.Header(run.Kernel, comments);
        for (int i = 0; i < run.Packets.Count; i++)
        {
            var p = run.Packets[i];
            sb.Append(Inv, $"packet {i} {p.Count}");
            if (p.First is { } s)
                sb.Append(Inv, $" {s.Identification} {s.Tos} {s.Protocol} {ForwardTracePacket.Endpoint(s.Source, s.SourcePort)} {ForwardTracePacket.Endpoint(s.Destination, s.DestinationPort)} {(ushort)s.Tcp}");
            if (p.IcmpErrors > 0) sb.Append(Inv, $" icmp={p.IcmpErrors}");
            sb.Append('\n');
        }
        foreach (var p in run.Probes)
        {
            sb.Append(Inv, $"probe {p.AtNanoseconds} {p.TakenNanoseconds}\n");
            foreach (var e in p.Entries) sb.Append("conntrack ").Append(ConntrackLine(e)).Append('\n');
            sb.Append("stats ").Append(string.Join(' ', p.Stats.Select(kv => string.Create(Inv, $"{kv.Key}={kv.Value}")))).Append('\n');
        }
        if (run.DropReasonsUnavailable is { } why) sb.Append("drop_reasons unavailable: ").Append(why.ReplaceLineEndings(" ")).Append('\n');
        else
        {
            sb.Append("drop_reasons harness=").Append(run.HarnessDropReason ?? "none");
            if (run.HarnessDropReason6 is { } h6) sb.Append(" harness6=").Append(h6);
            sb.Append('\n');
            foreach (var d in run.DropIntervals)
                sb.Append(Inv, $"drops {d.First} {d.End}").AppendJoin("", d.Drops.Select(x => " " + x.Reason + (x.Location.Length > 0 ? "@" + x.Location : ""))).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>One entry as <c>conntrack -L</c> prints it (<see cref="ConntrackListing"/> reads it back).</summary>
    static string ConntrackLine(ConntrackEntry e)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"{e.Protocol} {e.ProtocolNumber}");
        if (e.TimeoutSeconds is { } t) sb.Append(Inv, $" {t}");
        if (e.State is { } s) sb.Append(' ').Append(s);
        sb.Append(' ').Append(e.Original.ToString());
        if (e.Unreplied) sb.Append(" [UNREPLIED]");
        sb.Append(' ').Append(e.Reply.ToString());
        if (e.Assured) sb.Append(" [ASSURED]");
        if (e.Offload) sb.Append(" [OFFLOAD]");
        if (e.HardwareOffload) sb.Append(" [HW_OFFLOAD]");
        return sb.Append(" mark=0 use=1").ToString();
    }

    /// <summary>Reads a recording; a malformed line is a <see cref="LabInputException"/> naming file:line.</summary>
    public static ScriptKernelRun Read(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string kernel = "recorded";
        var packets = new List<ForwardPacketObservation>();
        var probes = new List<KernelProbe>();
        (long At, long Taken, List<ConntrackEntry> Entries, IReadOnlyDictionary<string, long>? Stats)? open = null;
        string? noReasons = "not recorded (the recording predates drop reasons in fuzz plays)", harness = null, harness6 = null;
        var intervals = new List<DropInterval>();
        KernelRecordingText.Read(file, line =>
        {
            string rest = line.Rest;
            switch (line.Word)
            {
                case KernelRecordingText.KernelWord: kernel = KernelRecordingText.KernelName(rest); break;
                case "packet":
                    var t = line.Fields;
                    if (int.Parse(t[0], Inv) != packets.Count) throw new FormatException($"expected packet {packets.Count}, found {t[0]}");
                    int icmp = 0;
                    if (t[^1].StartsWith("icmp=", StringComparison.Ordinal))
                    {
                        icmp = int.Parse(t[^1]["icmp=".Length..], Inv);
                        t = t[..^1];
                    }
                    packets.Add(new ForwardPacketObservation(int.Parse(t[1], Inv), t.Length == 2 ? null : Segment(t)) { IcmpErrors = icmp });
                    break;
                case "probe":
                    Close();
                    var w = line.Fields;
                    open = (long.Parse(w[0], Inv), long.Parse(w[1], Inv), [], null);
                    break;
                case "conntrack":
                    if (open is null) throw new FormatException("a conntrack line before any probe line");
                    open.Value.Entries.AddRange(ConntrackListing.Parse(rest));
                    break;
                case "stats":
                    if (open is null) throw new FormatException("a stats line before any probe line");
                    open = open.Value with { Stats = ConntrackStatistics.Parse(rest) };
                    break;
                case "drop_reasons":
                    if (rest.StartsWith("unavailable: ", StringComparison.Ordinal)) noReasons = rest["unavailable: ".Length..];
                    else if (rest.StartsWith("harness=", StringComparison.Ordinal))
                    {
                        noReasons = null;
                        var words = rest.Split(' ');
                        harness = words[0]["harness=".Length..] is var h && h != "none" ? h : null;
                        foreach (var word in words.Skip(1))
                            harness6 = word.StartsWith("harness6=", StringComparison.Ordinal) ? word["harness6=".Length..]
                                : throw new FormatException($"expected drop_reasons harness=REASON [harness6=REASON], found '{rest}'");
                    }
                    else throw new FormatException($"expected drop_reasons harness=REASON or drop_reasons unavailable: WHY, found '{rest}'");
                    break;
                case "drops":
                    var d = line.Fields;
                    int first = int.Parse(d[0], Inv), end = int.Parse(d[1], Inv);
                    if (first < 0 || end < first) throw new FormatException($"expected drops FIRST END with 0 <= FIRST <= END, found '{rest}'");
                    intervals.Add(new DropInterval(first, end, [.. d.Skip(2).Select(x => x.Split('@', 2) is var r && r.Length == 2 ? new KernelDrop(r[0], r[1]) : new KernelDrop(x, ""))]));
                    break;
                default: throw new FormatException($"expected kernel, packet, probe, conntrack, stats, drop_reasons or drops, found '{line.Word}'");
            }
        });
        Close();
        if (intervals.Any(i => i.End > packets.Count)) throw new LabInputException($"{file}: a drops line names packets beyond the {packets.Count} recorded");
        return new ScriptKernelRun(kernel, packets, probes, 0, [])
        {
            DropIntervals = noReasons is null ? intervals : [], DropReasonsUnavailable = noReasons, HarnessDropReason = harness, HarnessDropReason6 = harness6,
        };

        void Close()
        {
            if (open is { } p) probes.Add(new KernelProbe(p.At, p.Taken, p.Entries, p.Stats ?? new Dictionary<string, long>()));
            open = null;
        }
    }

    static CapturedSegment Segment(string[] t)
    {
        var (src, sport) = Endpoint(t[5]);
        var (dst, dport) = Endpoint(t[6]);
        return new CapturedSegment(ushort.Parse(t[2], Inv), byte.Parse(t[3], Inv), byte.Parse(t[4], Inv), src, dst, sport, dport, (TcpFlags)ushort.Parse(t[7], Inv));
    }

    /// <summary>ADDRESS:PORT, an IPv6 address in brackets ([2001:db8::1]:53), as <see cref="ForwardTracePacket.Endpoint"/> writes it.</summary>
    static (WireAddress, ushort) Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0) throw new FormatException($"expected ADDRESS:PORT, found '{text}'");
        string address = text[..colon];
        bool bracketed = address.StartsWith('[') && address.EndsWith(']');
        if (bracketed) address = address[1..^1];
        if (!IPAddress.TryParse(address, out var ip) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) != bracketed)
            throw new FormatException($"expected IPV4:PORT or [IPV6]:PORT, found '{text}'");
        if (!ushort.TryParse(text[(colon + 1)..], NumberStyles.None, Inv, out ushort port)) throw new FormatException($"expected a port 0-65535 in '{text}'");
        return (WireAddress.From(ip), port);
    }
}
