using Lab.Esp;
using Lab.Esp.Path;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Experiments.Validation;

/// <summary>One packet as it reached the device under test in the simulation, and what esp_in did with it.</summary>
/// <param name="Sa">The SA index (packet.Tag, as esp_in reads it).</param>
/// <param name="Sequence">The 64-bit sequence number the sender used.</param>
/// <param name="InnerBytes">The inner (L3) packet length.</param>
/// <param name="Verdict">None when accepted, else the counter the drop increments.</param>
/// <param name="At">Arrival time at esp_in (ps).</param>
public readonly record struct ProbedPacket(int Sa, ulong Sequence, int InnerBytes, DropReason Verdict, long At);

/// <summary>
/// Stands in for an esp_in stage during `lab validate`'s simulation: runs the stage and
/// records every packet in arrival order with its verdict. The stage reports a drop only as a
/// registry id, so the reason is read from the counters the drop moved (per-SA struct
/// xfrm_stats, else the stage's MIB), the same counters the kernel will be compared on.
/// Allocates per packet (a list entry): validation traces are thousands of packets, not a benchmark.
/// </summary>
public sealed class EspInputProbe(EspInputStage stage) : IPacketStage
{
    readonly List<ProbedPacket> _packets = [];

    public EspInputStage Stage => stage;

    public IReadOnlyList<ProbedPacket> Packets => _packets;

    public string Name => stage.Name;

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        var sa = stage.Sa(packet.Tag);
        var stats = sa.Stats;
        ulong seqErrors = stage.Mib.XfrmInStateSeqError, mismatches = stage.Mib.XfrmInStateMismatch;
        var verdict = stage.Process(ref packet, core, now);
        DropReason reason;
        if (!verdict.Dropped) reason = DropReason.None;
        else if (sa.Stats.ReplayWindow != stats.ReplayWindow) reason = DropReason.ReplayWindow;
        else if (sa.Stats.Replay != stats.Replay) reason = DropReason.Replay;
        else if (sa.Stats.IntegrityFailed != stats.IntegrityFailed) reason = DropReason.IntegrityFailed;
        else if (stage.Mib.XfrmInStateMismatch != mismatches) reason = DropReason.StateMismatch;
        else if (stage.Mib.XfrmInStateSeqError != seqErrors) reason = DropReason.SequenceZero; // a replay drop without a per-SA counter
        else throw new InvalidOperationException($"{stage.Name} dropped a packet without moving a counter");
        _packets.Add(new ProbedPacket(packet.Tag, (ulong)packet.Seq, packet.InnerBytes, reason, now));
        return verdict;
    }
}
