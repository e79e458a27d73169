using System.Globalization;
using System.Text;
using System.Text.Json;
using Lab.Core;

namespace Lab.Benchmarking;

/// <summary>
/// A saved run as JSON (bench/baselines/NAME.json): the run's identity and, per benchmark, the
/// statistics `lab bench --compare` needs. Format 1:
/// <code>
/// { "format": 1, "name": "...", "run_id": "...", "date": "2026-11-26T20:00:00Z", "commit": "...",
///   "lab_version": "...", "host": "...", "machine": "...", "cpu_model": "AMD EPYC", "runs": 5, "mode": "quick", "optimized": true,
///   "benchmarks": [ { "suite": "...", "benchmark": "Type.Method", "parameters": "Pending=1000",
///     "median_ns": 1.0, "mean_ns": 1.0, "stderr_ns": 0.1, "n": 5, "allocated_bytes": 0, "op_unit": "event",
///     "reference": false, "packets_per_op": null, "events_per_op": null, "runs": 5, "run_noise": 0.03 } ] }
/// </code>
/// stderr_ns is the standard error of the median. Ratios are not stored: they are recomputed from the medians, so a file cannot disagree with itself.
/// cpu_model (/proc/cpuinfo "model name"), runs and run_noise (<see cref="RunNoiseModel"/>) came later: a file without them
/// has an unknown CPU model, one run, and no noise model.
/// </summary>
public static class BaselineFile
{
    public static string ToJson(BenchRun run, string name)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", 1);
            w.WriteString("name", name);
            w.WriteString("run_id", run.RunId);
            w.WriteString("date", run.Date.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteString("commit", run.Commit);
            w.WriteString("lab_version", run.LabVersion);
            w.WriteString("host", run.Host);
            w.WriteString("machine", run.Machine);
            if (run.CpuModel is { } cpu) w.WriteString("cpu_model", cpu);
            else w.WriteNull("cpu_model");
            w.WriteNumber("runs", run.Runs);
            w.WriteString("mode", run.Mode.ToString().ToLowerInvariant());
            w.WriteBoolean("optimized", run.Optimized);
            w.WriteBoolean("slowdown", run.Slowdown);
            w.WriteStartArray("benchmarks");
            foreach (var m in run.Measurements)
            {
                w.WriteStartObject();
                w.WriteString("suite", m.Suite);
                w.WriteString("benchmark", m.Benchmark);
                w.WriteString("parameters", m.Parameters);
                w.WriteNumber("median_ns", m.MedianNs);
                w.WriteNumber("mean_ns", m.MeanNs);
                Number(w, "stderr_ns", m.StdErrNs);
                w.WriteNumber("n", m.N);
                Number(w, "allocated_bytes", m.AllocatedBytes);
                w.WriteString("op_unit", m.OpUnit);
                w.WriteBoolean("reference", m.IsReference);
                Number(w, "packets_per_op", m.PacketsPerOp);
                Number(w, "events_per_op", m.EventsPerOp);
                w.WriteNumber("runs", m.Runs);
                Number(w, "run_noise", m.RunNoise);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    static void Number(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x)) w.WriteNumber(name, x);
        else w.WriteNull(name);
    }

    /// <summary>Writes atomically (temporary name, then rename).</summary>
    public static void Save(string path, BenchRun run, string name)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(tmp, ToJson(run, name));
        File.Move(tmp, full, overwrite: true);
    }

    public static BenchRun Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ParameterException("compare", $"no such baseline file '{path}'");
        }
        return Parse(text, path);
    }

    public static BenchRun Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new LabInputException($"{source}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON: {e.Message.Split('.')[0]}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            int format = Int(root, "format", source);
            if (format != 1) throw new LabInputException($"{source}: expected baseline format 1, found {format}");
            var list = new List<BenchMeasurement>();
            if (!root.TryGetProperty("benchmarks", out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new LabInputException($"{source}: expected an array 'benchmarks'");
            int i = 0;
            foreach (var b in arr.EnumerateArray())
            {
                string where = $"{source}: benchmarks[{i++}]";
                list.Add(new BenchMeasurement(
                    Str(b, "suite", where), Str(b, "benchmark", where), Str(b, "parameters", where),
                    Dbl(b, "median_ns", where) ?? throw new LabInputException($"{where}: expected a number 'median_ns'"),
                    Dbl(b, "mean_ns", where) ?? throw new LabInputException($"{where}: expected a number 'mean_ns'"),
                    Dbl(b, "stderr_ns", where) ?? 0, Int(b, "n", where), Dbl(b, "allocated_bytes", where),
                    Str(b, "op_unit", where), b.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.True,
                    Dbl(b, "packets_per_op", where), Dbl(b, "events_per_op", where))
                {
                    Runs = OptionalRuns(b, where),
                    RunNoise = Dbl(b, "run_noise", where),
                });
            }
            string modeText = Str(root, "mode", source);
            if (!Enum.TryParse<BenchMode>(modeText, ignoreCase: true, out var mode))
                throw new LabInputException($"{source}: expected mode full, quick or dry, found '{modeText}'");
            var date = DateTimeOffset.Parse(Str(root, "date", source), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            return new BenchRun(Str(root, "run_id", source), date, Str(root, "commit", source), Str(root, "lab_version", source),
                Str(root, "host", source), Str(root, "machine", source), mode,
                root.TryGetProperty("optimized", out var o) && o.ValueKind == JsonValueKind.True,
                root.TryGetProperty("slowdown", out var s) && s.ValueKind == JsonValueKind.True, list)
            {
                CpuModel = root.TryGetProperty("cpu_model", out var cpu) && cpu.ValueKind == JsonValueKind.String && cpu.GetString()!.Length > 0 ? cpu.GetString() : null,
                Runs = OptionalRuns(root, source),
            };
        }
    }

    static string Str(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new LabInputException($"{where}: expected a string '{name}'");

    static int Int(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x) ? x
            : throw new LabInputException($"{where}: expected an integer '{name}'");

    static int OptionalRuns(JsonElement e, string where)
    {
        if (!e.TryGetProperty("runs", out var v) || v.ValueKind == JsonValueKind.Null) return 1;
        int n = Int(e, "runs", where);
        return n >= 1 ? n : throw new LabInputException($"{where}: expected 'runs' of at least 1, found {n}");
    }

    static double? Dbl(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new LabInputException($"{where}: expected a number '{name}', found {v.ValueKind.ToString().ToLowerInvariant()}");
        return v.GetDouble();
    }
}
