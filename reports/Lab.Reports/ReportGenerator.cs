using System.Text;
using Lab.Core;
using Lab.Reports.Bench;
using Lab.Reports.Content;
using Lab.Reports.Reading;
using Lab.Reports.Writers;
using Lab.Results;

namespace Lab.Reports;

/// <summary>Options of <c>lab report</c>.</summary>
public sealed record ReportOptions(IReadOnlyList<string> Results, string? OutDir, string? Compare, string? Title, bool Force = false)
{
    /// <summary>--metrics: the metrics the slides show (every metric stays in report.html); null: the scenario's key metrics.</summary>
    public IReadOnlyList<string>? Metrics { get; init; }
}

/// <summary>What <c>lab report</c> wrote.</summary>
public sealed record ReportOutput(string OutDir, IReadOnlyList<string> Files, int Figures, int Tables, int Slides);

/// <summary>
/// <c>lab report</c>: reads results folders (and a baseline), builds the report and writes
/// report.md, report.html, slides.html, figures/*.png|svg and tables/*.csv into the output
/// folder. Each file is written under a temporary name and renamed, so none is half-written.
/// </summary>
public static class ReportGenerator
{
    /// <summary>Where reports go when --out is not given: reports/out/ (ignored by git), by scenario.</summary>
    public static string DefaultOutDir(ResultsSet first) => Path.Combine("reports", "out", Display.Slug(first.Name));

    public static ReportOutput Generate(ReportOptions options, TextWriter log)
    {
        if (options.Results.Count == 0) throw new LabInputException("lab report: expected at least one RESULTS folder (or --bench for the benchmark history)");
        var results = options.Results.Select(ResultsReader.Read).ToList();
        var baseline = options.Compare is { } b ? ResultsReader.Read(b) : null;
        if (baseline is not null)
        {
            foreach (var r in results)
            {
                if (!r.Summary.SweepParameters.SequenceEqual(baseline.Summary.SweepParameters))
                    throw new LabInputException($"--compare: expected the baseline to sweep the same parameters as {r.Folder} [{string.Join(", ", r.Summary.SweepParameters)}], found [{string.Join(", ", baseline.Summary.SweepParameters)}]");
            }
        }
        if (options.Metrics is { } metrics) MetricSelection.Validate(metrics, results, baseline);
        string outDir = options.OutDir ?? DefaultOutDir(results[0]);
        OutputFolder.Check(outDir, OutputKind.Report, options.Force);
        var doc = ReportBuilder.Build(results, baseline, options.Title, options.Metrics);
        return Write(doc, outDir, log, options.Force);
    }

    /// <summary>Where <c>lab report --bench</c> writes when --out is not given.</summary>
    public const string DefaultBenchOutDir = "reports/out/bench-trends";

    /// <summary><c>lab report --bench</c>: the benchmark history, in the same formats as other reports.</summary>
    public static ReportOutput GenerateBench(BenchTrends trends, string? outDir, string? title, TextWriter log, bool force = false) =>
        Write(BenchTrendReport.Build(trends, title), outDir ?? DefaultBenchOutDir, log, force);

    /// <summary>
    /// Writes the report's files into <paramref name="outDir"/> (each atomically), after checking it is
    /// new, empty or an earlier report (<see cref="OutputFolder.Check"/>; <paramref name="force"/> is --force).
    /// </summary>
    public static ReportOutput Write(ReportDocument doc, string outDir, TextWriter log, bool force = false)
    {
        OutputFolder.Check(outDir, OutputKind.Report, force);
        Directory.CreateDirectory(outDir);
        if (OutputFolder.ReadMarker(outDir)?.Kind != OutputKind.Report) OutputFolder.WriteMarker(outDir, OutputKind.Report);
        Directory.CreateDirectory(Path.Combine(outDir, "figures"));
        Directory.CreateDirectory(Path.Combine(outDir, "tables"));
        var files = new List<string>();
        var figures = new Dictionary<string, RenderedFigure>(StringComparer.Ordinal);
        int tables = 0;
        foreach (var block in doc.Sections.SelectMany(s => s.Blocks))
        {
            switch (block)
            {
                case FigureBlock f:
                    var rendered = FigureRenderer.Render(f.Figure);
                    figures.Add(f.Figure.Id, rendered);
                    files.Add(WriteAtomically(outDir, $"figures/{f.Figure.Id}.png", rendered.Png));
                    files.Add(WriteAtomically(outDir, $"figures/{f.Figure.Id}.svg", Utf8(rendered.Svg)));
                    break;
                case TableBlock t:
                    tables++;
                    files.Add(WriteAtomically(outDir, $"tables/{t.Table.Id}.csv", Utf8(CsvWriter.Write(t.Table.CsvHeader, t.Table.CsvRows))));
                    break;
            }
        }
        files.Add(WriteAtomically(outDir, "report.md", Utf8(MarkdownWriter.Write(doc))));
        files.Add(WriteAtomically(outDir, "report.html", Utf8(HtmlReportWriter.Write(doc, figures))));
        files.Add(WriteAtomically(outDir, "slides.html", Utf8(SlidesWriter.Write(doc, figures))));
        int slides = SlidesWriter.Count(doc);
        log.WriteLine($"report: {figures.Count} figures, {tables} tables, {slides} slides in {outDir}");
        foreach (var f in files) log.WriteLine($"  {f}");
        return new ReportOutput(outDir, files, figures.Count, tables, slides);
    }

    static byte[] Utf8(string text) => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);

    static string WriteAtomically(string outDir, string relative, byte[] bytes)
    {
        string path = Path.Combine(outDir, relative);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return relative;
    }
}
