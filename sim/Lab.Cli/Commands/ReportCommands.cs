using System.CommandLine;
using Lab.Benchmarking;
using Lab.Core;
using Lab.Reports;

namespace Lab.Cli.Commands;

/// <summary>
/// <c>lab report RESULTS... [--out DIR] [--compare BASELINE] [--title T] [--metrics a,b,...]</c>: figures, report.md/html and slides (Lab.Reports);
/// <c>lab report --bench [--suite S] [--last N] [--mode M] [--db FILE] [--out DIR] [--title T]</c>: the same from the benchmark history.
/// </summary>
public static class ReportCommands
{
    public static Command Create()
    {
        var results = new Argument<string[]>("RESULTS") { Description = "results folders written by lab run or lab sweep", Arity = ArgumentArity.ZeroOrMore };
        var outDir = new Option<string?>("--out") { Description = "output folder (default reports/out/<scenario>, or reports/out/bench-trends with --bench)" };
        var compare = new Option<string?>("--compare") { Description = "baseline results folder: every figure and table shows before and after" };
        var title = new Option<string?>("--title") { Description = "report title (default: the scenario name)" };
        var metrics = new Option<string?>("--metrics") { Description = "comma-separated metrics for the slides and the sweep tables (default: the scenario's key metrics); report.html keeps every metric" };
        var bench = new Option<bool>("--bench") { Description = "report the benchmark history of the results store instead of results folders: per suite, each benchmark's ratio to the reference per run" };
        var suite = new Option<string?>("--suite") { Description = "with --bench: only this suite" };
        var last = new Option<int>("--last") { Description = "with --bench: the latest N runs of each suite", DefaultValueFactory = _ => 10 };
        var mode = new Option<string?>("--mode") { Description = "with --bench: only runs of this mode, full, quick or dry (default full and quick)" };
        var db = new Option<string?>("--db") { Description = "with --bench: results store file (default $LAB_RESULTS_DB or results/lab.duckdb)" };
        var force = new Option<bool>("--force") { Description = "Write into --out even if it is not empty and not a lab report folder" };
        var cmd = new Command("report", "Figures (PNG, SVG), report.md, self-contained report.html and slides.html from results folders or the benchmark history")
        {
            results, outDir, compare, title, metrics, bench, suite, last, mode, db, force,
        };
        cmd.SetAction((parse, cancellation) => Task.FromResult(Report(parse, cancellation)));
        return cmd;

        int Report(ParseResult parse, CancellationToken cancellation)
        {
            var folders = parse.GetValue(results) ?? [];
            if (parse.GetValue(bench))
            {
                if (folders.Length > 0) throw new LabInputException($"lab report --bench: expected no RESULTS folders (the runs come from the results store), found '{folders[0]}'");
                if (parse.GetValue(compare) is not null) throw new LabInputException("--compare: not with --bench (the history report compares the first and the latest run)");
                if (parse.GetValue(metrics) is not null) throw new LabInputException("--metrics: not with --bench (the history report shows every benchmark of the suite)");
                BenchHistoryReport.Generate(new BenchHistoryReportOptions
                {
                    Suite = parse.GetValue(suite),
                    Last = parse.GetValue(last),
                    Mode = parse.GetValue(mode),
                    Database = parse.GetValue(db),
                    OutDir = parse.GetValue(outDir),
                    Title = parse.GetValue(title),
                    Force = parse.GetValue(force),
                }, parse.InvocationConfiguration.Output);
                return LabCommand.Ok;
            }
            foreach (var (option, name) in new (Option, string)[] { (suite, "--suite"), (mode, "--mode"), (db, "--db"), (last, "--last") })
            {
                if (parse.GetResult(option) is { Implicit: false }) throw new LabInputException($"{name}: only with --bench");
            }
            if (folders.Length == 0) throw new LabInputException("lab report: expected at least one RESULTS folder (or --bench for the benchmark history)");
            var options = new ReportOptions(folders, parse.GetValue(outDir), parse.GetValue(compare), parse.GetValue(title), parse.GetValue(force))
            {
                Metrics = parse.GetValue(metrics) is { } list ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null,
                Words = Flags.Wording,
            };
            ReportGenerator.Generate(options, parse.InvocationConfiguration.Output, cancellation);
            return LabCommand.Ok;
        }
    }
}
