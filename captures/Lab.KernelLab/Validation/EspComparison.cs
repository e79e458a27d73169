using System.Globalization;
using Lab.Esp;

namespace Lab.KernelLab.Validation;

/// <summary>One row of validation.csv: a counter as the simulation predicts it and as the kernel shows it.</summary>
public sealed record ValidationRow(string Check, string Metric, double Simulated, double Kernel)
{
    public bool Agree => Simulated.Equals(Kernel);
}

/// <summary>One packet compared: the simulator's verdict and whether the kernel let it through.</summary>
/// <param name="Check">The SA's check.</param>
/// <param name="Spi">The SA.</param>
/// <param name="Packet">The packet as simulated.</param>
/// <param name="KernelOut">How often its index came out of the DUT (0 = dropped, 1 = accepted).</param>
public sealed record PacketComparison(string Check, uint Spi, EspTracePacket Packet, int KernelOut)
{
    public string SimulatedVerdict => Packet.Simulated == DropReason.None ? "accept" : "drop " + Packet.Simulated.CounterName();

    /// <summary>The kernel gives no per-packet reason: a missing packet is a drop, its counters say which.</summary>
    public string KernelVerdict => KernelOut switch
    {
        0 => "drop",
        1 => "accept",
        _ => string.Create(CultureInfo.InvariantCulture, $"accept x{KernelOut}"),
    };

    public bool Agree => (Packet.Simulated == DropReason.None) ? KernelOut == 1 : KernelOut == 0;
}

/// <summary>
/// Compares the simulation with the kernel: per packet (accepted by the simulation iff its
/// index came out of the DUT exactly once) and per SA by counter: per-SA <c>replay-window</c>,
/// <c>replay</c>, <c>failed</c> and lifetime <c>packets</c> (ip -s xfrm state), the
/// XfrmInStateSeqError, XfrmInStateProtoError and XfrmInNoStates moved by the SA's trace,
/// the packets that came out, and the number of packets whose verdicts agree.
/// </summary>
public sealed record EspComparison(IReadOnlyList<ValidationRow> Rows, IReadOnlyList<PacketComparison> Packets)
{
    public bool AllAgree => Rows.All(r => r.Agree) && Packets.All(p => p.Agree);

    public IEnumerable<PacketComparison> Disagreements => Packets.Where(p => !p.Agree);

    public static EspComparison Compare(EspKernelRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rows = new List<ValidationRow>();
        var packets = new List<PacketComparison>();
        foreach (var sa in run.Sas)
        {
            var t = sa.Trace;
            string c = t.Sa.Check;
            var sim = t.Simulated;
            long outTotal = 0, agree = 0;
            for (int i = 0; i < t.Packets.Count; i++)
            {
                var pc = new PacketComparison(c, t.Sa.Spi, t.Packets[i], sa.OutCount[i]);
                packets.Add(pc);
                outTotal += sa.OutCount[i];
                if (pc.Agree) agree++;
            }
            rows.Add(new(c, "replay-window", sim.ReplayWindow, sa.State.ReplayWindow));
            rows.Add(new(c, "replay", sim.Replay, sa.State.Replay));
            rows.Add(new(c, "failed", sim.IntegrityFailed, sa.State.IntegrityFailed));
            rows.Add(new(c, "packets", sim.Packets, sa.State.Packets));
            rows.Add(new(c, "XfrmInStateSeqError", sim.XfrmInStateSeqError, sa.XfrmInStateSeqError));
            rows.Add(new(c, "XfrmInStateProtoError", sim.XfrmInStateProtoError, sa.XfrmInStateProtoError));
            rows.Add(new(c, "XfrmInNoStates", 0, sa.XfrmInNoStates));
            rows.Add(new(c, "delivered", sim.Packets, outTotal));
            rows.Add(new(c, "verdicts_agree", t.Packets.Count, agree));
        }
        return new EspComparison(rows, packets);
    }
}
