using System.CommandLine;
using Lab.Reports;

namespace Lab.Cli.Commands;

/// <summary><c>lab report RESULTS... [--out DIR] [--compare BASELINE] [--title T]</c>: figures, report.md/html and slides (Lab.Reports).</summary>
public static class ReportCommands
{
    public static Command Create()
    {
        var results = new Argument<string[]>("RESULTS") { Description = "results folders written by lab run or lab sweep", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "output folder (default reports/out/<scenario>)" };
        var compare = new Option<string?>("--compare") { Description = "baseline results folder: every figure and table shows before and after" };
        var title = new Option<string?>("--title") { Description = "report title (default: the scenario name)" };
        var cmd = new Command("report", "Figures (PNG, SVG), report.md, self-contained report.html and slides.html from results folders")
        {
            results, outDir, compare, title,
        };
        cmd.SetAction(parse =>
        {
            var options = new ReportOptions(parse.GetValue(results)!, parse.GetValue(outDir), parse.GetValue(compare), parse.GetValue(title));
            ReportGenerator.Generate(options, parse.InvocationConfiguration.Output);
            return LabCommand.Ok;
        });
        return cmd;
    }
}
