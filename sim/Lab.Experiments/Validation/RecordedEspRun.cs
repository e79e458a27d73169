using System.Globalization;
using System.Text;
using Lab.Core;
using Lab.KernelLab.ScriptValidation;
using Lab.KernelLab.Vm;

namespace Lab.Experiments.Validation;

/// <summary>
/// A kernel's observations of an ESP script (<see cref="ScriptEspKernelRun"/>), kept beside it as <c>NAME.kernel.txt</c>
/// as <see cref="RecordedKernelRun"/> keeps a forward script's, so <c>lab validate NAME.yaml --kernel recorded</c>
/// compares the model with them through the same <see cref="ScriptEspComparison"/> without a kernel. One fact a line:
/// <code>
/// kernel vm: Debian kernel 6.1.0-57-amd64 under qemu ...
/// esp-packet INDEX COUNT             (how often the packet came out decrypted; 0 = dropped)
/// esp-probe AT_NS TAKEN_NS
/// sa spi=0x1000 src=... dst=... mode=tunnel esn=0 window=32 seq=0x28 oseq=0x0 bitmap=40000001 bytes=366 packets=5 replay-window=1 replay=2 failed=0
/// xfrm_stat NAME=VALUE ...           (the change since the first packet)
/// drops FIRST END REASON[@FUNCTION] ...   (kfree_skb while packets FIRST..END-1 were handled)
/// drop-reasons-unavailable TEXT
/// </code>
/// </summary>
public static class RecordedEspRun
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Whether <paramref name="text"/> is an ESP recording (it has esp-packet lines).</summary>
    public static bool IsEsp(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split('\n').Any(l => l.StartsWith("esp-packet ", StringComparison.Ordinal));
    }

    public static string Write(ScriptEspKernelRun run, IEnumerable<string> comments)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(comments);
        var sb = KernelRecordingText.Header(run.Kernel, comments);
        for (int i = 0; i < run.OutCount.Count; i++) sb.Append(Inv, $"esp-packet {i} {run.OutCount[i]}\n");
        foreach (var p in run.Probes)
        {
            sb.Append(Inv, $"esp-probe {p.AtNanoseconds} {p.TakenNanoseconds}\n");
            foreach (var s in p.States)
                sb.Append(Inv, $"sa spi=0x{s.Spi:x8} src={s.Source} dst={s.Destination} proto={s.Protocol} reqid={s.ReqId} mode={s.Mode} esn={(s.Esn ? 1 : 0)} window={s.WindowSize} seq=0x{s.Seq:x} oseq=0x{s.OutSeq:x} bitmap={string.Join(',', s.Bitmap.Select(w => w.ToString("x8", Inv)))} bytes={s.Bytes} packets={s.Packets} replay-window={s.ReplayWindow} replay={s.Replay} failed={s.IntegrityFailed}\n");
            sb.Append("xfrm_stat ").Append(string.Join(' ', p.Stat.Select(kv => string.Create(Inv, $"{kv.Key}={kv.Value}")))).Append('\n');
        }
        foreach (var d in run.DropIntervals)
            sb.Append(Inv, $"drops {d.First} {d.End}").Append(string.Concat(d.Drops.Select(x => " " + x.Reason + (x.Location.Length > 0 ? "@" + x.Location : "")))).Append('\n');
        if (run.DropReasonsUnavailable is { } why) sb.Append("drop-reasons-unavailable ").Append(why.ReplaceLineEndings(" ")).Append('\n');
        return sb.ToString();
    }

    /// <summary>Reads a recording; a malformed line is a <see cref="LabInputException"/> naming file:line.</summary>
    public static ScriptEspKernelRun Read(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string kernel = "recorded";
        var outCount = new List<int>();
        var probes = new List<KernelEspProbe>();
        var intervals = new List<DropInterval>();
        string? unavailable = null;
        (long At, long Taken, List<XfrmSaCounters> States, Dictionary<string, long>? Stat)? open = null;
        KernelRecordingText.Read(file, line =>
        {
            var t = line.Fields;
            switch (line.Word)
            {
                case KernelRecordingText.KernelWord: kernel = KernelRecordingText.KernelName(line.Rest); break;
                case "esp-packet":
                    if (int.Parse(t[0], Inv) != outCount.Count) throw new FormatException($"expected esp-packet {outCount.Count}, found {t[0]}");
                    outCount.Add(int.Parse(t[1], Inv));
                    break;
                case "esp-probe":
                    Close();
                    open = (long.Parse(t[0], Inv), long.Parse(t[1], Inv), [], null);
                    break;
                case "sa":
                    if (open is null) throw new FormatException("an sa line before any esp-probe line");
                    open.Value.States.Add(Sa(Pairs(t)));
                    break;
                case "xfrm_stat":
                    if (open is null) throw new FormatException("an xfrm_stat line before any esp-probe line");
                    open = open.Value with { Stat = Pairs(t).ToDictionary(kv => kv.Key, kv => long.Parse(kv.Value, Inv), StringComparer.Ordinal) };
                    break;
                case "drops":
                    intervals.Add(new DropInterval(int.Parse(t[0], Inv), int.Parse(t[1], Inv), [.. t.Skip(2).Select(Drop)]));
                    break;
                case "drop-reasons-unavailable": unavailable = line.Rest; break;
                default: throw new FormatException($"expected kernel, esp-packet, esp-probe, sa, xfrm_stat, drops or drop-reasons-unavailable, found '{line.Word}'");
            }
        });
        Close();
        // Without drop events and without a reason they were not read, the reasons are "not recorded".
        if (unavailable is null && intervals.Count == 0) unavailable = "not recorded";
        return new ScriptEspKernelRun(kernel, outCount, probes, intervals, unavailable, 0, []);

        void Close()
        {
            if (open is { } p) probes.Add(new KernelEspProbe(p.At, p.Taken, p.States, p.Stat ?? [], null));
            open = null;
        }
    }

    static Dictionary<string, string> Pairs(IEnumerable<string> words)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            int eq = w.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException($"expected NAME=VALUE, found '{w}'");
            map[w[..eq]] = w[(eq + 1)..];
        }
        return map;
    }

    static XfrmSaCounters Sa(Dictionary<string, string> f) => new(
        f["src"], f["dst"], f["proto"], HexUInt(f["spi"]), uint.Parse(f["reqid"], Inv), f["mode"], f["esn"] == "1",
        uint.Parse(f["window"], Inv), HexULong(f["seq"]), HexULong(f["oseq"]),
        [.. f["bitmap"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(w => uint.Parse(w, NumberStyles.HexNumber, Inv))],
        ulong.Parse(f["bytes"], Inv), ulong.Parse(f["packets"], Inv), uint.Parse(f["replay-window"], Inv), uint.Parse(f["replay"], Inv), uint.Parse(f["failed"], Inv));

    static uint HexUInt(string s) => uint.Parse(Strip(s), NumberStyles.HexNumber, Inv);

    static ulong HexULong(string s) => ulong.Parse(Strip(s), NumberStyles.HexNumber, Inv);

    static string Strip(string s) => s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : throw new FormatException($"expected 0x and hex digits, found '{s}'");

    static KernelDrop Drop(string w)
    {
        int at = w.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? new KernelDrop(w, "") : new KernelDrop(w[..at], w[(at + 1)..]);
    }
}
