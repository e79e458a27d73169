using Lab.Results;
using Lab.Reports.Figures;
using Lab.Reports.Reading;
using Lab.Reports.Stats;

namespace Lab.Reports.Content;

/// <summary>The report's tables: metrics of a run or sweep, comparisons with a baseline, and provenance.</summary>
public static class Tables
{
    const string IntervalNote = "± is the half-width of the 95% confidence interval over replications.";

    static readonly string[] CsvSummaryColumns = ["metric", "unit", "n", "mean", "stddev", "ci95_low", "ci95_high"];

    /// <summary>
    /// A single run: one row per metric (the slides show the selected ones). A sweep: one row per
    /// point, the selected metrics as columns.
    /// </summary>
    public static ReportTable Metrics(Comparison c, IReadOnlyList<string> selected, Numbering n)
    {
        var summary = c.After.Summary;
        var csvHeader = new List<string> { "point" };
        csvHeader.AddRange(summary.SweepParameters);
        csvHeader.AddRange(CsvSummaryColumns);
        var csvRows = new List<IReadOnlyList<string>>();
        foreach (var p in summary.Points)
        {
            foreach (var (name, m) in p.Metrics)
            {
                var row = new List<string> { p.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                row.AddRange(p.Parameters.Select(kv => kv.Value));
                row.AddRange([name, m.Unit, m.N.ToString(System.Globalization.CultureInfo.InvariantCulture), Display.Raw(m.Mean), Display.Raw(m.Stats.StdDev), Display.Raw(m.Stats.Ci95Low), Display.Raw(m.Stats.Ci95High)]);
                csvRows.Add(row);
            }
        }

        if (summary.Points.Count == 1)
        {
            var p = summary.Points[0];
            var rows = new List<IReadOnlyList<string>>();
            var byName = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var name in OrderedMetrics(p.Metrics.Keys))
            {
                var m = p.Metrics[name];
                var unit = HumanUnit.For(m.Unit, Math.Abs(m.Mean));
                IReadOnlyList<string> row = [MetricCatalog.Title(name), Display.MeanCi(m, unit), unit.Label, m.N.ToString(System.Globalization.CultureInfo.InvariantCulture)];
                rows.Add(row);
                byName[name] = row;
            }
            return new ReportTable(n.Table("metrics"), "Metrics", ["Metric", "Mean", "Unit", "n"], rows, csvHeader, csvRows)
            {
                Note = IntervalNote,
                SlideRows = SlideRowsOf(selected, byName, rows.Count),
                SlideNote = $"The key metrics; all {rows.Count} are in report.html and the CSV.",
            };
        }

        var columns = selected.ToList();
        var units = columns.Select(name => HumanUnit.For(SweepFigures.UnitOf(c, name),
            summary.Points.Select(p => p.Metrics.TryGetValue(name, out var m) ? Math.Abs(m.Mean) : 0).Max())).ToList();
        var header = summary.SweepParameters.Select(Display.ShortName).ToList();
        header.AddRange(columns.Select((name, i) => Display.WithUnit(MetricCatalog.Title(name), units[i])));
        var wide = new List<IReadOnlyList<string>>();
        foreach (var p in summary.Points)
        {
            var row = p.Parameters.Select(kv => kv.Value).ToList();
            for (int i = 0; i < columns.Count; i++)
                row.Add(p.Metrics.TryGetValue(columns[i], out var m) ? Display.MeanCi(m, units[i]) : "");
            wide.Add(row);
        }
        return new ReportTable(n.Table("metrics"), "Metrics by sweep point", header, wide, csvHeader, csvRows)
        {
            Note = IntervalNote + " All metrics of every point are in the CSV.",
            FirstNumericColumn = summary.SweepParameters.Count,
            KeyColumns = summary.SweepParameters.Count,
        };
    }

    /// <summary>The rows of the selected metrics, in selection order; null when that is every row.</summary>
    static List<IReadOnlyList<string>>? SlideRowsOf(IReadOnlyList<string> selected, Dictionary<string, IReadOnlyList<string>> byName, int total)
    {
        var rows = selected.Where(byName.ContainsKey).Select(m => byName[m]).ToList();
        return rows.Count == 0 || rows.Count == total ? null : rows;
    }

    /// <summary>Headline metrics first (in catalog order), then the rest ordinally.</summary>
    public static IEnumerable<string> OrderedMetrics(IEnumerable<string> names)
    {
        var all = names.ToList();
        foreach (var h in MetricCatalog.Headline) if (all.Contains(h)) yield return h;
        foreach (var m in all) if (!MetricCatalog.Headline.Contains(m)) yield return m;
    }

