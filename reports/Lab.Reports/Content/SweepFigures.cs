using Lab.Results;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Stats;

namespace Lab.Reports.Content;

/// <summary>
/// Figures of a sweep: each plotted metric against the first swept parameter, one line per
/// value of the others, 95% intervals over replications as error bars; and, for two swept
/// parameters, a heatmap per metric (with a baseline: the relative change, marked where significant).
/// </summary>
public static class SweepFigures
{
    /// <summary>The metrics a sweep plots, in order: the headline ones that vary, then the model's own.</summary>
    public static IReadOnlyList<string> PlottedMetrics(Comparison c)
    {
        string[] preferred = ["delivered_pps", "goodput_bps", "loss_ratio", "latency_p50_us", "latency_p99_us", "drops_total"];
        var names = c.MetricNames();
        var result = new List<string>();
        foreach (var m in preferred)
            if (names.Contains(m) && (m == "delivered_pps" || Varies(c, m))) result.Add(m);
        foreach (var m in names)
        {
            if (MetricCatalog.Headline.Contains(m) || MetricCatalog.IsDrop(m) || MetricCatalog.IsBookkeeping(m) || IsCore(m)) continue;
            if (Varies(c, m)) result.Add(m);
        }
        return result;
    }

    /// <summary>Per-core utilisation (NAME + core number + ".utilization"): the group's mean and maximum are plotted instead.</summary>
    static bool IsCore(string m) =>
        m.EndsWith(".utilization", StringComparison.Ordinal) && m.Length > ".utilization".Length && char.IsAsciiDigit(m[^(".utilization".Length + 1)]);

    /// <summary>Whether the metric's mean differs between the points of either side.</summary>
    public static bool Varies(Comparison c, string metric)
    {
        foreach (var side in c.Sides())
        {
            double? first = null;
            foreach (var p in side.Summary.Points)
            {
                if (!p.Metrics.TryGetValue(metric, out var m)) continue;
                first ??= m.Mean;
                if (m.Mean != first) return true;
            }
        }
        return false;
    }

