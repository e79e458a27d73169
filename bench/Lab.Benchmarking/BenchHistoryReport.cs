using Lab.Core;
using Lab.Reports;

namespace Lab.Benchmarking;

/// <summary>The options of <c>lab report --bench</c>.</summary>
public sealed record BenchHistoryReportOptions
{
    public string? Suite { get; init; }
    public int Last { get; init; } = 10;
    public string? Mode { get; init; }
    public string? Database { get; init; }
    public string? OutDir { get; init; }
    public string? Title { get; init; }
    public bool Force { get; init; }
}

/// <summary>
/// <c>lab report --bench</c>: reads the benchmark runs from the results store, builds the trends
/// (<see cref="BenchTrendsBuilder"/>) and writes them as report.md, report.html, slides.html,
/// figures and tables (<see cref="ReportGenerator.GenerateBench"/>). A store that does not exist,
/// or holds no runs of the chosen modes, is bad input (exit 2): there is nothing to report, and
/// nothing is written.
/// </summary>
public static class BenchHistoryReport
{
    public static ReportOutput Generate(BenchHistoryReportOptions o, TextWriter output)
    {
        if (o.Last < 1) throw new ParameterException("last", $"expected a positive integer, found {o.Last}");
        var mode = BenchModeFilter.Parse(o.Mode);
        string db = o.Database ?? Lab.Results.ResultsStore.DefaultPath();
        // A report only reads: it never creates a store (or its folder).
        if (!File.Exists(db)) throw new ParameterException("db", $"no results store at {db} (benchmark runs are recorded there)");
        Lab.Results.OutputFolder.Check(o.OutDir ?? ReportGenerator.DefaultBenchOutDir, Lab.Results.OutputKind.Report, o.Force);
        IReadOnlyList<BenchRun> runs;
        using (var store = BenchStore.OpenReadOnly(db)) runs = BenchModeFilter.Select(store.Runs(mode), mode);
        var trends = BenchTrendsBuilder.Build(runs, o.Suite, o.Last, db, BenchModeFilter.Describe(mode));
        return ReportGenerator.GenerateBench(trends, o.OutDir, o.Title, output, o.Force);
    }
}

/// <summary>The --mode flag of <c>lab bench history</c> and <c>lab report --bench</c>: one mode, or by default full and quick runs (a dry run measures nothing).</summary>
public static class BenchModeFilter
{
    public static BenchMode? Parse(string? mode)
    {
        if (mode is null) return null;
        if (!Enum.TryParse<BenchMode>(mode, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(mode, out _))
            throw new ParameterException("mode", $"expected full, quick or dry, found '{mode}'");
        return parsed;
    }

    public static IReadOnlyList<BenchRun> Select(IReadOnlyList<BenchRun> runs, BenchMode? mode) =>
        mode is null ? [.. runs.Where(r => r.Mode != BenchMode.Dry)] : [.. runs.Where(r => r.Mode == mode)];

    public static string Describe(BenchMode? mode) => mode is { } m ? m.ToString().ToLowerInvariant() : "full or quick";
}