    /// <summary>
    /// Before against after per (point, metric): means, change, relative change and Welch's
    /// p-value over replications. Display rows: every metric of a single run, or the plotted
    /// metrics of a sweep; the CSV has every metric.
    /// </summary>
    public static ReportTable Compare(Comparison c, IReadOnlyList<string> selected, Numbering n)
    {
        var summary = c.After.Summary;
        bool sweep = summary.Points.Count > 1 || summary.SweepParameters.Count > 0;
        var csvHeader = new List<string> { "point" };
        csvHeader.AddRange(summary.SweepParameters);
        csvHeader.AddRange(["metric", "unit", "before_n", "before_mean", "after_n", "after_mean", "delta", "delta_ratio", "welch_t", "welch_df", "p_value", "significant"]);
        var csvRows = new List<IReadOnlyList<string>>();
        var header = summary.SweepParameters.Select(Display.ShortName).ToList();
        header.AddRange(["Metric", "Unit", "Before", "After", "Change", "Change %", "p", "Significant"]);
        var rows = new List<IReadOnlyList<string>>();
        // The same rows as slides show them: the unit in the Metric cell ("p99 latency (ms)"), so that
        // the table fits one slide's width (a Unit column split it over two column pages).
        var slideRows = new List<IReadOnlyList<string>>();
        var magnitude = new List<double>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in summary.Points)
        {
            foreach (var name in OrderedMetrics(c.MetricNames()))
            {
                var (after, before) = c.Metric(p, name);
                if (after is null || before is null) continue;
                var w = Welch.Test(before.Values, after.Values);
                double delta = after.Mean - before.Mean;
                var csv = new List<string> { p.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                csv.AddRange(p.Parameters.Select(kv => kv.Value));
                csv.AddRange([name, after.Unit, Display.Raw((double)before.N), Display.Raw(before.Mean), Display.Raw((double)after.N), Display.Raw(after.Mean), Display.Raw(delta),
                    before.Mean == 0 ? "" : Display.Raw(delta / Math.Abs(before.Mean)), Display.Raw(w.T), Display.Raw(w.DegreesOfFreedom), Display.Raw(w.P), Display.Raw(w.Significant())]);
                csvRows.Add(csv);
                if (sweep && !selected.Contains(name)) continue;
                var unit = HumanUnit.For(after.Unit, Math.Max(Math.Abs(after.Mean), Math.Abs(before.Mean)));
                var row = p.Parameters.Select(kv => kv.Value).ToList();
                row.AddRange([MetricCatalog.Title(name), unit.Label, Display.MeanCi(before, unit), Display.MeanCi(after, unit),
                    Display.Signed(unit.Apply(delta)), Display.Percent(before.Mean, after.Mean), Display.P(w), Display.Significance(w)]);
                rows.Add(row);
                slideRows.Add([.. p.Parameters.Select(kv => kv.Value), Display.WithUnit(MetricCatalog.Title(name), unit), .. row.Skip(p.Parameters.Count + 2)]);
                magnitude.Add(before.Mean == 0 ? (delta == 0 ? 0 : double.PositiveInfinity) : Math.Abs(delta / before.Mean));
                if (!sweep) byName[name] = rows.Count - 1;
            }
        }
        string unmatched = c.UnmatchedBefore().Count == 0 ? "" : $" Baseline points without a match: {string.Join("; ", c.UnmatchedBefore().Select(Display.PointLabel))}.";
        string missing = summary.Points.Any(p => c.BeforePoint(p) is null) ? $" Points without a baseline: {string.Join("; ", summary.Points.Where(p => c.BeforePoint(p) is null).Select(Display.PointLabel))}." : "";
        string note = $"Change = after − before. p: two-sided Welch t-test over replications; significant when p < 0.05. {IntervalNote}{unmatched}{missing}";
        var shown = sweep ? SignificantRows(rows, magnitude) : SelectedRows(selected, byName, rows.Count);
        string slideNote = !sweep ? $"The key metrics; all {rows.Count} are in report.html and the CSV."
            : SignificantCount(rows) > SlideSignificantRows ? $"The {SlideSignificantRows} largest relative changes of the {SignificantCount(rows)} significant ones (p < 0.05) among {rows.Count} rows; every row is in report.html and the CSV."
            : rows.Any(r => r[^1] == "yes") ? $"The {SignificantCount(rows)} significant changes (p < 0.05) of {rows.Count} rows; every row is in report.html and the CSV."
            : $"No change is significant (p < 0.05) at any point; all {rows.Count} rows are in report.html and the CSV.";
        var table = new ReportTable(n.Table("comparison"), "Before and after", header, rows, csvHeader, csvRows)
        {
            Note = note,
            FirstNumericColumn = summary.SweepParameters.Count + 2,
            KeyColumns = summary.SweepParameters.Count + 1,
        };
        // A sweep's note on the rows shown says they are the significant ones.
        return table with { SlideForm = CompareSlides(table, slideRows, shown, shown is null ? "" : slideNote, noteSaysSignificant: sweep && shown is not null) };
    }

