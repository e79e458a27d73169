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
    /// <summary>How the front end names parameters and commands the report mentions; the library's names when null.</summary>
    public Wording? Words { get; init; }

    /// <summary>The metrics the slides show (every metric stays in report.html); null: the scenario's key metrics.</summary>
    public IReadOnlyList<string>? Metrics { get; init; }
}

/// <summary>What <c>lab report</c> wrote.</summary>
public sealed record ReportOutput(string OutDir, IReadOnlyList<string> Files, int Figures, int Tables, int Slides);

/// <summary>
/// <c>lab report</c>: reads results folders (and a baseline), builds the report and writes
/// report.md, report.html, slides.html, figures/*.png|svg and tables/*.csv into the output
/// folder. The files are rendered into a hidden folder beside it and published when all are done,
/// so neither a failure nor Ctrl-C leaves a half-written report.
/// </summary>
public static class ReportGenerator
{
    /// <summary>Where reports go when --out is not given: reports/out/ (ignored by git), by scenario.</summary>
    public static string DefaultOutDir(ResultsSet first) => Path.Combine("reports", "out", Display.Slug(first.Name));

    public static ReportOutput Generate(ReportOptions options, TextWriter log, CancellationToken cancellation = default)
    {
        if (options.Results.Count == 0) throw new ArgumentException("expected at least one results folder", nameof(options));
        var results = options.Results.Select(ResultsReader.Read).ToList();
        var baseline = options.Compare is { } b ? ResultsReader.Read(b) : null;
        if (baseline is not null)
        {
            foreach (var r in results)
            {
                if (!r.Summary.SweepParameters.SequenceEqual(baseline.Summary.SweepParameters))
                    throw new ParameterException("compare", $"expected the baseline to sweep the same parameters as {r.Folder} [{string.Join(", ", r.Summary.SweepParameters)}], found [{string.Join(", ", baseline.Summary.SweepParameters)}]");
            }
        }
        if (options.Metrics is { } metrics) MetricSelection.Validate(metrics, results, baseline);
        string outDir = options.OutDir ?? DefaultOutDir(results[0]);
        OutputFolder.Check(outDir, OutputKind.Report, options.Force);
        var doc = ReportBuilder.Build(results, baseline, options.Title, options.Metrics, options.Words);
        return Write(doc, outDir, log, options.Force, cancellation);
    }

    /// <summary>Where <c>lab report --bench</c> writes when --out is not given.</summary>
    public const string DefaultBenchOutDir = "reports/out/bench-trends";

    /// <summary><c>lab report --bench</c>: the benchmark history, in the same formats as other reports.</summary>
    public static ReportOutput GenerateBench(BenchTrends trends, string? outDir, string? title, TextWriter log, bool force = false, CancellationToken cancellation = default) =>
        Write(BenchTrendReport.Build(trends, title), outDir ?? DefaultBenchOutDir, log, force, cancellation);

    /// <summary>
    /// Writes the report's files into <paramref name="outDir"/>, after checking it is new, empty or an
    /// earlier report (<see cref="OutputFolder.Check"/>; <paramref name="force"/> is --force). Every file is
    /// rendered into a hidden folder beside it first and published only when all are done
    /// (<see cref="OutputFolder.Publish{T}"/>), so a cancelled or failed report leaves the folder as it was.
    /// </summary>
    public static ReportOutput Write(ReportDocument doc, string outDir, TextWriter log, bool force = false, CancellationToken cancellation = default)
    {
        OutputFolder.Check(outDir, OutputKind.Report, force);
        var (files, figures, tables) = OutputFolder.Publish(outDir, OutputKind.Report, staging =>
        {
            // A figure renders without looking at the token, and the CLI ends the process 0.6 s after
            // Ctrl-C: the staging folder goes at the signal itself, and the rendering fails on its next file.
            using var removeOnCancel = cancellation.Register(() => RemoveQuietly(staging));
            return Render(doc, staging, cancellation);
        });
        int slides = SlidesWriter.Count(doc);
        log.WriteLine($"report: {figures} figures, {tables} tables, {slides} slides in {outDir}");
        foreach (var f in files) log.WriteLine($"  {f}");
        return new ReportOutput(outDir, files, figures, tables, slides);
    }

    /// <summary>Renders every figure, table and page into <paramref name="dir"/>, checking for cancellation between them.</summary>
    static (List<string> Files, int Figures, int Tables) Render(ReportDocument doc, string dir, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.Combine(dir, "figures"));
        Directory.CreateDirectory(Path.Combine(dir, "tables"));
        var files = new List<string>();
        var figures = new Dictionary<string, RenderedFigure>(StringComparer.Ordinal);
        int tables = 0;
        foreach (var block in doc.Sections.SelectMany(s => s.Blocks))
        {
            cancellation.ThrowIfCancellationRequested();
            switch (block)
            {
                case FigureBlock f:
                    var rendered = FigureRenderer.Render(f.Figure);
                    figures.Add(f.Figure.Id, rendered);
                    files.Add(WriteNew(dir, $"figures/{f.Figure.Id}.png", rendered.Png));
                    files.Add(WriteNew(dir, $"figures/{f.Figure.Id}.svg", Utf8(rendered.Svg)));
                    break;
                case TableBlock t:
                    tables++;
                    files.Add(WriteNew(dir, $"tables/{t.Table.Id}.csv", Utf8(CsvWriter.Write(t.Table.CsvHeader, t.Table.CsvRows))));
                    break;
            }
        }
        cancellation.ThrowIfCancellationRequested();
        files.Add(WriteNew(dir, "report.md", Utf8(MarkdownWriter.Write(doc))));
        cancellation.ThrowIfCancellationRequested();
        files.Add(WriteNew(dir, "report.html", Utf8(HtmlReportWriter.Write(doc, figures))));
        cancellation.ThrowIfCancellationRequested();
        files.Add(WriteNew(dir, "slides.html", Utf8(SlidesWriter.Write(doc, figures))));
        cancellation.ThrowIfCancellationRequested();
        return (files, figures.Count, tables);
    }

    static byte[] Utf8(string text) => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);

    static void RemoveQuietly(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file appeared while deleting: the unwinding (or the next write's stale-folder sweep) removes it.
        }
    }

    /// <summary>Creates <paramref name="relative"/> in the staging folder, never through an existing name.</summary>
    static string WriteNew(string dir, string relative, byte[] bytes)
    {
        using (var f = new FileStream(Path.Combine(dir, relative), FileMode.CreateNew, FileAccess.Write, FileShare.None)) f.Write(bytes);
        return relative;
    }
}
