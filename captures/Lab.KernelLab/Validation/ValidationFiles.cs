using System.Globalization;
using System.Text;
using Lab.Esp;

namespace Lab.KernelLab.Validation;

/// <summary>
/// The files of a validation folder (captures/VALIDATION.md): simulated.csv (the simulator's
/// verdict per injected packet), validation.csv (<c>check,metric,simulated,kernel,agree</c>,
/// read by <c>lab report</c>), packets.csv (the per-packet diff) and report.md.
/// </summary>
public static class ValidationFiles
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string ValidationHeader = "check,metric,simulated,kernel,agree";

    public static string SimulatedCsv(params IReadOnlyList<EspValidationPlan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var sb = new StringBuilder("index,check,spi,seq,inner_length,verdict\n");
        foreach (var t in plans.SelectMany(p => p.Traces))
        {
            foreach (var p in t.Packets)
                sb.Append(Inv, $"{p.Index},{Csv(t.Sa.Check)},0x{t.Sa.Spi:x8},{p.Sequence},{p.InnerLength},{Verdict(p.Simulated)}\n");
        }
        return sb.ToString();
    }

    public static string ValidationCsv(IEnumerable<ValidationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder(ValidationHeader).Append('\n');
        foreach (var r in rows)
            sb.Append(Inv, $"{Csv(r.Check)},{Csv(r.Metric)},{r.Simulated.ToString("R", Inv)},{r.Kernel.ToString("R", Inv)},{(r.Agree ? "true" : "false")}\n");
        return sb.ToString();
    }

    public static string PacketsCsv(params IReadOnlyList<EspComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var sb = new StringBuilder("index,check,spi,seq,simulated,kernel,agree\n");
        foreach (var p in comparisons.SelectMany(c => c.Packets))
            sb.Append(Inv, $"{p.Packet.Index},{Csv(p.Check)},0x{p.Spi:x8},{p.Packet.Sequence},{p.SimulatedVerdict},{p.KernelVerdict},{(p.Agree ? "true" : "false")}\n");
        return sb.ToString();
    }

    /// <summary>The first <paramref name="max"/> disagreeing packets, one line each, for the terminal and the report.</summary>
    public static IEnumerable<string> FirstDisagreements(EspComparison comparison, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return comparison.Disagreements.Take(max).Select(p => string.Create(Inv,
            $"packet {p.Packet.Index} ({p.Check}, spi 0x{p.Spi:x8}, seq 0x{p.Packet.Sequence:x}): simulated {p.SimulatedVerdict}, kernel {p.KernelVerdict}"));
    }

    public static string Verdict(DropReason r) => r == DropReason.None ? "accept" : "drop " + r.CounterName();

    public static string Csv(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal)
        ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
