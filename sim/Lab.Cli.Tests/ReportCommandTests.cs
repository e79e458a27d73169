namespace Lab.Cli.Tests;

public class ReportCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => ScenarioRun.Lab(args);

    static string Fixture(string name) =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../reports/Lab.Reports.Tests/Fixtures", name));

    static string Scratch(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "lab-cli-report-tests", name + "-" + Environment.ProcessId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void Writes_report_html_slides_figures_and_tables()
    {
        string outDir = Scratch("validation");
        var (code, output, error) = Run("report", Fixture("validation"), "--out", outDir, "--title", "Replay window 32 and 64");
        Assert.True(code == 0, error);
        // The validation fixture: a metrics table, drops by reason, sim against kernel (figure and
        // table), the provenance table; slides: title + 2 figures + 3 tables, the provenance table on
        // one slide (a column per results folder, a row per field).
        Assert.Contains($"report: 2 figures, 3 tables, 6 slides in {outDir}", output, StringComparison.Ordinal);
        foreach (var file in new[] { "report.md", "report.html", "slides.html", "figures/fig02-validation.png", "figures/fig02-validation.svg", "tables/table02-validation.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        Assert.StartsWith("# Replay window 32 and 64\n", File.ReadAllText(Path.Combine(outDir, "report.md")), StringComparison.Ordinal);
        Assert.Equal("check,metric,simulated,kernel,difference,agree\nwindow-32,XfrmInStateSeqError,412,412,0,true\n",
            string.Join("\n", File.ReadAllText(Path.Combine(outDir, "tables/table02-validation.csv")).Split('\n').Take(2)) + "\n");
    }

    [Fact]
    public void A_missing_results_folder_is_bad_input()
    {
        string missing = Path.Combine(Scratch("missing"), "nothing-here");
        var (code, _, error) = Run("report", missing, "--out", Scratch("missing-out"));
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {missing}: expected a results folder, found nothing\n", error.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_metrics_file_names_file_line_and_column()
    {
        string dir = Path.Combine(Scratch("malformed"), "sweep-1d");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Fixture("sweep-1d"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        string metrics = Path.Combine(dir, "metrics.csv");
        var lines = File.ReadAllLines(metrics);
        // Row 2 is "0,2Gbit/s,0,delivered_pps,pps,164473.7": break the value (column 31).
        Assert.Equal("0,2Gbit/s,0,delivered_pps,pps,164473.7", lines[1]);
        lines[1] = "0,2Gbit/s,0,delivered_pps,pps,fast";
        File.WriteAllLines(metrics, lines);
        var (code, _, error) = Run("report", dir, "--out", Scratch("malformed-out"));
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {metrics}:2:31: expected a number in column 'value', found 'fast'\n", error.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Compare_needs_the_same_swept_parameters()
    {
        var (code, _, error) = Run("report", Fixture("sweep-1d"), "--compare", Fixture("single-run"), "--out", Scratch("compare-mismatch"));
        Assert.Equal(2, code);
        Assert.Contains("--compare: expected the baseline to sweep the same parameters", error, StringComparison.Ordinal);
    }
}
