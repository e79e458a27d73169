using System.Globalization;
using System.Text;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// What <c>lab sweep</c> prints: the sweep's shape and its warm-up (metrics exclude it), what was
/// run now and what was resumed, and per point the replication count and each named metric's
/// mean with its 95% confidence half-width, absolute and relative to the mean.
/// </summary>
public static class SweepReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Header(SweepManifest m)
    {
        long duration = SimTime.FromSeconds(m.DurationSeconds), warmup = SimTime.FromSeconds(m.WarmupSeconds);
        var sb = new StringBuilder();
        sb.Append(Inv, $"sweep '{m.ScenarioName}': {m.Points} point(s) x {m.Replications} replication(s)");
        if (m.Precision is not null) sb.Append(" per batch");
        sb.Append(Inv, $", {SimTime.Format(duration)} each, seed {m.Seed}\n");
        sb.Append(Inv, $"warm-up: the first {SimTime.Format(warmup)} of each run is discarded; every metric covers {SimTime.Format(warmup)}..{SimTime.Format(duration)} (summary.json run.warmup_s = {ResultsWriter.Num(m.WarmupSeconds)})\n");
        if (m.Precision is { } pr)
        {
            sb.Append(Inv, $"precision: adding batches of {pr.BatchSize} until the 95% CI half-width of {string.Join(", ", pr.Metrics)} ")
              .Append(Inv, $"is under {SweepManifest.Describe(pr.RelativeHalfWidth)} of the mean, at most {pr.MaxReplications} replications per point\n");
        }
        return sb.ToString();
    }

    /// <summary>The sweep's summary for the user; commands it suggests are named by the request's wording.</summary>
    public static string Format(SweepRequest req, SweepOutcome o, IReadOnlyList<string> metrics)
    {
        ArgumentNullException.ThrowIfNull(req);
        var wording = req.Words ?? Wording.Library;
        var m = o.Manifest;
        var sb = new StringBuilder(Header(m));
        string done = $"{o.Executed} run(s) executed now with {req.Jobs} job(s), {o.Found} resumed from {Path.Combine(req.OutDir, "runs")}, {o.Elapsed.TotalSeconds:F1} s";
        if (!o.Completed)
        {
            sb.Append(Inv, $"interrupted: {o.Found + o.Executed} of {o.Total} run(s) done ({done}); run the same command again to finish the rest\n");
            return sb.ToString();
        }
        if (!req.Shard.IsWhole)
        {
            sb.Append(Inv, $"shard {req.Shard}: {o.Total} run(s) of {m.Points * m.Replications}: {done}\n");
            sb.Append(Inv, $"runs: {Path.Combine(req.OutDir, "runs")}; combine the shards with ");
            sb.Append(wording.Render("`", new CommandName("merge"), " SHARD-DIR... ", new ParameterName("out"), " DIR`\n"));
            return sb.ToString();
        }
        sb.Append(Inv, $"{o.Total} run(s): {done}\n");
        if (o.Unused > 0) sb.Append(Inv, $"note: {o.Unused} run file(s) beyond the replications needed were left unused\n");
        if (o.AlreadyRecorded) sb.Append("note: nothing new ran and this sweep is already in the results store; not recorded again\n");
        sb.Append('\n').Append(Table(o.Set!, metrics, m.Precision));
        // As lab run prints them: which costs are measured, given or assumed, and whether a saturated core rests on assumed ones.
        var costs = CostNotes.Lines(req.Loaded, o.Set!, wording);
        if (costs.Count > 0) sb.Append('\n');
        foreach (var line in costs) sb.Append(line).Append('\n');
        sb.Append(Inv, $"\nresults: {req.OutDir}\n");
        return sb.ToString();
    }

    /// <summary>One row per point: index, swept values, n, then per metric "mean ± half-width (relative)".</summary>
    public static string Table(RunSet set, IReadOnlyList<string> metrics, Precision? precision)
    {
        var header = new List<string> { "point" };
        header.AddRange(set.SweptParameters);
        header.Add("n");
        foreach (var name in metrics) header.Add(name + " (mean ± 95% CI)");
        if (precision is not null) header.Add("precision");
        var rows = new List<List<string>> { header };
        foreach (var point in set.Points)
        {
            var row = new List<string> { point.Index.ToString(Inv) };
            foreach (var p in set.SweptParameters) row.Add(point.Parameters.First(x => x.Key == p).Value);
            row.Add(point.Replications.Count.ToString(Inv));
            bool reached = true;
            var all = ResultsWriter.MetricsOf(point).ToDictionary(x => x.Name, StringComparer.Ordinal);
            foreach (var name in metrics)
            {
                if (!all.TryGetValue(name, out var metric))
                {
                    row.Add("(no such metric)");
                    reached = false;
                    continue;
                }
                var s = Summary.Of(metric.Values);
                double rel = Precision.Relative(s);
                row.Add($"{SummaryTable.Human(s.Mean, metric.Unit)} ± {SummaryTable.Human(s.HalfWidth, metric.Unit)} ({(double.IsFinite(rel) ? (rel * 100).ToString("0.##", Inv) + "%" : "inf")})");
                if (precision is not null && !Precision.IsPrecise(metric.Values, precision.RelativeHalfWidth)) reached = false;
            }
            if (precision is not null) row.Add(reached ? "reached" : "NOT reached (cap)");
            rows.Add(row);
        }
        var widths = new int[header.Count];
        foreach (var r in rows)
        {
            for (int i = 0; i < r.Count; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        }
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            for (int i = 0; i < r.Count; i++)
            {
                if (i > 0) sb.Append("  ");
                sb.Append(i == r.Count - 1 ? r[i] : r[i].PadRight(widths[i]));
            }
            sb.Append('\n');
        }
        // As lab run says it: a point whose drops are mostly one configured limit names the key to change.
        foreach (var point in set.Points)
            if (DropDiagnosis.Of(point) is { } why) sb.Append(Inv, $"point {point.Index}: {why}\n");
        return sb.ToString();
    }
}
