using System.Globalization;
using System.Text;
using Lab.KernelLab.Validation;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>
/// The files of a forward validation folder (captures/VALIDATION.md): simulated.csv (the model's
/// verdict per injected packet), packets.csv (the per-packet comparison); validation.csv and
/// report.md are shared with the ESP checks (<see cref="ValidationFiles"/>).
/// </summary>
public static class ForwardFiles
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string SimulatedCsv(IEnumerable<ForwardTrace> traces)
    {
        ArgumentNullException.ThrowIfNull(traces);
        var sb = new StringBuilder("index,check,side,flow,protocol,src,sport,dst,dport,tcp_flags,time_ns,verdict,forward_chain,out_address,out_port\n");
        foreach (var t in traces)
        {
            foreach (var p in t.Packets)
                sb.Append(Inv, $"{p.Index},{ValidationFiles.Csv(t.Check)},{Side(p.Side)},{p.Flow},{(p.Protocol == 6 ? "tcp" : "udp")},{ForwardTracePacket.Ip(p.Source)},{p.SourcePort},{ForwardTracePacket.Ip(p.Destination)},{p.DestinationPort},{ForwardTracePacket.FlagsText(p.Tcp)},{p.AtNanoseconds},{p.Verdict},{(p.ForwardChain ? "true" : "false")},{ForwardTracePacket.Ip(p.OutAddress)},{p.OutPort}\n");
        }
        return sb.ToString();
    }

    public static string PacketsCsv(IEnumerable<ForwardComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var sb = new StringBuilder("index,check,side,packet,simulated,kernel,agree,difference\n");
        foreach (var p in comparisons.SelectMany(c => c.Packets))
            sb.Append(Inv, $"{p.Packet.Index},{ValidationFiles.Csv(p.Check)},{Side(p.Packet.Side)},{ValidationFiles.Csv(p.Packet.Describe())},{ValidationFiles.Csv(p.Packet.Verdict)},{ValidationFiles.Csv(p.KernelVerdict)},{(p.Agree ? "true" : "false")},{ValidationFiles.Csv(p.Difference ?? "")}\n");
        return sb.ToString();
    }

    /// <summary>The first <paramref name="max"/> disagreeing packets, one line each.</summary>
    public static IEnumerable<string> FirstDisagreements(ForwardComparison comparison, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return comparison.Disagreements.Take(max).Select(p => string.Create(Inv,
            $"packet {p.Packet.Index} ({p.Check}, {Side(p.Packet.Side)} side, {p.Packet.Describe()}): simulated {p.Packet.Verdict}, kernel {p.KernelVerdict}: {p.Difference}"));
    }

    static string Side(ForwardSide s) => s == ForwardSide.Client ? "client" : "server";
}
