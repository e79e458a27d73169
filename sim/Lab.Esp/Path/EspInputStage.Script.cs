using System.Globalization;
using System.Text;
using Lab.Esp.Replay;
using Lab.Models;
using Lab.Models.Metrics;
using Lab.Models.Traffic;
using static Lab.Models.Metrics.ProbeLog;

namespace Lab.Esp.Path;

/// <summary>
/// Scripted ESP packets name their SA by SPI and carry their own sequence number, so a replay trace
/// (duplicates, old numbers, jumps) is written packet by packet. xfrm_state_lookup by SPI: SA k of
/// this element has SPI <see cref="EspInConfig.FirstSpi"/> + k (up to <see cref="MaxScriptedSas"/>
/// SAs); any other SPI, or a packet that is not ESP, finds no state (XfrmInNoStates).
/// </summary>
public sealed partial class EspInputStage : IProbeable
{
    public const int MaxScriptedSas = 256;

    bool ScriptedSa(ref Packet packet)
    {
        var trace = _ctx.Script(packet.Source);
        var row = trace.Packets[packet.Tag];
        long index = (long)row.Spi - _cfg.FirstSpi;
        if (trace.Flows[row.Flow].Proto != ScriptProto.Esp || index < 0 || index >= MaxScriptedSas)
        {
            Mib.XfrmInNoStates++;
            return false;
        }
        packet.Tag = (int)index; // from here on the SA index, as esp_out leaves it
        return true;
    }

    /// <summary>
    /// <c>ip -s xfrm state</c> for each inbound SA (replay-window, the anti-replay context seq,
    /// seq-hi, oseq, oseq-hi and bitmap as iproute2 prints them in hex, the stats replay-window,
    /// replay and failed, and the current lifetime) and /proc/net/xfrm_stat.
    /// </summary>
    public void Probe(long now, ProbeLog log)
    {
        foreach (var sa in _sas)
        {
            var r = sa.Replay;
            log.Add(now, Name, "xfrm_state",
                Cell("proto", "esp"), Cell("spi", Hex(sa.Id.Spi, 8)), Cell("replay_window", r.ReplayWindow),
                Cell("seq", Hex(r.Seq)), Cell("seq_hi", Hex(r.SeqHi)), Cell("oseq", Hex(r.Oseq)), Cell("oseq_hi", Hex(r.OseqHi)),
                Cell("bitmap", Bitmap(r)),
                Cell("stats_replay_window", sa.Stats.ReplayWindow), Cell("stats_replay", sa.Stats.Replay), Cell("stats_failed", sa.Stats.IntegrityFailed),
                Cell("packets", (long)sa.CurlftPackets), Cell("bytes", (long)sa.CurlftBytes));
        }
        foreach (var (name, value) in new[]
        {
            ("XfrmInNoStates", Mib.XfrmInNoStates), ("XfrmInStateSeqError", Mib.XfrmInStateSeqError),
            ("XfrmInStateProtoError", Mib.XfrmInStateProtoError), ("XfrmInStateMismatch", Mib.XfrmInStateMismatch),
        })
            log.Add(now, Name, "xfrm_stat", Cell("counter", name), Cell("value", (long)value));
    }

    static string Hex(uint v, int width = 0) => "0x" + v.ToString(width > 0 ? "x" + width.ToString(CultureInfo.InvariantCulture) : "x", CultureInfo.InvariantCulture);

    /// <summary>Legacy: bitmap 0x%08x; bmp/esn: the words from the last to the first, %08x each, as iproute2's xfrm_replay_esn printer does.</summary>
    static string Bitmap(in XfrmReplay r)
    {
        if (r.Mode == XfrmReplayMode.Legacy) return Hex(r.Bitmap, 8);
        var sb = new StringBuilder();
        for (int i = r.BmpLen - 1; i >= 0; i--)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(r.Bmp[i].ToString("x8", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
