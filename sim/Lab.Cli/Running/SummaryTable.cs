using System.Globalization;
using System.Text;
using Lab.Engine;
using Lab.Results;

namespace Lab.Cli.Running;

/// <summary>The readable summary `lab run` prints: per point, each metric's mean and 95% CI in human units.</summary>
public static class SummaryTable
{
    public static string Format(RunSet set)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{set.ScenarioName}: {set.Points.Count} point(s) x {set.Replications} replication(s), {SimTime.Format(SimTime.FromSeconds(set.DurationSeconds))} each (warm-up {SimTime.Format(SimTime.FromSeconds(set.WarmupSeconds))}), seed {set.Seed}\n");
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
        }
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
