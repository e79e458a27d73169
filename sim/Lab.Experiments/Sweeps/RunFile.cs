using System.Globalization;
using System.Text.Json;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// A finished run on disk: runs/p{point}-r{rep}.json holds everything the results folder needs
/// from that run (metrics, time series, latency CDF, event count, the declared drop causes) and the hash of the scenario
/// it was made from. Written to a temporary name, flushed to disk and renamed, so the file
/// exists if and only if the run finished: its presence is the completion record.
/// Numbers are written in the shortest form that parses back to the same double, so results
/// rebuilt from run files are byte-identical to results of a run held in memory.
/// </summary>
public static class RunFile
{
    const int Format = 1;

    public sealed record Contents(string RunHash, RunKey Key, ReplicationResult Result);

    public static string Serialize(string runHash, RunKey key, ReplicationResult result)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("format", Format);
            w.WriteString("run_hash", runHash);
            w.WriteNumber("point", key.Point);
            w.WriteNumber("replication", key.Replication);
            w.WriteNumber("events", result.Events);
            w.WriteStartArray("metrics");
            foreach (var m in result.Metrics)
            {
                w.WriteStartArray();
                w.WriteStringValue(m.Name);
                w.WriteStringValue(m.Unit);
                Number(w, m.Value);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("timeseries");
            foreach (var t in result.TimeSeries)
            {
                w.WriteStartArray();
                Number(w, t.TimeSeconds);
                Number(w, t.DeliveredPps);
                Number(w, t.WireBitsPerSecond);
                Number(w, t.GoodputBitsPerSecond);
                w.WriteNumberValue(t.QueueDepth);
                w.WriteNumberValue(t.Drops);
                w.WriteBooleanValue(t.Warmup);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("latency_cdf");
            foreach (var (q, l) in result.LatencyCdf)
            {
                w.WriteStartArray();
                Number(w, q);
                Number(w, l);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            if (result.Probes is { } probes)
            {
                // [time_s, element, table, [[column, value], ...]] per row (probes.csv)
                w.WriteStartArray("probes");
                foreach (var p in probes)
                {
                    w.WriteStartArray();
                    Number(w, p.TimeSeconds);
                    w.WriteStringValue(p.Element);
                    w.WriteStringValue(p.Table);
                    w.WriteStartArray();
                    foreach (var (column, value) in p.Cells)
                    {
                        w.WriteStartArray();
                        w.WriteStringValue(column);
                        w.WriteStringValue(value);
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            if (result.DropCauses.Count > 0)
            {
                // [reason, what, remedy] per declared cause, in reason order (DropDiagnosis needs them to
                // say why a point dropped; a run file without them, written before, reads as no causes).
                w.WriteStartArray("drop_causes");
                foreach (var (reason, cause) in result.DropCauses.OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    w.WriteStartArray();
                    w.WriteStringValue(reason);
                    w.WriteStringValue(cause.What);
                    w.WriteStringValue(cause.Remedy);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>JSON has no NaN or infinities: those are written as the strings "NaN", "Infinity", "-Infinity".</summary>
    static void Number(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
    }

    static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? double.Parse(e.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : e.GetDouble();

    public static Contents Parse(string json, string fileForErrors)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            int format = root.GetProperty("format").GetInt32();
            if (format != Format) throw new LabInputException($"{fileForErrors}: run file format {format}, this lab reads format {Format}");
            var key = new RunKey(root.GetProperty("point").GetInt32(), root.GetProperty("replication").GetInt32());
            var metrics = new List<MetricValue>();
            foreach (var m in root.GetProperty("metrics").EnumerateArray())
                metrics.Add(new MetricValue(m[0].GetString()!, m[1].GetString()!, Number(m[2])));
            var series = new List<TimeSeriesRow>();
            foreach (var t in root.GetProperty("timeseries").EnumerateArray())
                series.Add(new TimeSeriesRow(Number(t[0]), Number(t[1]), Number(t[2]), Number(t[3]), t[4].GetInt64(), t[5].GetInt64(), t[6].GetBoolean()));
            var cdf = new List<(double, double)>();
            foreach (var c in root.GetProperty("latency_cdf").EnumerateArray()) cdf.Add((Number(c[0]), Number(c[1])));
            List<ProbeRecord>? probes = null;
            if (root.TryGetProperty("probes", out var pr))
            {
                probes = [];
                foreach (var p in pr.EnumerateArray())
                {
                    var cells = p[3].EnumerateArray().Select(c => new KeyValuePair<string, string>(c[0].GetString()!, c[1].GetString()!)).ToList();
                    probes.Add(new ProbeRecord(Number(p[0]), p[1].GetString()!, p[2].GetString()!, cells));
                }
            }
            var causes = new Dictionary<string, DropCause>(StringComparer.Ordinal);
            if (root.TryGetProperty("drop_causes", out var dc))
                foreach (var c in dc.EnumerateArray()) causes[c[0].GetString()!] = new DropCause(c[1].GetString()!, c[2].GetString()!);
            var result = new ReplicationResult(key.Replication, metrics, series, cdf, root.GetProperty("events").GetInt64()) { Probes = probes, DropCauses = causes };
            return new Contents(root.GetProperty("run_hash").GetString()!, key, result);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new LabInputException($"{fileForErrors}: not a readable run file ({ex.Message.Split('\n')[0]}); delete it to run it again");
        }
    }

    public static Contents Read(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically: a temporary sibling, flushed to disk, then renamed.</summary>
    public static void WriteAtomically(string path, string text)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
