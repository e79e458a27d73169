using Lab.Results;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Stats;

namespace Lab.Reports.Content;

/// <summary>
/// Figures of what happened inside a run: time series, latency CDF, latency percentiles and drops
/// by reason. With a baseline, the baseline is drawn dashed (lines) or as its own bar.
/// </summary>
public static class RunFigures
{
    /// <summary>Above this many points, per-point time series and CDFs would be unreadable; the sweep figures carry them.</summary>
    public const int MaxPointsPerFigure = 6;

    public static IEnumerable<Figure> TimeSeries(Comparison c, Numbering n)
    {
        if (c.After.TimeSeries.Rows.Count == 0 || c.After.Summary.Points.Count > MaxPointsPerFigure) yield break;
        bool sweep = c.After.Summary.Points.Count > 1;
        foreach (string column in c.After.TimeSeries.Series)
        {
            if (sweep && column != "delivered_pps") continue;
            // wire_bps is delivered_pps times the frame size plus 20 B: a second plot would repeat the first.
            if (column == "wire_bps" && c.After.TimeSeries.IndexOf("delivered_pps") >= 0) continue;
            if (column != "delivered_pps" && c.Sides().All(s => AllZero(s.TimeSeries, column))) continue;
            var lines = new List<(string Label, Aggregate Data, int Colour, bool Dashed)>();
            foreach (var side in c.Sides())
            {
                int col = side.TimeSeries.IndexOf(column);
                if (col < 0) continue;
                foreach (var p in side.Summary.Points)
                {
                    var samples = side.TimeSeries.Rows.Where(r => r.Point == p.Index).Select(r => (r.TimeS, r.Values[col]));
                    var agg = Aggregate.Over(samples);
                    if (agg.Xs.Length == 0) continue;
                    lines.Add((LineLabel(c, side, p, sweep), agg, p.Index, ReferenceEquals(side, c.Before)));
                }
            }
            if (lines.Count == 0) continue;
            var xUnit = HumanUnit.For("s", lines.Max(l => l.Data.Xs.Max()));
            var yUnit = HumanUnit.For(MetricCatalog.SeriesUnit(column), lines.Max(l => l.Data.MaxAbs));
            var series = lines.Select(l => l.Data.ToSeries(l.Label, xUnit, yUnit, l.Colour, l.Dashed, band: true)).ToList();
            double warmup = c.After.Summary.Run.WarmupS;
            string title = MetricCatalog.Title(column) + " over time";
            var plot = Charts.Lines(title, Display.WithUnit("Simulated time", xUnit), Display.WithUnit(MetricCatalog.Title(column), yUnit), series,
                shaded: warmup > 0 ? (0, xUnit.Apply(warmup)) : null, shadedLabel: "warm-up");
            yield return new Figure(n.Figure($"timeseries-{column}"), title, Caption(c, warmup > 0 ? "Shaded: warm-up, excluded from the metrics. " : "", band: true), plot);
        }
    }

    public static IEnumerable<Figure> LatencyCdf(Comparison c, Numbering n)
    {
        if (c.After.LatencyCdf.Count == 0 || c.After.Summary.Points.Count > MaxPointsPerFigure) yield break;
        bool sweep = c.After.Summary.Points.Count > 1;
        var lines = new List<(string Label, Aggregate Data, int Colour, bool Dashed)>();
        foreach (var side in c.Sides())
        {
            foreach (var p in side.Summary.Points)
            {
                // Quantile averaging over replications (Vincentization): the mean latency at each quantile.
                var agg = Aggregate.Over(side.LatencyCdf.Where(r => r.Point == p.Index).Select(r => (r.Quantile, r.LatencyUs)));
                if (agg.Xs.Length > 0) lines.Add((LineLabel(c, side, p, sweep), agg, p.Index, ReferenceEquals(side, c.Before)));
            }
        }
        if (lines.Count == 0) yield break;
        var xUnit = HumanUnit.For("us", lines.Max(l => l.Data.MaxAbs));
        var series = lines.Select(l => new LineSeries(l.Label, l.Data.Ys.Select(xUnit.Apply).ToArray(), l.Data.Xs, l.Colour, l.Dashed) { Markers = false }).ToList();
        const string title = "Latency distribution";
        var plot = Charts.Lines(title, Display.WithUnit("One-way latency", xUnit), "Fraction of packets at or below", series);
        yield return new Figure(n.Figure("latency-cdf"), title, Caption(c, "Latency at each quantile averaged over replications. ", band: false), plot);
    }

