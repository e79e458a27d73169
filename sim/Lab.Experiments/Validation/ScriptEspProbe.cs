using Lab.Esp;
using Lab.Esp.Path;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Experiments.Validation;

/// <summary>One scripted packet as esp_in saw it: its script row, and what esp_in did with it.</summary>
/// <param name="Row">The script row (packet.Tag before esp_in reads the SPI).</param>
/// <param name="Verdict">None when accepted, else the counter the drop moved.</param>
/// <param name="InnerBytes">The inner packet's length as the model counts it (curlft bytes).</param>
public readonly record struct ScriptEspPacketVerdict(int Row, DropReason Verdict, int InnerBytes);

/// <summary>
/// Stands in for an esp_in stage while a script is simulated for <c>lab validate</c>: runs the stage and records each
/// packet's script row and verdict in arrival order. The stage reports a drop as a registry id only, so the cause is
/// read from the counters it moved (struct xfrm_stats of any SA, else the MIB), as <see cref="EspInputProbe"/> does;
/// unlike that probe it does not read the SA before the stage ran (a scripted packet's tag is its row until esp_in has
/// looked its SPI up).
/// </summary>
public sealed class ScriptEspProbe(EspInputStage stage) : IPacketStage
{
    readonly List<ScriptEspPacketVerdict> _packets = [];

    public EspInputStage Stage => stage;

    public IReadOnlyList<ScriptEspPacketVerdict> Packets => _packets;

    public string Name => stage.Name;

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        int row = packet.Tag, inner = packet.InnerBytes;
        var before = Counters();
        var verdict = stage.Process(ref packet, core, now);
        var after = Counters();
        DropReason reason;
        if (!verdict.Dropped) reason = DropReason.None;
        else if (after.NoStates != before.NoStates) reason = DropReason.NoState;
        else if (after.ReplayWindow != before.ReplayWindow) reason = DropReason.ReplayWindow;
        else if (after.Replay != before.Replay) reason = DropReason.Replay;
        else if (after.Failed != before.Failed) reason = DropReason.IntegrityFailed;
        else if (after.Mismatch != before.Mismatch) reason = DropReason.StateMismatch;
        else if (after.SeqError != before.SeqError) reason = DropReason.SequenceZero;
        else throw new InvalidOperationException($"{stage.Name} dropped a packet without moving a counter");
        _packets.Add(new ScriptEspPacketVerdict(row, reason, inner));
        return verdict;
    }

    (ulong NoStates, ulong Mismatch, ulong SeqError, ulong ReplayWindow, ulong Replay, ulong Failed) Counters()
    {
        ulong rw = 0, r = 0, f = 0;
        foreach (var sa in stage.Sas)
        {
            rw += sa.Stats.ReplayWindow;
            r += sa.Stats.Replay;
            f += sa.Stats.IntegrityFailed;
        }
        var m = stage.Mib;
        return (m.XfrmInNoStates, m.XfrmInStateMismatch, m.XfrmInStateSeqError, rw, r, f);
    }
}
