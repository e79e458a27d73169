using System.Globalization;
using Lab.Reports.Content;
using Lab.Reports.Figures;

namespace Lab.Reports.Bench;

/// <summary>
/// The benchmark-history report (<c>lab report --bench</c>): per suite, a figure of every
/// benchmark's ratio to the suite's reference across the saved runs (oldest first, with each
/// run's 95% noise band) and a table of the first against the latest ratio; then the runs.
/// Ratios, not times: the reference is measured in the same run, so machine speed and other
/// tenants' load mostly cancel (see bench/README.md).
/// </summary>
public static class BenchTrendReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string DefaultTitle = "Benchmark trends";

    public static ReportDocument Build(BenchTrends trends, string? title)
    {
        if (trends.Suites.Count == 0) throw new ArgumentException("no suites to report", nameof(trends));
        var n = new Numbering();
        var sections = new List<Section>();
        foreach (var suite in trends.Suites)
        {
            var blocks = new List<Block>();
            if (Figure(suite, n) is { } f) blocks.Add(new FigureBlock(f));
            blocks.Add(new TableBlock(ChangeTable(suite, n)));
            sections.Add(new Section($"Suite {suite.Suite}", blocks));
        }
        var runs = trends.AllRuns();
        sections.Add(new Section("Runs", [new TableBlock(RunsTable(trends, runs, n))]));

        var first = runs[0];
        var last = runs[^1];
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("Results store", trends.Store),
            new("Runs", $"{runs.Count} ({trends.Modes}), {Day(first.Date)} to {Day(last.Date)}"),
            new("Suites", string.Join(", ", trends.Suites.Select(s => $"{s.Suite} ({s.Runs.Count} run{(s.Runs.Count == 1 ? "" : "s")})"))),
            new("Machines", string.Join("; ", runs.Select(r => r.Machine).Distinct(StringComparer.Ordinal))),
        };
        string footer = $"benchmark runs from {trends.Store} · {runs.Count} run{(runs.Count == 1 ? "" : "s")} · first {first.RunId} (commit {first.Commit}) · latest {last.RunId} (commit {last.Commit})";
        return new ReportDocument(title ?? DefaultTitle,
            "Each benchmark's median time per operation divided by its suite's reference benchmark measured in the same run (lower is faster), per saved run, oldest first.",
            parameters, sections, [new TextFooterLine(footer)], []);
    }

    /// <summary>Lines per benchmark against the suite's runs; null when the suite has no benchmark besides its reference.</summary>
    public static Figure? Figure(BenchTrendSuite suite, Numbering n)
    {
        if (suite.Series.Count == 0) return null;
        double min = double.PositiveInfinity, max = 0;
        foreach (var s in suite.Series)
        {
            for (int i = 0; i < s.Ratios.Length; i++)
            {
                if (double.IsNaN(s.Ratios[i])) continue;
                min = Math.Min(min, Math.Min(s.Low[i], s.Ratios[i]));
                max = Math.Max(max, Math.Max(s.High[i], s.Ratios[i]));
            }
        }
        // Benchmark names are long ("EngineHoldBenchmarks.Hold(Pending=100000)"): a class every series
        // shares goes into the caption, and the legend goes under the plot so that the plot keeps the width.
        string shared = SharedClass(suite.Series.Select(s => s.Benchmark).ToList());
        bool log = LogAxis.Needed(min, max);
        Func<double, double> y = log ? LogAxis.ToAxis : v => v;
        var lines = new List<LineSeries>();
        for (int k = 0; k < suite.Series.Count; k++)
        {
            var s = suite.Series[k];
            var present = Enumerable.Range(0, s.Ratios.Length).Where(i => !double.IsNaN(s.Ratios[i])).ToArray();
            bool spread = present.Any(i => s.High[i] > s.Low[i]);
            // Eight colours, then the same colours dashed: up to 16 lines stay distinguishable.
            lines.Add(new LineSeries(shared.Length > 0 ? s.Benchmark[(shared.Length + 1)..] : s.Benchmark, [.. present.Select(i => (double)i)], [.. present.Select(i => y(s.Ratios[i]))],
                k % FigureStyle.Palette.Length, Dashed: k / FigureStyle.Palette.Length % 2 == 1)
            {
                Low = spread ? [.. present.Select(i => y(s.Low[i]))] : null,
                High = spread ? [.. present.Select(i => y(s.High[i]))] : null,
                Band = true,
            });
        }
        string title = $"{suite.Suite}: ratio to the reference per run";
        var plot = Charts.Lines(title, "Run (commit, oldest first)", log ? "Ratio to the reference (log scale)" : "Ratio to the reference",
            lines, [.. suite.Runs.Select(r => r.Label)], legendBelow: true);
        if (log) LogAxis.Apply(plot.Axes.Left, min, max);
        // Half a category of room either side, so the first and last labels are not cut.
        plot.Axes.SetLimitsX(-0.5, suite.Runs.Count - 0.5);
        string caption = (shared.Length > 0 ? $"Benchmarks of {shared}. " : "") + "Median per operation divided by the reference's median in the same run; lower is faster. "
            + "Band: 95% interval of each run's ratio (Student t on both medians' standard errors, as the benchmark comparison computes it); none for runs without a noise estimate (dry runs).";
        return new Figure(n.Figure($"trend-{suite.Suite}"), title, caption, plot);
    }

    /// <summary>The class ("EngineHoldBenchmarks") every name starts with before a dot, or "" when they differ or there is one name.</summary>
    public static string SharedClass(IReadOnlyList<string> benchmarks)
    {
        if (benchmarks.Count < 2) return "";
        string first = benchmarks[0];
        int dot = first.IndexOf('.');
        if (dot <= 0) return "";
        string prefix = first[..(dot + 1)];
        return benchmarks.All(b => b.StartsWith(prefix, StringComparison.Ordinal) && b.Length > prefix.Length) ? first[..dot] : "";
    }

    /// <summary>First against latest ratio per benchmark; the CSV has raw numbers and run ids.</summary>
    public static ReportTable ChangeTable(BenchTrendSuite suite, Numbering n)
    {
        string[] header = ["Benchmark", "Unit", "First run", "Latest run", "Runs", "First ratio", "Latest ratio", "Change", "± noise (95%)", "Beyond noise"];
        string[] csvHeader = ["suite", "benchmark", "op_unit", "runs", "first_run_id", "first_commit", "first_ratio", "latest_run_id", "latest_commit", "latest_ratio", "change", "noise95", "beyond_noise"];
        var rows = new List<IReadOnlyList<string>>();
        var csv = new List<IReadOnlyList<string>>();
        foreach (var s in suite.Series)
        {
            int count = s.Ratios.Count(r => !double.IsNaN(r));
            int firstIndex = s.Change?.FirstRun ?? Array.FindIndex(s.Ratios, r => !double.IsNaN(r));
            int latestIndex = s.Change?.LatestRun ?? firstIndex;
            var firstRun = suite.Runs[firstIndex];
            var latestRun = suite.Runs[latestIndex];
            var c = s.Change;
            rows.Add([s.Benchmark, s.OpUnit, firstRun.Label, latestRun.Label, count.ToString(Inv), Ratio(s.Ratios[firstIndex]), Ratio(s.Ratios[latestIndex]),
                c is null ? "-" : Pct(c.Change), c is null || c.BeyondNoise == "n/a" ? "-" : "±" + Pct(c.Noise, signed: false), c?.BeyondNoise ?? "-"]);
            csv.Add([suite.Suite, s.Benchmark, s.OpUnit, count.ToString(Inv), firstRun.RunId, firstRun.Commit, Display.Raw(s.Ratios[firstIndex]),
                latestRun.RunId, latestRun.Commit, Display.Raw(s.Ratios[latestIndex]), c is null ? "" : Display.Raw(c.Change), c is null ? "" : Display.Raw(c.Noise), c?.BeyondNoise ?? ""]);
        }
        string note = "Ratio: median per operation / the reference's median in the same run. Change = latest / first − 1. "
            + "± noise: half-width of the 95% interval of the change from both runs' standard errors; beyond noise when the whole interval is on one side of zero.";
        var table = new ReportTable(n.Table($"change-{suite.Suite}"), $"{suite.Suite}: first and latest ratio", header, rows, csvHeader, csv)
        {
            Note = note,
            FirstNumericColumn = 4,
        };
        // When every benchmark compares the same two runs (the usual case), the slide names them once in
        // its note rather than in three columns, and the table fits one slide's width.
        var runs = rows.Select(r => (r[2], r[3], r[4])).Distinct().ToList();
        if (rows.Count == 0 || runs.Count != 1) return table;
        var (first, latest, runCount) = runs[0];
        int[] kept = [0, 1, 5, 6, 7, 8, 9];
        // Short headers: a number column's header does not wrap, and the note says what the ratios are.
        string[] slideHeader = ["Benchmark", "Unit", "First", "Latest", "Change", "± noise", "Beyond noise"];
        var slide = new ReportTable(table.Id, table.Title, slideHeader, [.. rows.Select(r => (IReadOnlyList<string>)[.. kept.Select(i => r[i])])], [], [])
        {
            Note = $"First: the ratio in run {first}; latest: in run {latest} ({runCount} runs). " + note,
            FirstNumericColumn = 2,
            // The operation (timer, event) matters less than the verdict beside it, which otherwise went to a second slide.
            DroppableColumns = ["Unit"],
        };
        return table with { SlideForm = slide };
    }

    static ReportTable RunsTable(BenchTrends trends, IReadOnlyList<BenchTrendRun> runs, Numbering n)
    {
        string[] header = ["Run", "Run id", "Date (UTC)", "Commit", "Mode", "Suites", "Machine", "Note"];
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs)
        {
            var suites = trends.Suites.Where(s => s.Runs.Any(x => x.RunId == r.RunId)).Select(s => s.Suite);
            string note = string.Join(", ", new[] { r.Slowdown ? "deliberately slowed (LAB_BENCH_SLOWDOWN=1)" : "", r.Optimized ? "" : "Debug build" }.Where(x => x.Length > 0));
            rows.Add([r.Label, r.RunId, r.Date.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv), r.Commit, r.Mode, string.Join(" ", suites), r.Machine, note]);
        }
        // The run ids stand in the footer; on a slide they are the first to go when the table is too wide for one.
        return new ReportTable(n.Table("runs"), "Runs shown", header, rows, header, rows) { FirstNumericColumn = header.Length, DroppableColumns = ["Run id", "Date (UTC)"] };
    }

    static string Day(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd", Inv);

    /// <summary>Four significant figures without an exponent: 0.007234, 1.250, 3412.</summary>
    static string Ratio(double r)
    {
        if (!double.IsFinite(r) || r <= 0) return Display.Raw(r);
        int decimals = Math.Clamp(3 - (int)Math.Floor(Math.Log10(r)), 0, 12);
        return r.ToString("F" + decimals.ToString(Inv), Inv);
    }

    /// <summary>A change given as a fraction, as every percentage of the reports (<see cref="HumanUnit.Percent"/>).</summary>
    static string Pct(double f, bool signed = true) => double.IsFinite(f) ? HumanUnit.Percent(f * 100, signed) : "-";
}