    public static IEnumerable<Figure> LatencyPercentiles(Comparison c, Numbering n)
    {
        if (c.After.Summary.Points.Count != 1) yield break;
        var point = c.After.Summary.Points[0];
        var present = MetricCatalog.Percentiles.Where(pc => point.Metrics.ContainsKey(pc.Metric)).ToList();
        if (present.Count == 0) yield break;
        double max = 0;
        foreach (var side in c.Sides())
            foreach (var (metric, _) in present)
                if (side.Summary.Points[0].Metrics.TryGetValue(metric, out var m)) max = Math.Max(max, Display.Ci(m).High);
        var unit = HumanUnit.For("us", max);
        var groups = new List<BarGroup>();
        foreach (var side in c.Sides())
        {
            var sp = c.Comparing ? (ReferenceEquals(side, c.Before) ? c.BeforePoint(point) : point) : point;
            if (sp is null) continue;
            var values = new double[present.Count];
            var low = new double[present.Count];
            var high = new double[present.Count];
            for (int i = 0; i < present.Count; i++)
            {
                if (!sp.Metrics.TryGetValue(present[i].Metric, out var m)) continue;
                var (l, h) = Display.Ci(m);
                values[i] = unit.Apply(m.Mean);
                low[i] = unit.Apply(double.IsNaN(l) ? m.Mean : l);
                high[i] = unit.Apply(double.IsNaN(h) ? m.Mean : h);
            }
            var colour = !c.Comparing ? FigureStyle.Colour(0) : ReferenceEquals(side, c.Before) ? FigureStyle.Before : FigureStyle.After;
            groups.Add(new BarGroup(c.Comparing ? Comparison.SideLabel(side, c) : "mean", values, colour) { Low = low, High = high });
        }
        const string title = "Latency percentiles";
        var plot = Charts.GroupedBars(title, "Percentile (exact, nearest rank)", Display.WithUnit("One-way latency", unit), present.Select(p => p.Label).ToList(), groups);
        yield return new Figure(n.Figure("latency-percentiles"), title, Caption(c, "Error bars: 95% confidence interval over replications. ", band: false), plot);
    }

    public static IEnumerable<Figure> DropsByReason(Comparison c, Numbering n)
    {
        var reasons = c.MetricNames().Where(m => MetricCatalog.IsDrop(m) && c.Sides().Any(s => s.Summary.Points.Any(p => p.Metrics.TryGetValue(m, out var v) && v.Mean > 0))).ToList();
        // A bar per point and side: past 12 bars their labels crowd (and rotated, run off the figure); the sweep's heatmaps and lines carry them.
        if (reasons.Count == 0 || c.After.Summary.Points.Count * (c.Comparing ? 2 : 1) > 12) yield break;
        var bars = new List<(string Label, SweepPoint Point)>();
        foreach (var p in c.After.Summary.Points)
        {
            string label = Display.PointLabel(p);
            if (c.BeforePoint(p) is { } b) bars.Add((c.After.Summary.Points.Count == 1 ? "before" : $"{label} (before)", b));
            bars.Add((!c.Comparing ? label : c.After.Summary.Points.Count == 1 ? "after" : $"{label} (after)", p));
        }
        double max = bars.Max(b => reasons.Sum(r => b.Point.Metrics.TryGetValue(r, out var m) ? m.Mean : 0));
        var unit = HumanUnit.For("packets", max);
        var values = new double[bars.Count, reasons.Count];
        for (int i = 0; i < bars.Count; i++)
            for (int r = 0; r < reasons.Count; r++)
                values[i, r] = bars[i].Point.Metrics.TryGetValue(reasons[r], out var m) ? unit.Apply(m.Mean) : 0;
        string xLabel = c.After.Summary.SweepParameters.Count > 0 ? string.Join(", ", c.After.Summary.SweepParameters.Select(Display.ShortName)) : "";
        const string title = "Drops by reason";
        var plot = Charts.StackedBars(title, xLabel, Display.WithUnit("Drops in the measurement window (mean)", unit), bars.Select(b => b.Label).ToList(),
            reasons.Select(r => r[5..]).ToList(), values);
        yield return new Figure(n.Figure("drops-by-reason"), title, Caption(c, "Counter names as the kernel reports them. ", band: false), plot);
    }

