using System.Globalization;
using Lab.Core;
using Lab.Results;

namespace Lab.Reports.Reading;

/// <summary>
/// Reads a results folder (RESULTS-FORMAT.md). Every malformed input is a
/// <see cref="LabInputException"/> naming the file, line and column; cross-file inconsistencies
/// (a point in metrics.csv that the summary lacks) name the row that disagrees.
/// </summary>
public static class ResultsReader
{
    public const int SupportedFormat = 1;

    static readonly string[] TimeSeriesKeys = ["point", "replication", "time_s"];

    public static ResultsSet Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new LabInputException($"{folder}: expected a results folder, found {(File.Exists(folder) ? "a file" : "nothing")}");
        string summaryPath = Path.Combine(folder, "summary.json");
        if (!File.Exists(summaryPath)) throw new LabInputException($"{folder}: expected a results folder with summary.json, found none");
        var summary = ReadSummary(summaryPath, File.ReadAllBytes(summaryPath));
        string provenancePath = Path.Combine(folder, "provenance.json");
        if (!File.Exists(provenancePath)) throw new LabInputException($"{folder}: expected provenance.json beside summary.json, found none");
        var provenance = ReadProvenance(provenancePath, File.ReadAllBytes(provenancePath));

        var metrics = Optional(folder, "metrics.csv", (n, t) => ReadMetrics(n, t, summary), new MetricsTable(summary.SweepParameters, []));
        var series = Optional(folder, "timeseries.csv", (n, t) => ReadTimeSeries(n, t, summary), TimeSeriesTable.Empty);
        var cdf = Optional(folder, "latency_cdf.csv", (n, t) => ReadLatencyCdf(n, t, summary), []);
        var validation = Optional(folder, "validation.csv", ReadValidation, []);
        string yamlPath = Path.Combine(folder, "scenario.yaml");
        string? yaml = File.Exists(yamlPath) ? File.ReadAllText(yamlPath) : null;
        var timing = Optional(folder, "timing.csv", ReadTiming, []);
        return new ResultsSet(Path.GetFullPath(folder), summary, provenance, metrics, series, cdf, validation, yaml) { Timing = timing };
    }

    static T Optional<T>(string folder, string file, Func<string, string, T> read, T absent)
    {
        string path = Path.Combine(folder, file);
        return File.Exists(path) ? read(path, File.ReadAllText(path)) : absent;
    }

    static byte[] WithoutBom(byte[] bytes) =>
        bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? bytes[3..] : bytes;

    public static ResultsSummary ReadSummary(string name, byte[] bytes)
    {
        var root = PositionedJson.Parse(name, WithoutBom(bytes));
        root.AsObject("the summary");
        var formatValue = root.Required("format", "the summary");
        long format = formatValue.AsInteger("the format version");
        if (format != SupportedFormat) throw new LabInputException($"{formatValue.Where}: expected format {SupportedFormat}, found {format} (this lab reads format {SupportedFormat} only)");

        var s = root.Required("scenario", "the summary");
        var scenario = new ScenarioIdentity(
            s.Required("name", "\"scenario\"").AsString("the scenario name"),
            s.Optional("description")?.AsString("the scenario description") ?? "",
            s.Required("hash", "\"scenario\"").AsString("the scenario hash"));

        var r = root.Required("run", "the summary");
        var repValue = r.Required("replications", "\"run\"");
        long replications = repValue.AsInteger("the number of replications");
        if (replications < 1) throw new LabInputException($"{repValue.Where}: expected at least 1 replication, found {replications}");
        var run = new RunControl(
            r.Required("duration_s", "\"run\"").AsDouble("the duration in seconds"),
            r.Optional("warmup_s")?.AsDouble("the warm-up in seconds") ?? 0,
            r.Required("seed", "\"run\"").AsInteger("the seed"),
            (int)replications);

        var sweepParameters = new List<string>();
        if (root.Optional("sweep") is { } sweep && sweep.Optional("parameters") is { } names)
            foreach (var n in names.AsArray("the swept parameter names")) sweepParameters.Add(n.AsString("a swept parameter name"));

        var keyMetrics = new List<string>();
        if (root.Optional("key_metrics") is { } keys)
            foreach (var k in keys.AsArray("the key metric names")) keyMetrics.Add(k.AsString("a key metric name"));

        var points = new List<SweepPoint>();
        foreach (var p in root.Required("points", "the summary").AsArray("the sweep points"))
        {
            var indexValue = p.Required("index", "a point");
            long index = indexValue.AsInteger("the point index");
            if (index != points.Count) throw new LabInputException($"{indexValue.Where}: expected point index {points.Count} (points in order from 0), found {index}");
            var parameters = ReadParameters(p.Optional("parameters"), sweepParameters, p);
            var metrics = new SortedDictionary<string, MetricSummary>(StringComparer.Ordinal);
            foreach (var m in p.Required("metrics", "a point").AsObject("the point's metrics"))
                metrics.Add(m.Key, ReadMetricSummary(m.Key, m.Value));
            points.Add(new SweepPoint((int)index, parameters, metrics));
        }
        if (points.Count == 0) throw new LabInputException($"{root.Required("points", "the summary").Where}: expected at least one point, found none");
        return new ResultsSummary((int)format, scenario, run, sweepParameters, points) { KeyMetrics = keyMetrics };
    }

    static List<KeyValuePair<string, string>> ReadParameters(JsonValue? value, List<string> sweep, JsonValue point)
    {
        var found = value?.AsObject("the point's parameters") ?? [];
        var result = new List<KeyValuePair<string, string>>();
        foreach (var name in sweep)
        {
            JsonValue? v = null;
            foreach (var f in found) if (f.Key == name) v = f.Value;
            if (v is null) throw new LabInputException($"{(value ?? point).Where}: the point has no value for swept parameter \"{name}\"");
            string text = v.Kind switch
            {
                JsonKind.String => v.AsString(name),
                JsonKind.Number => v.AsDouble(name).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                JsonKind.True => "true",
                JsonKind.False => "false",
                _ => throw v.Error($"a value for \"{name}\" as a string or number"),
            };
            result.Add(new(name, text));
        }
        foreach (var f in found)
            if (!sweep.Contains(f.Key)) throw new LabInputException($"{f.Value.Where}: parameter \"{f.Key}\" is not among the swept parameters [{string.Join(", ", sweep)}]");
        return result;
    }

    static MetricSummary ReadMetricSummary(string name, JsonValue m)
    {
        string what = $"metric \"{name}\"";
        var values = new List<double>();
        if (m.Optional("values") is { } vs)
            foreach (var v in vs.AsArray($"the values of {what}")) values.Add(v.AsDouble($"a value of {what}"));
        var nValue = m.Optional("n");
        int n = nValue is null ? values.Count : (int)nValue.AsInteger($"the n of {what}");
        if (nValue is not null && m.Optional("values") is not null && n != values.Count)
            throw new LabInputException($"{nValue.Where}: {what} has n = {n} but {values.Count} values");
        return new MetricSummary(
            m.Required("unit", what).AsString($"the unit of {what}"),
            new Summary(
                m.Required("mean", what).AsDouble($"the mean of {what}"),
                m.Optional("stddev")?.AsDouble($"the stddev of {what}") ?? double.NaN,
                m.Optional("ci95_low")?.AsDouble($"the ci95_low of {what}") ?? double.NaN,
                m.Optional("ci95_high")?.AsDouble($"the ci95_high of {what}") ?? double.NaN,
                n),
            values);
    }

    static readonly string[] TimingColumns =
    [
        "point", "offered_pps", "model_ns_per_packet", "kernel_ns_per_packet", "error_percent", "baseline_ns_per_packet",
        "model_delivered_pps", "kernel_forwarded_pps", "model_loss", "kernel_loss", "emulated",
    ];

    /// <summary>timing.csv as <c>lab validate --timing</c> writes it (captures/VALIDATION.md); an empty number is NaN.</summary>
    public static IReadOnlyList<TimingRow> ReadTiming(string name, string text)
    {
        var csv = CsvFile.Parse(name, text);
        csv.ExpectHeader(TimingColumns, exact: true);
        csv.ExpectRectangular();
        double D(CsvField f, string column) => f.Text.Length == 0 ? double.NaN : csv.Double(f, column);
        var rows = new List<TimingRow>(csv.Records.Count);
        foreach (var r in csv.Records)
            rows.Add(new TimingRow(csv.NonEmpty(r[0], "point"), D(r[1], "offered_pps"), D(r[2], "model_ns_per_packet"), D(r[3], "kernel_ns_per_packet"),
                D(r[4], "error_percent"), D(r[5], "baseline_ns_per_packet"), D(r[6], "model_delivered_pps"), D(r[7], "kernel_forwarded_pps"),
                D(r[8], "model_loss"), D(r[9], "kernel_loss"), csv.Boolean(r[10], "emulated")));
        return rows;
    }

    public static Provenance ReadProvenance(string name, byte[] bytes)
    {
        var root = PositionedJson.Parse(name, WithoutBom(bytes));
        root.AsObject("the provenance");
        var dateValue = root.Required("run_date", "the provenance");
        string date = dateValue.AsString("the run date");
        if (!DateTimeOffset.TryParseExact(date, Provenance.RunDateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var runDate))
            throw new LabInputException($"{dateValue.Where}: expected the run date as {Provenance.RunDateFormat} (UTC), found '{date}'");
        var costs = new List<string>();
        if (root.Optional("costs") is { } lines)
            foreach (var line in lines.AsArray("the cost sources")) costs.Add(line.AsString("a cost source"));
        return new Provenance(
            runDate,
            root.Required("lab_version", "the provenance").AsString("the lab version"),
            root.Required("commit", "the provenance").AsString("the commit"),
            root.Optional("host")?.AsString("the host") ?? "",
            root.Optional("command")?.AsString("the command line") ?? "") { Costs = costs };
    }

    public static MetricsTable ReadMetrics(string name, string text, ResultsSummary summary)
    {
        var csv = CsvFile.Parse(name, text);
        var expected = new List<string> { "point" };
        expected.AddRange(summary.SweepParameters);
        expected.AddRange(["replication", "metric", "unit", "value"]);
        csv.ExpectHeader(expected, exact: true);
        csv.ExpectRectangular();
        int k = summary.SweepParameters.Count;
        var rows = new List<MetricRow>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            int point = Point(csv, r[0], summary);
            var parameters = new string[k];
            for (int i = 0; i < k; i++)
            {
                parameters[i] = r[1 + i].Text;
                string expectedValue = summary.Points[point].Parameters[i].Value;
                if (parameters[i] != expectedValue)
                    throw new LabInputException($"{name}:{r[1 + i].Line}:{r[1 + i].Column}: expected '{expectedValue}' for {summary.SweepParameters[i]} at point {point} (as in summary.json), found '{parameters[i]}'");
            }
            int replication = Replication(csv, r[1 + k], summary);
            rows.Add(new MetricRow(point, parameters, replication, csv.NonEmpty(r[2 + k], "metric"), r[3 + k].Text, csv.Double(r[4 + k], "value")));
        }
        return new MetricsTable(summary.SweepParameters, rows);
    }

    public static TimeSeriesTable ReadTimeSeries(string name, string text, ResultsSummary summary)
    {
        var csv = CsvFile.Parse(name, text);
        csv.ExpectHeader(TimeSeriesKeys, exact: false);
        csv.ExpectRectangular();
        int warmupColumn = -1;
        var series = new List<int>();
        for (int c = TimeSeriesKeys.Length; c < csv.Header.Count; c++)
        {
            if (csv.Header[c].Text == "warmup") warmupColumn = c;
            else series.Add(c);
        }
        var rows = new List<TimeSample>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            var values = new double[series.Count];
            for (int i = 0; i < series.Count; i++) values[i] = csv.Double(r[series[i]], csv.Header[series[i]].Text);
            rows.Add(new TimeSample(
                Point(csv, r[0], summary),
                Replication(csv, r[1], summary),
                csv.Double(r[2], "time_s"),
                warmupColumn >= 0 && csv.Boolean(r[warmupColumn], "warmup"),
                values));
        }
        return new TimeSeriesTable(series.Select(c => csv.Header[c].Text).ToArray(), rows);
    }

    public static IReadOnlyList<CdfPoint> ReadLatencyCdf(string name, string text, ResultsSummary summary)
    {
        var csv = CsvFile.Parse(name, text);
        csv.ExpectHeader(["point", "replication", "quantile", "latency_us"], exact: true);
        csv.ExpectRectangular();
        var rows = new List<CdfPoint>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            double q = csv.Double(r[2], "quantile");
            if (q is < 0 or > 1) throw new LabInputException($"{name}:{r[2].Line}:{r[2].Column}: expected a quantile between 0 and 1, found '{r[2].Text}'");
            rows.Add(new CdfPoint(Point(csv, r[0], summary), Replication(csv, r[1], summary), q, csv.Double(r[3], "latency_us")));
        }
        return rows;
    }

    public static IReadOnlyList<ValidationRow> ReadValidation(string name, string text)
    {
        var csv = CsvFile.Parse(name, text);
        csv.ExpectHeader(["check", "metric", "simulated", "kernel", "agree"], exact: true);
        csv.ExpectRectangular();
        var rows = new List<ValidationRow>(csv.Records.Count);
        foreach (var r in csv.Records)
            rows.Add(new ValidationRow(csv.NonEmpty(r[0], "check"), csv.NonEmpty(r[1], "metric"), csv.Double(r[2], "simulated"), csv.Double(r[3], "kernel"), csv.Boolean(r[4], "agree")));
        return rows;
    }

    static int Point(CsvFile csv, CsvField f, ResultsSummary summary)
    {
        int point = csv.Integer(f, "point");
        return point < summary.Points.Count ? point
            : throw new LabInputException($"{csv.Name}:{f.Line}:{f.Column}: expected a point index below {summary.Points.Count} (the points in summary.json), found {point}");
    }

    static int Replication(CsvFile csv, CsvField f, ResultsSummary summary)
    {
        int replication = csv.Integer(f, "replication");
        return replication < summary.Run.Replications ? replication
            : throw new LabInputException($"{csv.Name}:{f.Line}:{f.Column}: expected a replication index below {summary.Run.Replications} (run.replications in summary.json), found {replication}");
    }
}
