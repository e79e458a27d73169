using System.Globalization;
using System.Text;
using Lab.Core;
using Lab.Results;

namespace Lab.Simulation.Running;

/// <summary>
/// The readable summary `lab run` prints. One point: each metric's mean and 95% CI in human units.
/// Several points (a sweep): one row per point with its parameters and the scenario's key metrics,
/// as `lab sweep` prints; <c>all</c> lists every metric of every point instead.
/// </summary>
public static class SummaryTable
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The table for the user; <paramref name="wording"/> names the option that shows every metric (the library's names when null).</summary>
    public static string Format(RunSet set, bool all = false, Wording? wording = null)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"{set.ScenarioName}: {set.Points.Count} point(s) x {set.Replications} replication(s), {SimTime.Format(SimTime.FromSeconds(set.DurationSeconds))} each (warm-up {SimTime.Format(SimTime.FromSeconds(set.WarmupSeconds))}), seed {set.Seed}\n");
        if (set.Points.Count > 1 && !all && set.KeyMetrics.Count > 0)
        {
            sb.Append('\n').Append(KeyTable(set, wording));
            return sb.ToString();
        }
        foreach (var point in set.Points)
        {
            if (point.Parameters.Count > 0)
                sb.Append("\npoint ").Append(point.Index).Append(": ").Append(string.Join(", ", point.Parameters.Select(p => $"{p.Key}={p.Value}"))).Append('\n');
            else sb.Append('\n');
            var rows = new List<(string, string, string)>();
            foreach (var (name, unit, values) in ResultsWriter.MetricsOf(point))
            {
                if (name.StartsWith("drop.", StringComparison.Ordinal) && values.All(v => v == 0)) continue;
                // Per-core rows are in metrics.csv; the table shows the mean and the busiest core.
                if (name.EndsWith(".utilization", StringComparison.Ordinal) && char.IsAsciiDigit(name[name.Length - ".utilization".Length - 1])) continue;
                var s = Summary.Of(values);
                rows.Add((name, Human(s.Mean, unit), s.N > 1 ? "± " + Human(s.HalfWidth, unit) : ""));
            }
            int w1 = rows.Max(r => r.Item1.Length), w2 = rows.Max(r => r.Item2.Length);
            sb.Append("  ").Append("metric".PadRight(w1)).Append("  ").Append("mean".PadLeft(w2)).Append("  95% CI\n");
            foreach (var (a, b, c) in rows) sb.Append("  ").Append(a.PadRight(w1)).Append("  ").Append(b.PadLeft(w2)).Append("  ").Append(c).Append('\n');
            if (DropDiagnosis.Of(point) is { } why) sb.Append("  ").Append(why).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// One row per point: index, swept values, then each key metric's mean and the 95% CI half-width
    /// relative to it. Key metrics that are zero at every point are named below the table, not given a column.
    /// <paramref name="wording"/> names the option that shows every metric (the library's names when null).
    /// </summary>
    public static string KeyTable(RunSet set, Wording? wording = null)
    {
        wording ??= Wording.Library;
        var points = set.Points.Select(p => ResultsWriter.MetricsOf(p).ToDictionary(m => m.Name, StringComparer.Ordinal)).ToList();
        var shown = new List<string>();
        var zero = new List<string>();
        foreach (var name in set.KeyMetrics)
        {
            if (!points.Any(p => p.ContainsKey(name))) continue;
            if (points.All(p => !p.TryGetValue(name, out var m) || m.Values.All(v => v == 0))) zero.Add(name);
            else shown.Add(name);
        }
        var header = new List<string> { "point" };
        header.AddRange(set.SweptParameters);
        header.AddRange(shown);
        var rows = new List<List<string>> { header };
        for (int i = 0; i < set.Points.Count; i++)
        {
            var point = set.Points[i];
            var row = new List<string> { point.Index.ToString(Inv) };
            foreach (var p in set.SweptParameters) row.Add(point.Parameters.FirstOrDefault(x => x.Key == p).Value ?? "");
            foreach (var name in shown)
            {
                if (!points[i].TryGetValue(name, out var m))
                {
                    row.Add("-");
                    continue;
                }
                var s = Summary.Of(m.Values);
                string cell = Human(s.Mean, m.Unit);
                if (s.N > 1)
                {
                    double rel = s.Mean != 0 ? Math.Abs(s.HalfWidth / s.Mean) : double.NaN;
                    cell += s.HalfWidth == 0 ? " ±0" : double.IsFinite(rel) ? " ±" + (rel * 100).ToString(rel >= 0.1 ? "0" : "0.#", Inv) + "%" : " ±" + Human(s.HalfWidth, m.Unit);
                }
                row.Add(cell);
            }
            rows.Add(row);
        }
        var widths = new int[header.Count];
        foreach (var r in rows)
            for (int c = 0; c < r.Count; c++) widths[c] = Math.Max(widths[c], r[c].Length);
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            for (int c = 0; c < r.Count; c++)
            {
                if (c > 0) sb.Append("  ");
                // Parameters left-aligned, numbers right-aligned; no trailing spaces.
                bool number = c > set.SweptParameters.Count;
                string cell = number ? r[c].PadLeft(widths[c]) : c == r.Count - 1 ? r[c] : r[c].PadRight(widths[c]);
                sb.Append(cell);
            }
            sb.Append('\n');
        }
        if (set.Replications > 1) sb.Append("±: 95% confidence half-width relative to the mean, over replications.\n");
        foreach (var point in set.Points)
        {
            if (DropDiagnosis.Of(point) is { } why) sb.Append(Inv, $"point {point.Index}: {why}\n");
        }
        if (zero.Count > 0) sb.Append("zero at every point: ").Append(string.Join(", ", zero)).Append('\n');
        int count = points.Count == 0 ? 0 : points.Max(p => p.Count);
        sb.Append(wording.Render($"key metrics of the scenario's model; all {count.ToString(Inv)} metrics per point: ", new CommandName("run"), " ", new ParameterName("all"),
            ", or summary.json and metrics.csv in the results folder\n"));
        return sb.ToString();
    }

    public static string Human(double v, string unit) => unit switch
    {
        "pps" => Units.FormatPacketRate(v),
        "bit/s" => Units.FormatBitRate(v),
        "us" => v.ToString("0.###", CultureInfo.InvariantCulture) + " us",
        "ratio" => v.ToString("0.######", CultureInfo.InvariantCulture),
        _ => v.ToString("0.###", CultureInfo.InvariantCulture) + (unit.Length > 0 ? " " + unit : ""),
    };
}