    static string LineLabel(Comparison c, ResultsSet side, SweepPoint p, bool sweep)
    {
        string sideLabel = Comparison.SideLabel(side, c);
        if (!sweep) return c.Comparing ? sideLabel : $"mean of {side.Summary.Run.Replications} replication(s)";
        string label = Display.PointLabel(p);
        return c.Comparing ? $"{label} ({sideLabel})" : label;
    }

    static string Caption(Comparison c, string specific, bool band)
    {
        string reps = $"Mean over {c.After.Summary.Run.Replications} replication(s)";
        string bandText = band && c.After.Summary.Run.Replications > 1 ? "; band: 95% confidence interval" : "";
        string compare = c.Comparing ? " Dashed/open: before (baseline); solid: after." : "";
        return $"{specific}{reps}{bandText}.{compare}";
    }

    static bool AllZero(TimeSeriesTable table, string column)
    {
        int col = table.IndexOf(column);
        if (col < 0) return true;
        foreach (var r in table.Rows) if (r.Values[col] != 0) return false;
        return true;
    }

    /// <summary>Values grouped by x (time or quantile) over replications: mean and 95% interval.</summary>
    sealed record Aggregate(double[] Xs, double[] Ys, double[] Low, double[] High)
    {
        public double MaxAbs => Math.Max(High.Length > 0 ? High.Max(Math.Abs) : 0, Ys.Length > 0 ? Ys.Max(Math.Abs) : 0);

        public static Aggregate Over(IEnumerable<(double X, double Y)> samples)
        {
            var groups = new SortedDictionary<double, List<double>>();
            foreach (var (x, y) in samples)
            {
                if (!groups.TryGetValue(x, out var list)) groups[x] = list = [];
                list.Add(y);
            }
            var xs = new double[groups.Count];
            var ys = new double[groups.Count];
            var low = new double[groups.Count];
            var high = new double[groups.Count];
            int i = 0;
            foreach (var (x, values) in groups)
            {
                var (mean, _) = Welch.MeanVariance(values);
                double h = Welch.Ci95HalfWidth(values);
                xs[i] = x;
                ys[i] = mean;
                low[i] = mean - h;
                high[i] = mean + h;
                i++;
            }
            return new Aggregate(xs, ys, low, high);
        }

        public LineSeries ToSeries(string label, HumanUnit x, HumanUnit y, int colour, bool dashed, bool band)
        {
            bool spread = Low.Zip(High).Any(lh => lh.First != lh.Second);
            return new LineSeries(label, Xs.Select(x.Apply).ToArray(), Ys.Select(y.Apply).ToArray(), colour, dashed)
            {
                Low = spread ? Low.Select(y.Apply).ToArray() : null,
                High = spread ? High.Select(y.Apply).ToArray() : null,
                Band = band,
                Markers = false,
            };
        }
    }
}
