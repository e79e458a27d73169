using Lab.Reports.Figures;
using Lab.Reports.Reading;

namespace Lab.Reports.Content;

/// <summary>
/// validation.csv: each kernel counter as the simulation predicted it and as the real kernel
/// counted it for the same frames. A figure of both side by side and a table of every row.
/// </summary>
public static class ValidationContent
{
    public static IEnumerable<Block> Blocks(Comparison c, Numbering n)
    {
        if (c.After.Validation.Count == 0 && (c.Before?.Validation.Count ?? 0) == 0) yield break;
        var keys = new List<(string Check, string Metric)>();
        foreach (var side in c.Sides())
            foreach (var r in side.Validation)
                if (!keys.Contains((r.Check, r.Metric))) keys.Add((r.Check, r.Metric));

        var groups = new List<(string Label, double[] Values, ScottPlot.Color Colour)>();
        foreach (var side in c.Sides())
        {
            string suffix = c.Comparing ? $" ({Comparison.SideLabel(side, c)})" : "";
            bool before = ReferenceEquals(side, c.Before);
            var sim = keys.Select(k => Find(side, k)?.Simulated ?? double.NaN).ToArray();
            var kernel = keys.Select(k => Find(side, k)?.Kernel ?? double.NaN).ToArray();
            groups.Add(("simulated" + suffix, sim, before ? FigureStyle.Colour(5) : FigureStyle.Simulated));
            groups.Add(("kernel" + suffix, kernel, before ? FigureStyle.Colour(1) : FigureStyle.Kernel));
        }
        double max = groups.SelectMany(g => g.Values).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        double minPositive = groups.SelectMany(g => g.Values).Where(v => v > 0).DefaultIfEmpty(1).Min();
        // Counters of one check can differ by orders of magnitude (5 replay drops beside 1e6
        // packets): a log axis keeps the small ones visible.
        bool log = max / minPositive >= 100;
        var labels = keys.Select(k => $"{k.Check}: {k.Metric}" + (Disagrees(c.After, k) ? " ≠" : "")).ToList();
        ScottPlot.Plot plot;
        const string title = "Simulation against the kernel";
        if (log)
        {
            var barGroups = groups.Select(g => new BarGroup(g.Label, g.Values.Select(v => v >= 1 ? Math.Log10(v) : 0).ToArray(), g.Colour)).ToList();
            plot = Charts.GroupedBars(title, "", "Counter value (log scale)", labels, barGroups);
            int top = (int)Math.Ceiling(Math.Log10(Math.Max(max, 1)));
            var positions = Enumerable.Range(0, top + 1).Select(e => (double)e).ToArray();
            plot.Axes.Left.SetTicks(positions, positions.Select(e => e < 6 ? HumanUnit.Number(Math.Pow(10, e)) : $"1e{e}").ToArray());
        }
        else
        {
            var unit = HumanUnit.For("", max);
            var barGroups = groups.Select(g => new BarGroup(g.Label, g.Values.Select(v => double.IsNaN(v) ? 0 : unit.Apply(v)).ToArray(), g.Colour)).ToList();
            plot = Charts.GroupedBars(title, "", Display.WithUnit("Counter value", unit), labels, barGroups);
        }
        string caption = "Kernel counters as the simulation predicts them and as the kernel reports them for the same frames; ≠ marks a disagreement."
            + (c.Comparing ? " Lighter colours: before (baseline)." : "");
        yield return new FigureBlock(new Figure(n.Figure("validation"), title, caption, plot));
        yield return new TableBlock(Table(c, keys, n));
    }

    static ValidationRow? Find(ResultsSet side, (string Check, string Metric) key)
    {
        foreach (var r in side.Validation) if (r.Check == key.Check && r.Metric == key.Metric) return r;
        return null;
    }

    static bool Disagrees(ResultsSet side, (string Check, string Metric) key) => Find(side, key) is { Agree: false };

    static ReportTable Table(Comparison c, List<(string Check, string Metric)> keys, Numbering n)
    {
        var rows = new List<IReadOnlyList<string>>();
        var csvRows = new List<IReadOnlyList<string>>();
        foreach (var k in keys)
        {
            var row = new List<string> { k.Check, k.Metric };
            var csv = new List<string> { k.Check, k.Metric };
            foreach (var side in c.Sides())
            {
                var r = Find(side, k);
                row.AddRange(r is null ? ["", "", "", ""] : [HumanUnit.Number(r.Simulated), HumanUnit.Number(r.Kernel), Display.Signed(r.Kernel - r.Simulated), r.Agree ? "yes" : "NO"]);
                csv.AddRange(r is null ? ["", "", "", ""] : [Display.Raw(r.Simulated), Display.Raw(r.Kernel), Display.Raw(r.Kernel - r.Simulated), Display.Raw(r.Agree)]);
            }
            rows.Add(row);
            csvRows.Add(csv);
        }
        var header = new List<string> { "Check", "Counter" };
        var csvHeader = new List<string> { "check", "metric" };
        foreach (var side in c.Sides())
        {
            string s = c.Comparing ? $" ({Comparison.SideLabel(side, c)})" : "";
            header.AddRange([$"Simulated{s}", $"Kernel{s}", $"Kernel − simulated{s}", $"Agree{s}"]);
            string p = c.Comparing ? Comparison.SideLabel(side, c) + "_" : "";
            csvHeader.AddRange([$"{p}simulated", $"{p}kernel", $"{p}difference", $"{p}agree"]);
        }
        int agree = c.After.Validation.Count(r => r.Agree);
        return new ReportTable(n.Table("validation"), "Validation against the kernel", header, rows, csvHeader, csvRows)
        {
            Note = $"{agree} of {c.After.Validation.Count} counters agree{(c.Comparing ? " after the change" : "")}. Agreement is decided by the validation run (validation.csv), not by this report.",
            FirstNumericColumn = 2,
        };
    }
}