    public static IEnumerable<Figure> Lines(Comparison c, string metric, Numbering n)
    {
        var sweep = c.After.Summary.SweepParameters;
        var xAxis = ParameterAxis.For(sweep[0], c.Sides().SelectMany(s => s.Summary.Points).Select(p => p.Parameter(sweep[0])));
        string unitName = UnitOf(c, metric);
        double max = 0;
        foreach (var side in c.Sides())
            foreach (var p in side.Summary.Points)
                if (p.Metrics.TryGetValue(metric, out var m)) max = Math.Max(max, Math.Max(Math.Abs(m.Mean), Math.Abs(Display.Ci(m).High is var h && double.IsNaN(h) ? 0 : h)));
        var yUnit = HumanUnit.For(unitName, max);

        // Counts, rates, ratios, latencies and utilisations cannot be negative: a Student-t interval
        // that reaches below zero is cut there, and the axis starts at zero.
        bool nonNegative = c.Sides().All(s => s.Summary.Points.All(p => !p.Metrics.TryGetValue(metric, out var m) || m.Mean >= 0));
        // Shares of a whole (utilisation, loss) cannot pass 100% either: their intervals are cut there too.
        double? ceiling = MetricCatalog.IsFraction(metric, unitName) ? yUnit.Apply(1) : null;
        var clip = new Clipping();
        var groups = new List<string>();
        foreach (var p in c.After.Summary.Points)
        {
            string g = GroupKey(p, sweep);
            if (!groups.Contains(g)) groups.Add(g);
        }
        var series = new List<LineSeries>();
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var afterPoints = c.After.Summary.Points.Where(p => GroupKey(p, sweep) == groups[gi] && p.Metrics.ContainsKey(metric))
                .OrderBy(p => xAxis.Position(p.Parameter(sweep[0]))).ToList();
            if (c.Before is not null)
            {
                var beforePoints = afterPoints.Select(c.BeforePoint).Where(b => b is not null && b.Metrics.ContainsKey(metric)).Select(b => b!).ToList();
                if (beforePoints.Count > 0) series.Add(Series(Label(groups[gi], "before"), beforePoints, xAxis, metric, yUnit, gi, dashed: true, nonNegative, ceiling, clip));
            }
            if (afterPoints.Count > 0) series.Add(Series(Label(groups[gi], c.Comparing ? "after" : ""), afterPoints, xAxis, metric, yUnit, gi, dashed: false, nonNegative, ceiling, clip));
        }
        if (series.Count == 0) yield break;
        string coincide = Coinciding(series);
        string title = $"{MetricCatalog.Title(metric)} against {Display.ShortName(sweep[0])}";
        var plot = Charts.Lines(title, xAxis.Label, Display.WithUnit(MetricCatalog.Title(metric), yUnit), series, xAxis.Numeric ? null : xAxis.Values,
            xTicks: xAxis.Log2 ? (xAxis.Positions, xAxis.Values.ToArray()) : null, zeroBased: nonNegative, yCeiling: ceiling);
        string others = sweep.Count > 1 ? $" One line per {string.Join(", ", sweep.Skip(1))}." : "";
        string compare = c.Comparing ? " Dashed, open markers: before (baseline); solid: after." : "";
        string cut = clip.Note(ceiling is { } top ? $"{HumanUnit.Number(top)}{(yUnit.Label == "%" ? "%" : " " + yUnit.Label)}" : "");
        string zero = !nonNegative ? "" : $" The y axis starts at zero{(cut.Length > 0 ? "; " + cut : "")}.";
        string caption = $"Mean over {c.After.Summary.Run.Replications} replication(s); error bars: 95% confidence interval.{others}{compare}{zero}{coincide}";
        yield return new Figure(n.Figure($"{metric}-vs-{Display.ShortName(sweep[0])}"), title, caption, plot);
    }

    /// <summary>
    /// Series with identical points would hide each other: their legend entries say which they
    /// coincide with (the later one is drawn on top) and the caption names them.
    /// </summary>
    static string Coinciding(List<LineSeries> series)
    {
        var notes = new List<string>();
        var done = new bool[series.Count];
        for (int i = 0; i < series.Count; i++)
        {
            if (done[i]) continue;
            var same = new List<int> { i };
            for (int j = i + 1; j < series.Count; j++)
            {
                if (!done[j] && series[j].Xs.AsSpan().SequenceEqual(series[i].Xs) && series[j].Ys.AsSpan().SequenceEqual(series[i].Ys))
                {
                    same.Add(j);
                    done[j] = true;
                }
            }
            if (same.Count < 2) continue;
            var labels = same.Select(k => series[k].Label).ToList();
            notes.Add(string.Join(" and ", labels));
            // One legend entry for the set, on the series drawn last (on top, the one visible).
            foreach (int k in same) series[k] = series[k] with { Label = "" };
            series[same[^1]] = series[same[^1]] with { Label = MergedLabel(labels) };
        }
        return notes.Count == 0 ? "" : " Identical values, drawn on top of each other: " + string.Join("; ", notes) + ".";
    }

    /// <summary>
    /// A short legend entry for identical series: "cores=4, 8 (identical)", "cores=1 (before = after)",
    /// "cores=4, 8 (before = after)"; labels of another shape are joined with " = ".
    /// </summary>
    public static string MergedLabel(IReadOnlyList<string> labels)
    {
        var parts = labels.Select(SplitSide).ToList();
        var groups = parts.Select(p => p.Group).Distinct().ToList();
        var sides = parts.Select(p => p.Side).Distinct().ToList();
        bool product = groups.Count * sides.Count == parts.Count && parts.Distinct().Count() == parts.Count;
        if (!product) return string.Join(" = ", labels);
        string group = CompactGroups(groups);
        if (sides.Count == 1 && sides[0].Length == 0) return $"{group} (identical)";
        if (sides.Any(s => s.Length == 0)) return string.Join(" = ", labels);
        return $"{group} ({string.Join(" = ", sides)})";
    }

    static (string Group, string Side) SplitSide(string label)
    {
        foreach (var side in new[] { "before", "after" })
            if (label.EndsWith($" ({side})", StringComparison.Ordinal)) return (label[..^(side.Length + 3)], side);
        return label is "before" or "after" ? ("", label) : (label, "");
    }

    /// <summary>"cores=1", "cores=4", "cores=8" as "cores=1, 4, 8" when every group is one key=value of the same key.</summary>
    static string CompactGroups(List<string> groups)
    {
        if (groups.Count == 1) return groups[0];
        var kv = groups.Select(g => g.Split('=')).ToList();
        if (groups.All(g => !g.Contains(", ", StringComparison.Ordinal)) && kv.All(p => p.Length == 2) && kv.All(p => p[0] == kv[0][0]))
            return $"{kv[0][0]}={string.Join(", ", kv.Select(p => p[1]))}";
        return string.Join("; ", groups);
    }

    static string Label(string group, string side) =>
        group.Length == 0 ? (side.Length > 0 ? side : "mean") : side.Length > 0 ? $"{group} ({side})" : group;

    static string GroupKey(SweepPoint p, IReadOnlyList<string> sweep) =>
        string.Join(", ", sweep.Skip(1).Select(s => $"{Display.ShortName(s)}={p.Parameter(s)}"));

    /// <summary>Which bounds cut an interval of a figure, for its caption.</summary>
    sealed class Clipping
    {
        public bool Below, Above;

        /// <summary>"intervals reaching below zero are cut there (...)", naming the bounds actually reached; "" when none was.</summary>
        public string Note(string ceiling) => (Below, Above) switch
        {
            (true, true) => $"intervals reaching below zero or above {ceiling} are cut there (a share of a whole lies between them)",
            (true, false) => "intervals reaching below zero are cut there (the quantity cannot be negative)",
            (false, true) => $"intervals reaching above {ceiling} are cut there (a share of a whole cannot exceed it)",
            _ => "",
        };
    }

    static LineSeries Series(string label, List<SweepPoint> points, ParameterAxis x, string metric, HumanUnit y, int colour, bool dashed, bool nonNegative, double? ceiling, Clipping clip)
    {
        var xs = new double[points.Count];
        var ys = new double[points.Count];
        var low = new double[points.Count];
        var high = new double[points.Count];
        bool spread = false;
        for (int i = 0; i < points.Count; i++)
        {
            var m = points[i].Metrics[metric];
            var (l, h) = Display.Ci(m);
            xs[i] = x.Position(points[i].Parameter(x.Name));
            ys[i] = y.Apply(m.Mean);
            low[i] = y.Apply(double.IsNaN(l) ? m.Mean : l);
            if (nonNegative && low[i] < 0)
            {
                low[i] = 0;
                clip.Below = true;
            }
            high[i] = y.Apply(double.IsNaN(h) ? m.Mean : h);
            if (ceiling is { } top && high[i] > top)
            {
                high[i] = Math.Max(top, ys[i]);
                clip.Above = true;
            }
            spread |= low[i] != ys[i] || high[i] != ys[i];
        }
        return new LineSeries(label, xs, ys, colour, dashed) { Low = spread ? low : null, High = spread ? high : null };
    }

    public static IEnumerable<Figure> Heatmap(Comparison c, string metric, Numbering n)
    {
        var sweep = c.After.Summary.SweepParameters;
        if (sweep.Count != 2) yield break;
        var xAxis = ParameterAxis.For(sweep[0], c.After.Summary.Points.Select(p => p.Parameter(sweep[0])));
        var yAxis = ParameterAxis.For(sweep[1], c.After.Summary.Points.Select(p => p.Parameter(sweep[1])));
        var xOrder = Order(xAxis);
        var yOrder = Order(yAxis);
        var values = new double[xAxis.Values.Count, yAxis.Values.Count];
        var text = new string[xAxis.Values.Count, yAxis.Values.Count];
        for (int i = 0; i < xAxis.Values.Count; i++)
        {
            for (int j = 0; j < yAxis.Values.Count; j++)
            {
                values[i, j] = double.NaN;
                text[i, j] = "";
            }
        }
        double max = c.After.Summary.Points.Select(p => p.Metrics.TryGetValue(metric, out var m) ? Math.Abs(m.Mean) : 0).DefaultIfEmpty(0).Max();
        var unit = HumanUnit.For(UnitOf(c, metric), max);
        foreach (var p in c.After.Summary.Points)
        {
            int i = xOrder[xAxis.IndexOf(p.Parameter(sweep[0]))];
            int j = yOrder[yAxis.IndexOf(p.Parameter(sweep[1]))];
            var (after, before) = c.Metric(p, metric);
            if (after is null) continue;
            if (!c.Comparing)
            {
                values[i, j] = unit.Apply(after.Mean);
                text[i, j] = HumanUnit.Number(unit.Apply(after.Mean));
            }
            else if (before is not null && before.Mean != 0)
            {
                values[i, j] = (after.Mean - before.Mean) / Math.Abs(before.Mean) * 100;
                var w = Welch.Test(before.Values, after.Values);
                text[i, j] = Display.Percent(before.Mean, after.Mean) + (w.Significant() ? " *" : "");
            }
            else if (before is not null)
            {
                text[i, j] = after.Mean == 0 ? "0%" : "n/a";
                values[i, j] = after.Mean == 0 ? 0 : double.NaN;
            }
        }
        string title = c.Comparing ? $"{MetricCatalog.Title(metric)}: change from baseline" : MetricCatalog.Title(metric);
        var xLabels = Sorted(xAxis, xOrder);
        var yLabels = Sorted(yAxis, yOrder);
        // The unit goes into the plot's title: a colour bar label would crowd its tick labels.
        string plotTitle = c.Comparing ? title + " (%)" : Display.WithUnit(MetricCatalog.Title(metric), unit);
        var plot = Charts.Heatmap(plotTitle, Display.ShortName(sweep[0]), Display.ShortName(sweep[1]), xLabels, yLabels, values, text, "", diverging: c.Comparing, out string scale);
        string caption = c.Comparing
            ? $"Relative change of the mean, after against before; * marks p < 0.05 (Welch t-test over replications); blank: no baseline point. {scale}"
            : $"Mean over {c.After.Summary.Run.Replications} replication(s). {scale}";
        yield return new Figure(n.Figure($"{metric}-heatmap"), title, caption, plot);
    }

    /// <summary>Rank of each value of an axis: numeric axes ascend, categorical ones keep file order.</summary>
    static int[] Order(ParameterAxis axis)
    {
        var idx = Enumerable.Range(0, axis.Values.Count).ToArray();
        if (axis.Numeric) Array.Sort(axis.Positions.ToArray(), idx);
        var rank = new int[idx.Length];
        for (int r = 0; r < idx.Length; r++) rank[idx[r]] = r;
        return rank;
    }

    static List<string> Sorted(ParameterAxis axis, int[] rank)
    {
        var labels = new string[axis.Values.Count];
        for (int i = 0; i < labels.Length; i++) labels[rank[i]] = axis.Values[i];
        return [.. labels];
    }

    public static string UnitOf(Comparison c, string metric)
    {
        foreach (var side in c.Sides())
            foreach (var p in side.Summary.Points)
                if (p.Metrics.TryGetValue(metric, out var m)) return m.Unit;
        return "";
    }
}
