using System.Globalization;
using Lab.Reports.Figures;
using Lab.Reports.Reading;

namespace Lab.Reports.Content;

/// <summary>
/// timing.csv (<c>lab validate --timing</c>): the model's CPU per packet beside the kernel's at each offered
/// rate, as a figure and a table. Under emulation the figure says the timings are not meaningful.
/// </summary>
public static class TimingContent
{
    public const string Title = "CPU per packet: model against kernel";

    public static IEnumerable<Block> Blocks(ResultsSet results, Numbering n)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(n);
        if (results.Timing.Count == 0) yield break;
        yield return new FigureBlock(Figure(results.Timing, n.Figure("timing")));
        yield return new TableBlock(Table(results.Timing, n.Table("timing")));
    }

    /// <summary>The model-against-kernel figure: grouped bars of ns per packet by point (also written beside timing.csv).</summary>
    public static Figure Figure(IReadOnlyList<TimingRow> rows, string id)
    {
        ArgumentNullException.ThrowIfNull(rows);
        bool emulated = rows.Any(r => r.Emulated);
        string title = emulated ? Title + " (emulated: not meaningful)" : Title;
        var labels = rows.Select(r => r.Point == "top" ? "top speed" : $"{r.Point} ({HumanUnit.Number(r.OfferedPps / 1e6)} Mpps)").ToList();
        var groups = new List<BarGroup>
        {
            new("model", rows.Select(r => Finite(r.ModelNs)).ToArray(), FigureStyle.Simulated),
            new("kernel (router minus baseline)", rows.Select(r => Finite(r.KernelNs)).ToArray(), FigureStyle.Kernel),
        };
        var plot = Charts.GroupedBars(title, "Offered rate (multiple of the model's predicted saturation)", "CPU per forwarded packet (ns)", labels, groups);
        string caption = "Busy CPU per forwarded packet: the model's charged cost for the forward element, and the kernel's busy time per packet minus "
            + "the injection/veth/sink baseline measured at the same frame size and rate." + (emulated ? " Measured under emulation: not meaningful as a speed." : "");
        return new Figure(id, title, caption, plot);
    }

    static double Finite(double v) => double.IsFinite(v) ? v : 0;

    static ReportTable Table(IReadOnlyList<TimingRow> rows, string id)
    {
        var inv = CultureInfo.InvariantCulture;
        var header = new List<string> { "Point", "Offered", "Model ns/packet", "Kernel ns/packet", "Error", "Baseline ns/packet", "Model delivered", "Kernel forwarded", "Model loss", "Kernel loss" };
        var csvHeader = new List<string> { "point", "offered_pps", "model_ns_per_packet", "kernel_ns_per_packet", "error_percent", "baseline_ns_per_packet", "model_delivered_pps", "kernel_forwarded_pps", "model_loss", "kernel_loss" };
        var display = new List<IReadOnlyList<string>>();
        var csv = new List<IReadOnlyList<string>>();
        foreach (var r in rows)
        {
            display.Add([r.Point, double.IsFinite(r.OfferedPps) ? HumanUnit.Number(r.OfferedPps) + " pps" : "top speed", Ns(r.ModelNs), Ns(r.KernelNs),
                double.IsFinite(r.ErrorPercent) ? r.ErrorPercent.ToString("+0.0;-0.0;0.0", inv) + "%" : "n/a", Ns(r.BaselineNs),
                HumanUnit.Number(r.ModelDeliveredPps) + " pps", HumanUnit.Number(r.KernelForwardedPps) + " pps",
                r.ModelLoss.ToString("0.###", inv), r.KernelLoss.ToString("0.###", inv)]);
            csv.Add([r.Point, Display.Raw(r.OfferedPps), Display.Raw(r.ModelNs), Display.Raw(r.KernelNs), Display.Raw(r.ErrorPercent), Display.Raw(r.BaselineNs),
                Display.Raw(r.ModelDeliveredPps), Display.Raw(r.KernelForwardedPps), Display.Raw(r.ModelLoss), Display.Raw(r.KernelLoss)]);
        }
        return new ReportTable(id, "Timing: model against kernel", header, display, csvHeader, csv)
        {
            Note = "Error = (model - kernel) / kernel. The verdict against the tolerance is the timing run's (the kernel timing validation), not this report's."
                + (rows.Any(r => r.Emulated) ? " Emulated kernel: timings are not meaningful." : ""),
            FirstNumericColumn = 2,
        };
    }

    static string Ns(double v) => double.IsFinite(v) ? v.ToString("0.#", CultureInfo.InvariantCulture) : "n/a";
}
