using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lab.Results;

/// <summary>
/// Writes a results folder (RESULTS-FORMAT.md) atomically through <see cref="OutputFolder.Replace{T}"/>:
/// everything goes into a temporary sibling folder which is renamed into place at the end, so a
/// crash or a kill leaves either the previous results or the new ones, never half of them; and a
/// folder the lab did not write is never replaced without --force (<see cref="OutputFolder.Check"/>).
/// </summary>
public static class ResultsWriter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Hash(string resolvedYaml) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(resolvedYaml)));

    /// <summary>Replaces <paramref name="dir"/> with the run set's results folder; <paramref name="force"/> is --force.</summary>
    public static void Write(string dir, RunSet set, Provenance provenance, bool force = false)
    {
        OutputFolder.Check(dir, OutputKind.Results, force);
        OutputFolder.Replace(dir, OutputKind.Results, tmp => WriteFiles(tmp, set, provenance));
    }

    public static void WriteFiles(string dir, RunSet set, Provenance provenance)
    {
        File.WriteAllText(Path.Combine(dir, "scenario.yaml"), set.ResolvedYaml);
        File.WriteAllText(Path.Combine(dir, "summary.json"), SummaryJson(set));
        File.WriteAllText(Path.Combine(dir, "metrics.csv"), MetricsCsv(set));
        File.WriteAllText(Path.Combine(dir, "timeseries.csv"), TimeSeriesCsv(set));
        File.WriteAllText(Path.Combine(dir, "latency_cdf.csv"), LatencyCdfCsv(set));
        File.WriteAllText(Path.Combine(dir, "provenance.json"), ProvenanceJson(provenance));
        if (set.Points.Any(p => p.Replications.Any(r => r.Probes is not null)))
            File.WriteAllText(Path.Combine(dir, "probes.csv"), ProbesCsv(set));
    }

    /// <summary>The columns of probes.csv after point and replication, in order (RESULTS-FORMAT.md).</summary>
    public static readonly string[] ProbeColumns =
    [
        "time_s", "element", "table", "flow", "proto", "state",
        "src", "dst", "sport", "dport", "reply_src", "reply_dst", "reply_sport", "reply_dport",
        "flags", "timeout", "mark", "nat_src", "nat_sport",
        "spi", "replay_window", "seq", "seq_hi", "oseq", "oseq_hi", "bitmap",
        "stats_replay_window", "stats_replay", "stats_failed", "packets", "bytes",
        "counter", "value",
    ];

    static readonly Dictionary<string, int> ProbeColumnIndex =
        ProbeColumns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);

    public static string ProbesCsv(RunSet set)
    {
        var sb = new StringBuilder("point,replication,").Append(string.Join(',', ProbeColumns)).Append('\n');
        var cells = new string[ProbeColumns.Length];
        foreach (var point in set.Points)
        {
            foreach (var rep in point.Replications.OrderBy(r => r.Replication))
            {
                foreach (var row in rep.Probes ?? [])
                {
                    Array.Fill(cells, "");
                    cells[0] = Num(row.TimeSeconds);
                    cells[1] = row.Element;
                    cells[2] = row.Table;
                    foreach (var (column, value) in row.Cells)
                    {
                        if (!ProbeColumnIndex.TryGetValue(column, out int i) || i < 3)
                            throw new InvalidOperationException($"probe table {row.Table}: unknown column '{column}'");
                        cells[i] = value;
                    }
                    sb.Append(point.Index.ToString(Inv)).Append(',').Append(rep.Replication.ToString(Inv));
                    foreach (var c in cells) sb.Append(',').Append(Csv(c));
                    sb.Append('\n');
                }
            }
        }
        return sb.ToString();
    }

    public static string Num(double v) => double.IsFinite(v) ? v.ToString("R", Inv) : "";

    public static string SummaryJson(RunSet set)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", 1);
            w.WriteStartObject("scenario");
            w.WriteString("name", set.ScenarioName);
            w.WriteString("description", set.Description);
            w.WriteString("hash", Hash(set.ResolvedYaml));
            w.WriteEndObject();
            w.WriteStartObject("run");
            w.WriteNumber("duration_s", set.DurationSeconds);
            w.WriteNumber("warmup_s", set.WarmupSeconds);
            w.WriteNumber("seed", set.Seed);
            w.WriteNumber("replications", set.Replications);
            w.WriteEndObject();
            w.WriteStartObject("sweep");
            w.WriteStartArray("parameters");
            foreach (var p in set.SweptParameters) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteEndObject();
            if (set.KeyMetrics.Count > 0)
            {
                w.WriteStartArray("key_metrics");
                foreach (var m in set.KeyMetrics) w.WriteStringValue(m);
                w.WriteEndArray();
            }
            w.WriteStartArray("points");
            foreach (var point in set.Points)
            {
                w.WriteStartObject();
                w.WriteNumber("index", point.Index);
                w.WriteStartObject("parameters");
                foreach (var (k, v) in point.Parameters) w.WriteString(k, v);
                w.WriteEndObject();
                w.WriteStartObject("metrics");
                foreach (var (name, unit, values) in MetricsOf(point))
                {
                    var s = Summary.Of(values);
                    w.WriteStartObject(name);
                    w.WriteString("unit", unit);
                    WriteNumber(w, "mean", s.Mean);
                    WriteNumber(w, "stddev", s.StdDev);
                    WriteNumber(w, "ci95_low", s.Ci95Low);
                    WriteNumber(w, "ci95_high", s.Ci95High);
                    w.WriteNumber("n", s.N);
                    w.WriteStartArray("values");
                    foreach (var v in values)
                    {
                        if (double.IsFinite(v)) w.WriteNumberValue(v);
                        else w.WriteNullValue();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    static void WriteNumber(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>Each metric of a point with its values over replications, in ordinal name order.</summary>
    public static IEnumerable<(string Name, string Unit, List<double> Values)> MetricsOf(PointResult point)
    {
        var byName = new SortedDictionary<string, (string Unit, List<double> Values)>(StringComparer.Ordinal);
        foreach (var rep in point.Replications)
        {
            foreach (var m in rep.Metrics)
            {
                if (!byName.TryGetValue(m.Name, out var e)) byName[m.Name] = e = (m.Unit, []);
                e.Values.Add(m.Value);
            }
        }
        foreach (var (k, v) in byName) yield return (k, v.Unit, v.Values);
    }

    public static string MetricsCsv(RunSet set)
    {
        var sb = new StringBuilder();
        sb.Append("point");
        foreach (var p in set.SweptParameters) sb.Append(',').Append(Csv(p));
        sb.Append(",replication,metric,unit,value\n");
        foreach (var point in set.Points)
        {
            foreach (var rep in point.Replications.OrderBy(r => r.Replication))
            {
                foreach (var m in rep.Metrics.OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    sb.Append(point.Index.ToString(Inv));
                    foreach (var p in set.SweptParameters) sb.Append(',').Append(Csv(point.Parameters.First(x => x.Key == p).Value));
                    sb.Append(',').Append(rep.Replication.ToString(Inv)).Append(',').Append(Csv(m.Name)).Append(',')
                      .Append(Csv(m.Unit)).Append(',').Append(Num(m.Value)).Append('\n');
                }
            }
        }
        return sb.ToString();
    }

    public static string TimeSeriesCsv(RunSet set)
    {
        var sb = new StringBuilder("point,replication,time_s,delivered_pps,wire_bps,goodput_bps,queue_depth,drops,warmup\n");
        foreach (var point in set.Points)
        {
            foreach (var rep in point.Replications.OrderBy(r => r.Replication))
            {
                foreach (var t in rep.TimeSeries)
                {
                    sb.Append(Inv, $"{point.Index},{rep.Replication},{Num(t.TimeSeconds)},{Num(t.DeliveredPps)},{Num(t.WireBitsPerSecond)},{Num(t.GoodputBitsPerSecond)},{t.QueueDepth},{t.Drops},{(t.Warmup ? "true" : "false")}\n");
                }
            }
        }
        return sb.ToString();
    }

    public static string LatencyCdfCsv(RunSet set)
    {
        var sb = new StringBuilder("point,replication,quantile,latency_us\n");
        foreach (var point in set.Points)
        {
            foreach (var rep in point.Replications.OrderBy(r => r.Replication))
            {
                foreach (var (q, l) in rep.LatencyCdf) sb.Append(Inv, $"{point.Index},{rep.Replication},{Num(q)},{Num(l)}\n");
            }
        }
        return sb.ToString();
    }

    public static string ProvenanceJson(Provenance p)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("run_date", p.RunDateText);
            w.WriteString("lab_version", p.LabVersion);
            w.WriteString("commit", p.Commit);
            w.WriteString("host", p.Host);
            w.WriteString("command", p.Command);
            if (p.Costs.Count > 0)
            {
                w.WriteStartArray("costs");
                foreach (var line in p.Costs) w.WriteStringValue(line);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    static string Csv(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal)
        ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
