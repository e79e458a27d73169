using System.Globalization;
using System.Text;
using System.Text.Json;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Results;
using Lab.Scenarios;
using Lab.Scenarios.Yaml;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// DIR/sweep.json: what a sweep folder is a sweep of. It holds everything a results folder needs
/// besides the runs themselves (the resolved scenario, the run control, each point's
/// parameters), so that <c>lab merge</c> can rebuild the results from shard folders alone, and
/// the run hash that every run file must carry.
/// </summary>
public sealed record SweepManifest(
    string ScenarioName,
    string Description,
    string ResolvedYaml,
    string RunHash,
    double DurationSeconds,
    double WarmupSeconds,
    long Seed,
    int Replications,
    IReadOnlyList<string> SweptParameters,
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> PointParameters,
    ShardSpec Shard,
    Precision? Precision)
{
    public const string FileName = "sweep.json";
    const int Format = 1;

    public int Points => PointParameters.Count;

    /// <summary>The scenario's key metrics (<see cref="Running.KeyMetrics"/>), carried into the merged summary.json; empty in older sweep.json files.</summary>
    public IReadOnlyList<string> KeyMetrics { get; init; } = [];

    public static SweepManifest From(LoadedScenario loaded, ShardSpec shard, Precision? precision)
    {
        var first = loaded.First;
        return new SweepManifest(first.Name, first.Description, ResolvedScenario.Yaml(loaded), RunHashOf(loaded),
            SimTime.ToSeconds(first.Run.Duration), SimTime.ToSeconds(first.Run.Warmup), first.Run.Seed, first.Run.Replications,
            loaded.SweptParameters, loaded.Points.Select(p => p.Parameters).ToList(), shard, precision)
        { KeyMetrics = Lab.Simulation.Running.KeyMetrics.Of(first) };
    }

    /// <summary>
    /// The identity of a run's inputs: the SHA-256 of the resolved scenario with run.replications
    /// blanked out. A run's result depends on the scenario, the seed and its replication number,
    /// not on how many replications there are, so a sweep may be extended with more replications
    /// (or sequential stopping may add them) and keep the runs it has.
    /// </summary>
    public static string RunHashOf(LoadedScenario loaded)
    {
        var tree = (YMap)loaded.BaseTree.Clone();
        if (loaded.Sweep is not null) tree.Set("sweep", loaded.Sweep.Clone(), loaded.Sweep.Pos);
        var run = tree["run"] as YMap ?? new YMap(tree.Pos);
        run.Set("replications", new YScalar(run.Pos, "any"), run.Pos);
        tree.Set("run", run, tree.Pos);
        return ResultsWriter.Hash(ResolvedScenario.Yaml(tree, loaded.First));
    }

    /// <summary>The results of <paramref name="points"/> as a run set; run.replications is the largest count of any point.</summary>
    public RunSet ToRunSet(IReadOnlyList<PointResult> points)
    {
        int reps = 0;
        foreach (var p in points) reps = Math.Max(reps, p.Replications.Count);
        return new RunSet(ScenarioName, Description, ResolvedYaml, DurationSeconds, WarmupSeconds, Seed, reps, SweptParameters, points) { KeyMetrics = KeyMetrics };
    }

    public string Serialize()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", Format);
            w.WriteString("scenario", ScenarioName);
            w.WriteString("description", Description);
            w.WriteString("run_hash", RunHash);
            w.WriteString("scenario_hash", ResultsWriter.Hash(ResolvedYaml));
            w.WriteNumber("duration_s", DurationSeconds);
            w.WriteNumber("warmup_s", WarmupSeconds);
            w.WriteNumber("seed", Seed);
            w.WriteNumber("replications", Replications);
            w.WriteString("shard", Shard.ToString());
            if (Precision is { } p)
            {
                w.WriteStartObject("precision");
                w.WriteNumber("relative_half_width", p.RelativeHalfWidth);
                w.WriteStartArray("metrics");
                foreach (var m in p.Metrics) w.WriteStringValue(m);
                w.WriteEndArray();
                w.WriteNumber("batch", p.BatchSize);
                w.WriteNumber("max_replications", p.MaxReplications);
                w.WriteEndObject();
            }
            else w.WriteNull("precision");
            w.WriteStartArray("swept_parameters");
            foreach (var s in SweptParameters) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteStartArray("points");
            foreach (var ps in PointParameters)
            {
                w.WriteStartObject();
                foreach (var (k, v) in ps) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (KeyMetrics.Count > 0)
            {
                w.WriteStartArray("key_metrics");
                foreach (var m in KeyMetrics) w.WriteStringValue(m);
                w.WriteEndArray();
            }
            w.WriteString("scenario_yaml", ResolvedYaml);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    public static SweepManifest Read(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw ParameterException.Mentioning($"{dir}: not a sweep folder (no {FileName}; `", new CommandName("sweep"), " ", new ParameterName("out"), " DIR` makes one)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            int format = r.GetProperty("format").GetInt32();
            if (format != Format) throw new LabInputException($"{path}: sweep format {format}, this lab reads format {Format}");
            Precision? precision = null;
            if (r.GetProperty("precision") is { ValueKind: JsonValueKind.Object } pe)
            {
                precision = new Precision(pe.GetProperty("relative_half_width").GetDouble(),
                    pe.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()!).ToList(),
                    pe.GetProperty("batch").GetInt32(), pe.GetProperty("max_replications").GetInt32());
            }
            var points = new List<IReadOnlyList<KeyValuePair<string, string>>>();
            foreach (var p in r.GetProperty("points").EnumerateArray())
                points.Add(p.EnumerateObject().Select(x => new KeyValuePair<string, string>(x.Name, x.Value.GetString()!)).ToList());
            return new SweepManifest(r.GetProperty("scenario").GetString()!, r.GetProperty("description").GetString()!,
                r.GetProperty("scenario_yaml").GetString()!, r.GetProperty("run_hash").GetString()!,
                r.GetProperty("duration_s").GetDouble(), r.GetProperty("warmup_s").GetDouble(), r.GetProperty("seed").GetInt64(),
                r.GetProperty("replications").GetInt32(),
                r.GetProperty("swept_parameters").EnumerateArray().Select(s => s.GetString()!).ToList(), points,
                ShardSpec.Parse(r.GetProperty("shard").GetString()!, path), precision)
            {
                KeyMetrics = r.TryGetProperty("key_metrics", out var keys) ? keys.EnumerateArray().Select(k => k.GetString()!).ToList() : [],
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new LabInputException($"{path}: not a readable sweep file ({ex.Message.Split('\n')[0]})");
        }
    }

    public static string Describe(double share) => (share * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";
}
