using System.Globalization;
using Lab.Results;
using Lab.Core;
using Lab.Reports.Reading;

namespace Lab.Reports.Content;

/// <summary>
/// Chooses what a report shows from what the results contain: tables always; time series,
/// latency CDF and percentiles, and drops by reason for runs; metric-against-parameter lines and
/// (two swept parameters) heatmaps for sweeps; simulation against kernel for validation results.
/// </summary>
public static class ReportBuilder
{
    /// <param name="metrics">The metrics for the slides (the report's metrics parameter); null: the scenario's key metrics.</param>
    /// <param name="wording">How the front end names the parameter that chooses them, for the slides' caption; the library's names when null.</param>
    public static ReportDocument Build(IReadOnlyList<ResultsSet> results, ResultsSet? baseline, string? title, IReadOnlyList<string>? metrics = null, Wording? wording = null)
    {
        if (results.Count == 0) throw ParameterException.Mentioning(new CommandName("report"), ": expected at least one results folder");
        var n = new Numbering();
        var sections = new List<Section>();
        foreach (var r in results)
        {
            var c = new Comparison(r, baseline);
            string name = results.Count > 1 ? $"{r.Name} ({Path.GetFileName(r.Folder)})" : r.Name;
            sections.Add(new Section(c.Comparing ? $"{name} against baseline {baseline!.Name}" : name, Blocks(c, n, metrics).ToList()));
        }

        var roles = new List<(string Role, ResultsSet Set)>();
        if (baseline is not null) roles.Add(("before", baseline));
        foreach (var r in results) roles.Add((baseline is null ? (results.Count > 1 ? Path.GetFileName(r.Folder) : "") : results.Count > 1 ? $"after ({Path.GetFileName(r.Folder)})" : "after", r));
        sections.Add(new Section("Provenance", [new TableBlock(Tables.Provenance(roles.Select(x => (x.Role.Length > 0 ? x.Role : Path.GetFileName(x.Set.Folder), x.Set)).ToList(), n))]));

        var provenance = roles.Select(x => new ProvenanceLine(x.Role, x.Set.Name, x.Set.Summary.Scenario.Hash,
            x.Set.Summary.Run.Seed.ToString(CultureInfo.InvariantCulture), x.Set.Summary.Run.Replications,
            x.Set.Provenance.LabVersion, x.Set.Provenance.Commit, x.Set.Provenance.RunDateText)).ToList();

        var first = results[0];
        string docTitle = title ?? (baseline is null ? string.Join(", ", results.Select(r => r.Name).Distinct()) : $"{first.Name}: before and after");
        string subtitle = first.Summary.Scenario.Description;
        var scenarios = new List<KeyValuePair<string, string>>();
        foreach (var (role, set) in roles)
            if (set.ScenarioYaml is { } yaml) scenarios.Add(new(role.Length > 0 ? $"{set.Name} ({role})" : set.Name, yaml));
        return new ReportDocument(docTitle, subtitle, KeyParameters(results, baseline), sections, provenance, scenarios)
        {
            MetricsChoice = (wording ?? Wording.Library).Render(new CommandName("report"), " ", new ParameterName("metrics")),
        };
    }

    static IEnumerable<Block> Blocks(Comparison c, Numbering n, IReadOnlyList<string>? requested)
    {
        var summary = c.After.Summary;
        bool sweep = summary.SweepParameters.Count > 0;
        var selected = MetricSelection.For(c, requested);
        yield return new TableBlock(c.Comparing ? Tables.Compare(c, selected, n) : Tables.Metrics(c, selected, n));
        if (sweep)
        {
            // The selected metrics first (on the slides too), then every other varying one (report only).
            var plotted = selected.Concat(SweepFigures.PlottedMetrics(c).Where(m => !selected.Contains(m))).ToList();
            foreach (var m in plotted)
                foreach (var f in SweepFigures.Lines(c, m, n)) yield return new FigureBlock(f) { OnSlides = selected.Contains(m) };
            foreach (var m in plotted)
                foreach (var f in SweepFigures.Heatmap(c, m, n)) yield return new FigureBlock(f) { OnSlides = selected.Contains(m) };
        }
        foreach (var f in RunFigures.TimeSeries(c, n)) yield return new FigureBlock(f);
        foreach (var f in RunFigures.LatencyCdf(c, n)) yield return new FigureBlock(f);
        foreach (var f in RunFigures.LatencyPercentiles(c, n)) yield return new FigureBlock(f);
        foreach (var f in RunFigures.DropsByReason(c, n)) yield return new FigureBlock(f);
        foreach (var b in ValidationContent.Blocks(c, n)) yield return b;
        foreach (var b in TimingContent.Blocks(c.After, n)) yield return b;
    }

    static List<KeyValuePair<string, string>> KeyParameters(IReadOnlyList<ResultsSet> results, ResultsSet? baseline)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var r in results)
        {
            string prefix = results.Count > 1 ? r.Name + ": " : "";
            var run = r.Summary.Run;
            list.Add(new(prefix + "Scenario", r.Name));
            list.Add(new(prefix + "Run", $"{Seconds(run.DurationS)} ({(run.WarmupS > 0 ? "warm-up " + Seconds(run.WarmupS) : "no warm-up")}), seed {run.Seed}, {run.Replications} replication{(run.Replications == 1 ? "" : "s")}"));
            foreach (var p in r.Summary.SweepParameters)
            {
                var values = new List<string>();
                foreach (var point in r.Summary.Points)
                    if (!values.Contains(point.Parameter(p))) values.Add(point.Parameter(p));
                list.Add(new(prefix + $"Sweep {p}", string.Join(", ", values)));
            }
            if (r.Validation.Count > 0)
                list.Add(new(prefix + "Validation", $"{r.Validation.Count(v => v.Agree)} of {r.Validation.Count} kernel counters agree"));
        }
        if (baseline is not null)
            list.Add(new("Baseline", $"{baseline.Name}, run {baseline.Provenance.RunDateText}, commit {baseline.Provenance.Commit}"));
        return list;
    }

    static string Seconds(double s) => double.IsFinite(s) && s >= 0 && s < 9e6 ? SimTime.Format(SimTime.FromSeconds(s)) : s.ToString("R", CultureInfo.InvariantCulture) + "s";
}
