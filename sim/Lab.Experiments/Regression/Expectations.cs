using System.Globalization;
using System.Text;
using System.Text.Json;
using Lab.Core;

namespace Lab.Experiments.Regression;

/// <summary>An allowed deviation: relative ("1%", of the expected value) or absolute (a number in the metric's unit).</summary>
public readonly record struct Tolerance(double Value, bool Relative)
{
    public static Tolerance Parse(string text, string where)
    {
        string t = text.Trim();
        if (t.EndsWith('%') && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p >= 0 && double.IsFinite(p))
            return new Tolerance(p / 100, true);
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double a) && a >= 0 && double.IsFinite(a))
            return new Tolerance(a, false);
        throw new LabInputException($"{where}: expected a tolerance such as \"1%\" or \"0.001\", found '{text}'");
    }

    /// <summary>The largest allowed |actual - expected|.</summary>
    public double Allowed(double expected) => Relative ? Math.Abs(expected) * Value : Value;

    public bool Allows(double expected, double actual) =>
        double.IsFinite(actual) && Math.Abs(actual - expected) <= Allowed(expected) * (1 + 1e-12);

    public override string ToString() => Relative
        ? (Value * 100).ToString("0.####", CultureInfo.InvariantCulture) + "%"
        : Value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>One key metric of one sweep point: its committed mean over replications and how far it may move.</summary>
public sealed record Expectation(int Point, string Metric, double Expected, Tolerance Tolerance, string? Note);

/// <summary>
/// NAME.expected.json beside NAME.yaml:
/// <code>
/// { "scenario": "NAME.yaml", "note": "why these values", "metrics": [
///     { "point": 0, "metric": "delivered_pps", "expected": 14880952.38, "tolerance": "0.01%", "note": "10e9 / 672" } ] }
/// </code>
/// Tolerances are relative ("1%") or absolute (a number, in the metric's unit).
/// </summary>
public sealed record ExpectationFile(string Scenario, string? Note, IReadOnlyList<Expectation> Metrics)
{
    public static string PathFor(string scenarioFile) =>
        Path.Combine(Path.GetDirectoryName(scenarioFile) ?? ".", Path.GetFileNameWithoutExtension(scenarioFile) + ".expected.json");

    public static ExpectationFile Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new LabInputException($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON: {e.Message.Split('.')[0]}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new LabInputException($"{path}: expected a JSON object");
            string scenario = root.TryGetProperty("scenario", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()!
                : throw new LabInputException($"{path}: expected a string 'scenario'");
            string? note = root.TryGetProperty("note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            if (!root.TryGetProperty("metrics", out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new LabInputException($"{path}: expected an array 'metrics'");
            var list = new List<Expectation>();
            int i = 0;
            foreach (var m in arr.EnumerateArray())
            {
                string where = $"{path}: metrics[{i++}]";
                int point = m.TryGetProperty("point", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out int pi) && pi >= 0 ? pi
                    : throw new LabInputException($"{where}: expected a point index (an integer, 0 or more)");
                string metric = m.TryGetProperty("metric", out var mm) && mm.ValueKind == JsonValueKind.String ? mm.GetString()!
                    : throw new LabInputException($"{where}: expected a string 'metric'");
                double expected = m.TryGetProperty("expected", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble()
                    : throw new LabInputException($"{where}: expected a number 'expected'");
                var tol = m.TryGetProperty("tolerance", out var t) ? t.ValueKind switch
                {
                    JsonValueKind.String => Tolerance.Parse(t.GetString()!, where),
                    JsonValueKind.Number => Tolerance.Parse(t.GetRawText(), where),
                    _ => throw new LabInputException($"{where}: expected a tolerance such as \"1%\" or 0.001"),
                } : throw new LabInputException($"{where}: expected a 'tolerance'");
                string? mnote = m.TryGetProperty("note", out var mn) && mn.ValueKind == JsonValueKind.String ? mn.GetString() : null;
                list.Add(new Expectation(point, metric, expected, tol, mnote));
            }
            return new ExpectationFile(scenario, note, list);
        }
    }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("scenario", Scenario);
            if (Note is not null) w.WriteString("note", Note);
            w.WriteStartArray("metrics");
            foreach (var m in Metrics)
            {
                w.WriteStartObject();
                w.WriteNumber("point", m.Point);
                w.WriteString("metric", m.Metric);
                w.WriteNumber("expected", m.Expected);
                if (m.Tolerance.Relative) w.WriteString("tolerance", m.Tolerance.ToString());
                else w.WriteNumber("tolerance", m.Tolerance.Value);
                if (m.Note is not null) w.WriteString("note", m.Note);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>Writes atomically (temporary name, then rename).</summary>
    public void Save(string path)
    {
        string tmp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, path, overwrite: true);
    }
}
