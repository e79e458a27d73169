using Lab.Esp;
using Lab.Core;

namespace Lab.KernelLab.Validation;

/// <summary>
/// One packet the simulation sent into the device under test, in arrival order.
/// </summary>
/// <param name="Index">Unique number of the packet in the whole validation run; the inner UDP
/// payload carries it (<see cref="Captures.Frames.PacketIndex"/>) so the capture can tell which packet came out.</param>
/// <param name="Sequence">The full sequence number the sender used (64 bits with ESN; only the low half travels).</param>
/// <param name="InnerLength">Length of the inner IP packet in bytes.</param>
/// <param name="Simulated">The simulator's verdict: <see cref="DropReason.None"/> for accepted, else the kernel counter it predicts.</param>
/// <param name="TimestampNanoseconds">When it reached the DUT in the simulation (the pcap's timestamp).</param>
public readonly record struct EspTracePacket(ulong Index, ulong Sequence, int InnerLength, DropReason Simulated, long TimestampNanoseconds);

/// <summary>
/// What the simulation predicts for one SA's counters after the trace: per-SA struct xfrm_stats
/// and curlft.packets (ip -s xfrm state), and the namespace counters the trace moved
/// (/proc/net/xfrm_stat).
/// </summary>
public readonly record struct EspSaCounters(ulong ReplayWindow, ulong Replay, ulong IntegrityFailed, ulong Packets, ulong XfrmInStateSeqError, ulong XfrmInStateProtoError)
{
    /// <summary>The counters that follow from per-packet verdicts of a synchronous receiver (xfrm_input with sync crypto).</summary>
    public static EspSaCounters FromVerdicts(IEnumerable<EspTracePacket> packets)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ulong rw = 0, r = 0, f = 0, ok = 0, zero = 0;
        foreach (var p in packets)
        {
            switch (p.Simulated)
            {
                case DropReason.None: ok++; break;
                case DropReason.ReplayWindow: rw++; break;
                case DropReason.Replay: r++; break;
                case DropReason.IntegrityFailed: f++; break;
                case DropReason.SequenceZero: zero++; break;
                default: throw new ArgumentException($"packet {p.Index}: verdict {p.Simulated} is not one of ESP input's");
            }
        }
        return new EspSaCounters(rw, r, f, ok, rw + r + zero, f);
    }
}

/// <summary>One SA and the packets sent to it, in order, with what the simulation predicts.</summary>
public sealed record EspSaTrace(EspValidationSa Sa, IReadOnlyList<EspTracePacket> Packets, EspSaCounters Simulated);

/// <summary>
/// A validation run against one kernel: SAs that are configured together and injected one
/// after another (one injection per SA; the SPIs differ). <see cref="Validate"/> checks that
/// the kernel can be given these SAs and that packet indices are unique.
/// </summary>
public sealed record EspValidationPlan(IReadOnlyList<EspSaTrace> Traces)
{
    public IEnumerable<EspTracePacket> AllPackets => Traces.SelectMany(t => t.Packets);

    /// <summary>Throws <see cref="Lab.Core.LabInputException"/> with one line per problem.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        var spis = new HashSet<uint>();
        var indices = new HashSet<ulong>();
        foreach (var t in Traces)
        {
            if (t.Sa.Problem() is { } p) problems.Add($"{t.Sa.Check}: {p}");
            if (!spis.Add(t.Sa.Spi)) problems.Add($"{t.Sa.Check}: SPI 0x{t.Sa.Spi:x8} is used by another SA of the same run");
            foreach (var pk in t.Packets)
            {
                if (!indices.Add(pk.Index)) problems.Add($"{t.Sa.Check}: packet index {pk.Index} is not unique");
                if (!t.Sa.Esn && pk.Sequence > uint.MaxValue)
                    problems.Add($"{t.Sa.Check}: packet {pk.Index} has sequence number 0x{pk.Sequence:x}, above 32 bits on an SA without ESN");
            }
        }
        if (problems.Count > 0) throw new Lab.Core.LabInputException(problems);
    }
}