    /// <summary>
    /// The comparison as slides show it: the unit in the Metric cell, and no Significant column when
    /// every row shown is significant (the note says so). <paramref name="shown"/>: indices of the rows
    /// the slides show, null for all.
    /// </summary>
    static ReportTable CompareSlides(ReportTable full, List<IReadOnlyList<string>> slideRows, List<int>? shown, string slideNote, bool noteSaysSignificant)
    {
        var indices = shown ?? [.. Enumerable.Range(0, full.Rows.Count)];
        int parameters = full.KeyColumns - 1;
        bool allSignificant = indices.Count > 0 && indices.All(i => full.Rows[i][^1] == "yes");
        var header = full.Header.Take(parameters).Append("Metric").Concat(full.Header.Skip(parameters + 2)).ToList();
        var rows = indices.Select(i => slideRows[i]).ToList();
        string significant = allSignificant && !noteSaysSignificant ? "Every change shown is significant (p < 0.05). " : "";
        if (allSignificant)
        {
            header.RemoveAt(header.Count - 1);
            rows = [.. rows.Select(r => (IReadOnlyList<string>)r.Take(r.Count - 1).ToList())];
        }
        string prefix = slideNote.Length > 0 ? slideNote + " " : "";
        return new ReportTable(full.Id, full.Title, header, rows, [], [])
        {
            Note = prefix + significant + full.Note,
            FirstNumericColumn = parameters + 1,
            KeyColumns = parameters + 1,
            // Before, after and the relative change are the slide; long parameter names may cost the rest.
            DroppableColumns = ["Change", "p"],
        };
    }

    /// <summary>A sweep comparison's slides show at most this many significant changes: one slide of rows, not a listing.</summary>
    public const int SlideSignificantRows = 16;

    static int SignificantCount(List<IReadOnlyList<string>> rows) => rows.Count(r => r[^1] == "yes");

    /// <summary>
    /// A sweep's comparison has a row per point and metric, too many for slides: they show the
    /// significant changes only, and of more than <see cref="SlideSignificantRows"/> the largest relative
    /// ones (indices into <paramref name="rows"/>). Null (every row) when no point has the replications
    /// for the test or every row is significant.
    /// </summary>
    static List<int>? SignificantRows(List<IReadOnlyList<string>> rows, List<double> magnitude)
    {
        if (rows.All(r => r[^1] == "n/a")) return null;
        var significant = Enumerable.Range(0, rows.Count).Where(i => rows[i][^1] == "yes").ToList();
        if (significant.Count > SlideSignificantRows)
        {
            // The largest relative changes first (ties in table order), then back in table order (point by point).
            significant = [.. significant.OrderByDescending(i => magnitude[i]).ThenBy(i => i).Take(SlideSignificantRows).Order()];
        }
        return significant.Count == rows.Count ? null : significant;
    }

    /// <summary>Indices of the selected metrics' rows, in selection order; null when that is every row.</summary>
    static List<int>? SelectedRows(IReadOnlyList<string> selected, Dictionary<string, int> byName, int total)
    {
        var rows = selected.Where(byName.ContainsKey).Select(m => byName[m]).ToList();
        return rows.Count == 0 || rows.Count == total ? null : rows;
    }

    /// <summary>Provenance of every results folder, in full (the footers abbreviate the hash).</summary>
    public static ReportTable Provenance(IReadOnlyList<(string Role, ResultsSet Set)> sets, Numbering n)
    {
        string[] header = ["Results", "Scenario", "Scenario sha256", "Seed", "Replications", "Lab version", "Commit", "Run date (UTC)", "Host", "Command"];
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (role, s) in sets)
        {
            rows.Add([role.Length > 0 ? role : Path.GetFileName(s.Folder), s.Name, s.Summary.Scenario.Hash,
                s.Summary.Run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.Summary.Run.Replications.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.Provenance.LabVersion, s.Provenance.Commit, s.Provenance.RunDateText, s.Provenance.Host, s.Provenance.Command]);
        }
        // On slides one column per results folder, a field per row: ten columns of a few folders need two
        // slides and a 64-digit hash squeezed its neighbours' headers; the hash is abbreviated as in the footer.
        var slideHeader = new List<string> { "Results" };
        slideHeader.AddRange(rows.Select(r => r[0]));
        var slideRows = new List<IReadOnlyList<string>>();
        for (int field = 1; field < header.Length; field++)
            slideRows.Add([header[field], .. rows.Select(r => field == 2 ? ProvenanceLine.ShortHash(r[field]) : r[field])]);
        var slides = new ReportTable(n.Table("provenance"), "Results folders", slideHeader, slideRows, [], [])
        {
            FirstNumericColumn = slideHeader.Count,
            Note = "Scenario sha256: its first 12 hex digits; report.html and the CSV give it whole.",
        };
        return new ReportTable(slides.Id, "Results folders", header, rows, header, rows) { FirstNumericColumn = header.Length, SlideForm = slides };
    }
}
