using System.Globalization;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Regression;

/// <summary>One expectation checked: the measured mean (null when the run has no such point or metric).</summary>
public sealed record RegressionCheck(string Scenario, Expectation Expectation, double? Actual)
{
    public bool Passed => Actual is { } a && Expectation.Tolerance.Allows(Expectation.Expected, a);

    /// <summary>Relative change from the expected value (NaN when the expected value is 0 or nothing was measured).</summary>
    public double Change => Actual is { } a && Expectation.Expected != 0 ? a / Expectation.Expected - 1 : double.NaN;
}

/// <summary>
/// `lab regress [DIR] [--update]`: runs every scenario of DIR (default scenarios/regression), takes
/// each expected metric's mean over replications at its sweep point, and compares it with the
/// committed value and tolerance in NAME.expected.json. Prints every check with what moved and by
/// how much; returns 1 when any metric is out of tolerance, missing, or a scenario has no
/// expectations. With --update, rewrites the expected values to what was measured (keeping the
/// metric list, tolerances and notes; a scenario without a file gets the default key metrics of
/// every point), prints old -> new, and returns 0.
/// </summary>
public static class RegressionRunner
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Key metrics a new expectation file starts with, per point, and their tolerances.</summary>
    public static readonly (string Metric, string Tolerance)[] DefaultMetrics =
    [
        ("delivered_pps", "0.1%"), ("loss_ratio", "0.0001"), ("latency_mean_us", "1%"), ("latency_p99_us", "2%"),
    ];

    public static IReadOnlyList<string> Scenarios(string dir)
    {
        if (!Directory.Exists(dir)) throw ParameterException.Mentioning(new CommandName("regress"), $": no such directory '{dir}'");
        var files = Directory.GetFiles(dir, "*.yaml").Where(f => !f.EndsWith(".expected.yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw ParameterException.Mentioning(new CommandName("regress"), $": no scenario (*.yaml) in '{dir}'");
        return files;
    }

    /// <summary>Runs the check (or the update) and prints its report to <paramref name="output"/>, commands named by <paramref name="wording"/>.</summary>
    public static int Run(string dir, bool update, TextWriter output, Wording wording, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(wording);
        var files = Scenarios(dir);
        // Validate every expectation file before running anything: a bad file is bad input.
        var existing = files.ToDictionary(f => f, f => File.Exists(ExpectationFile.PathFor(f)) ? ExpectationFile.Load(ExpectationFile.PathFor(f)) : null);
        output.WriteLine(wording.Render(new CommandName("regress"), $": {files.Count} scenario(s) in {dir}{(update ? " (updating expectations)" : "")}"));
        int changedScenarios = 0;
        foreach (var file in files)
        {
            string name = Path.GetFileNameWithoutExtension(file);
            var set = RunPipeline.Run(ScenarioLoading.Load(file, null, null, null), cancellation: cancellation);
            var expected = existing[file];
            if (expected is null)
            {
                if (!update)
                {
                    output.WriteLine(wording.Render($"\n{name}: no expectations ({ExpectationFile.PathFor(file)} is missing; ", new CommandName("regress"), " ", new ParameterName("update"), " writes it)"));
                    changedScenarios++;
                    continue;
                }
                expected = new ExpectationFile(Path.GetFileName(file), null,
                    [.. set.Points.SelectMany(p => DefaultMetrics.Select(d => new Expectation(p.Index, d.Metric, double.NaN, Tolerance.Parse(d.Tolerance, "default"), null)))]);
            }
            var checks = expected.Metrics.Select(e => new RegressionCheck(name, e, Mean(set, e.Point, e.Metric))).ToList();
            if (update)
            {
                Update(file, name, expected, checks, output);
                continue;
            }
            bool ok = checks.All(c => c.Passed);
            if (!ok) changedScenarios++;
            output.WriteLine($"\n{name}: {(ok ? "ok" : "CHANGED")} ({checks.Count} metric(s), {set.Points.Count} point(s))");
            output.Write(Table(checks));
        }
        if (update)
        {
            output.WriteLine("\nexpectations updated; review the diff (git diff) before committing");
            return ExitCodes.Ok;
        }
        output.WriteLine(changedScenarios == 0
            ? $"\nresult: all {files.Count} scenario(s) match their expectations"
            : $"\nresult: {changedScenarios} of {files.Count} scenario(s) changed");
        return changedScenarios == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    static void Update(string file, string name, ExpectationFile old, List<RegressionCheck> checks, TextWriter output)
    {
        var missing = checks.Where(c => c.Actual is null).ToList();
        if (missing.Count > 0)
        {
            throw new LabInputException(string.Join("; ", missing.Select(c =>
                $"{ExpectationFile.PathFor(file)}: point {c.Expectation.Point} has no metric '{c.Expectation.Metric}' (remove it from the file)")));
        }
        var updated = old with { Metrics = [.. checks.Select(c => c.Expectation with { Expected = c.Actual!.Value })] };
        string path = ExpectationFile.PathFor(file);
        updated.Save(path);
        int moved = checks.Count(c => c.Actual!.Value != c.Expectation.Expected);
        output.WriteLine($"\n{name}: {path}: {moved} of {checks.Count} value(s) changed");
        foreach (var c in checks.Where(c => c.Actual!.Value != c.Expectation.Expected))
        {
            string before = double.IsNaN(c.Expectation.Expected) ? "(new)" : Num(c.Expectation.Expected);
            output.WriteLine($"  point {c.Expectation.Point} {c.Expectation.Metric}: {before} -> {Num(c.Actual!.Value)}{(double.IsNaN(c.Change) ? "" : $" ({Pct(c.Change)})")}");
        }
    }

    /// <summary>The mean over replications of a metric at a point, or null when the run has no such point or metric.</summary>
    public static double? Mean(RunSet set, int point, string metric)
    {
        var p = set.Points.FirstOrDefault(x => x.Index == point);
        if (p is null) return null;
        var values = new List<double>();
        foreach (var r in p.Replications)
        {
            foreach (var m in r.Metrics)
            {
                if (m.Name == metric) values.Add(m.Value);
            }
        }
        return values.Count == 0 ? null : Summary.Of(values).Mean;
    }

    static string Table(List<RegressionCheck> checks)
    {
        var t = new TextTable("point", "metric", "expected", "tolerance", "measured", "change", "").RightAlign(0, 2, 4, 5);
        foreach (var c in checks)
        {
            t.Add(c.Expectation.Point.ToString(Inv), c.Expectation.Metric, Num(c.Expectation.Expected), "±" + c.Expectation.Tolerance,
                c.Actual is { } a ? Num(a) : "(missing)",
                c.Actual is { } b ? (double.IsNaN(c.Change) ? "+" + Num(b - c.Expectation.Expected) : Pct(c.Change)) : "-",
                c.Passed ? "ok" : "CHANGED");
        }
        return t.ToString();
    }

    static string Num(double v) => v.ToString("G10", Inv);

    static string Pct(double f) => (f >= 0 ? "+" : "") + (f * 100).ToString("0.####", Inv) + "%";
}
