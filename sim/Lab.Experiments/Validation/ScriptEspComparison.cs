using System.Globalization;
using Lab.Esp;
using Lab.KernelLab.ScriptValidation;
using Lab.Results;

namespace Lab.Experiments.Validation;

/// <summary>One scripted ESP packet as compared: the model's side and what the kernel was sent.</summary>
/// <param name="Key">What the tables show: index, flow label, SPI and sequence number.</param>
public sealed record ScriptEspCompared(string Key, double AtSeconds, DropReason Model);

/// <summary>
/// Compares an ESP script's model run with the kernel's (<see cref="ScriptEspKernelRun"/>): every packet (accepted:
/// it came out of the DUT decrypted, once; dropped: it did not), the drop cause beside the kernel's skb drop reason
/// (<see cref="DropReasonMap"/>), every SA row of <c>ip -s xfrm state</c> at every probe (replay-window, seq, seq-hi,
/// oseq, oseq-hi, the bitmap as ip prints it, stats replay-window, replay, failed, lifetime packets and bytes) and the
/// /proc/net/xfrm_stat counters the model keeps (their change since the first packet). No allowance: anti-replay state
/// has no timers.
/// </summary>
public static class ScriptEspComparison
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<ScriptCheck> Compare(IReadOnlyList<ScriptEspCompared> packets, IReadOnlyList<ProbeRecord> modelProbes, string element,
        ScriptEspKernelRun kernel)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(modelProbes);
        ArgumentNullException.ThrowIfNull(kernel);
        var checks = new List<ScriptCheck>();
        for (int i = 0; i < packets.Count; i++)
        {
            var p = packets[i];
            int o = kernel.OutCount[i];
            string model = p.Model == DropReason.None ? "accepted" : "dropped (" + p.Model.CounterName() + ")";
            string kern = o switch { 0 => "dropped", 1 => "accepted", _ => string.Create(Inv, $"accepted x{o}") };
            checks.Add(new ScriptCheck(p.AtSeconds, "packet", p.Key, "verdict", model, kern, p.Model == DropReason.None ? o == 1 : o == 0));
        }
        CompareDropReasons(checks, packets, kernel);
        foreach (var probe in kernel.Probes)
        {
            double at = probe.AtNanoseconds / 1e9;
            var rows = modelProbes.Where(r => r.Element == element && Math.Abs(r.TimeSeconds - at) < 1e-9).ToList();
            foreach (var row in rows.Where(r => r.Table == "xfrm_state")) CompareState(checks, at, Cells(row), probe);
            foreach (var row in rows.Where(r => r.Table == "xfrm_stat"))
            {
                var c = Cells(row);
                string name = c["counter"];
                string kv = probe.Stat.TryGetValue(name, out var v) ? v.ToString(Inv) : "absent";
                checks.Add(new ScriptCheck(at, "xfrm_stat", name, "value", c["value"], kv, c["value"] == kv));
            }
        }
        return checks;
    }

    /// <summary>
    /// Each packet the kernel dropped, with the model's cause and the reason the kernel recorded for it: the events between
    /// its marker and the previous packet's (<see cref="DropAttribution"/>; the events of an accepted packet, such as the
    /// transport-mode nft dup's NETFILTER_DROP of the original, are no played packet's drop). A recording from before the
    /// markers pairs them in order when the counts match (<see cref="KernelDropTrace.Pair"/>) and shows them
    /// unattributed otherwise, which is not counted as a disagreement (the verdict is).
    /// </summary>
    static void CompareDropReasons(List<ScriptCheck> checks, IReadOnlyList<ScriptEspCompared> packets, ScriptEspKernelRun kernel)
    {
        if (kernel.DropReasonsUnavailable is not null) return;
        foreach (var interval in kernel.DropIntervals)
        {
            var range = Enumerable.Range(interval.First, interval.End - interval.First).ToList();
            var dropped = range.Where(i => kernel.OutCount[i] == 0).ToList();
            var attributed = DropAttribution.Attribute(interval.Drops, [.. range.Select(i => (0, kernel.OutCount[i] == 0))],
                expected: [.. range.Select(i => packets[i].Model == DropReason.None ? null : DropReasonMap.ForEsp(packets[i].Model).Reason)]);
            var paired = attributed is not null ? null : KernelDropTrace.Pair(interval.Drops, dropped.Count);
            for (int j = 0; j < dropped.Count; j++)
            {
                var p = packets[dropped[j]];
                string model = p.Model == DropReason.None ? "accepted" : p.Model.CounterName();
                var expected = DropReasonMap.ForEsp(p.Model);
                bool modelDropped = p.Model != DropReason.None;
                if (attributed is not null) checks.Add(ScriptComparison.DropCheck(p.AtSeconds, p.Key, model, modelDropped, expected, attributed[dropped[j] - interval.First]));
                else if (paired is null) checks.Add(ScriptComparison.Unattributed(p.AtSeconds, p.Key, model, interval.Drops, dropped.Count));
                else checks.Add(ScriptComparison.DropCheck(p.AtSeconds, p.Key, model, modelDropped, expected, new PacketDrops([paired[j]], false)));
            }
        }
    }

    static void CompareState(List<ScriptCheck> checks, double at, Dictionary<string, string> c, KernelEspProbe probe)
    {
        uint spi = uint.Parse(c["spi"].AsSpan(2), NumberStyles.HexNumber, Inv);
        string key = "spi " + c["spi"];
        var k = probe.States.FirstOrDefault(s => s.Spi == spi);
        if (k is null)
        {
            checks.Add(new ScriptCheck(at, "xfrm_state", key, "present", "listed", "absent", false));
            return;
        }
        void Field(string field, string kernelValue) => checks.Add(new ScriptCheck(at, "xfrm_state", key, field, c[field], kernelValue, c[field] == kernelValue));
        Field("replay_window", k.WindowSize.ToString(Inv));
        Field("seq", Hex((uint)k.Seq));
        Field("seq_hi", Hex((uint)(k.Seq >> 32)));
        Field("oseq", Hex((uint)k.OutSeq));
        Field("oseq_hi", Hex((uint)(k.OutSeq >> 32)));
        Field("bitmap", k.Bitmap.Count == 1 && !k.Esn && k.WindowSize <= 32 ? "0x" + k.Bitmap[0].ToString("x8", Inv) : string.Join(' ', k.Bitmap.Select(w => w.ToString("x8", Inv))));
        Field("stats_replay_window", k.ReplayWindow.ToString(Inv));
        Field("stats_replay", k.Replay.ToString(Inv));
        Field("stats_failed", k.IntegrityFailed.ToString(Inv));
        Field("packets", k.Packets.ToString(Inv));
        Field("bytes", k.Bytes.ToString(Inv));
    }

    static string Hex(uint v) => "0x" + v.ToString("x", Inv);

    static Dictionary<string, string> Cells(ProbeRecord r) => r.Cells.ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal);
}
