namespace Lab.Reports.Tests;

/// <summary>
/// The text outputs (report.md and every table CSV) of each fixture match the committed golden
/// files byte for byte. The goldens were reviewed by hand: e.g. compare/table01-comparison.csv's
/// delivered_pps row (t = 54.656, df = 3.3735) is worked out in StatsTests, sweep-1d's 10 Gbit/s
/// loss 14.94% is 1 - 699500 / 822368.4.
/// </summary>
public class GoldenTests
{
    public static TheoryData<string> Reports => new() { "single-run", "sweep-1d", "sweep-2d", "validation", "compare" };

    static ReportOutput Generate(string report, string outDir)
    {
        var options = report == "compare"
            ? new ReportOptions([TestPaths.Fixture("compare-after")], outDir, TestPaths.Fixture("compare-before"), null)
            : new ReportOptions([TestPaths.Fixture(report)], outDir, null, null);
        return ReportGenerator.Generate(options, TextWriter.Null);
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public void Text_outputs_match_the_golden_files(string report)
    {
        string outDir = TestPaths.Scratch("golden-" + report);
        Generate(report, outDir);
        string golden = TestPaths.Golden(report);
        var expected = Directory.GetFiles(golden, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(golden, f)).Order(StringComparer.Ordinal).ToList();
        var written = Directory.GetFiles(Path.Combine(outDir, "tables")).Select(f => Path.GetRelativePath(outDir, f)).Append("report.md").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, written);
        foreach (var file in expected)
        {
            string want = File.ReadAllText(Path.Combine(golden, file));
            string got = File.ReadAllText(Path.Combine(outDir, file));
            Assert.True(want == got, $"{report}/{file} differs from its golden file:\n--- golden\n{want}\n--- written\n{got}");
        }
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public void The_same_results_give_byte_identical_reports(string report)
    {
        string a = TestPaths.Scratch("same-a-" + report);
        string b = TestPaths.Scratch("same-b-" + report);
        var first = Generate(report, a);
        Generate(report, b);
        foreach (var file in first.Files.Where(f => !f.EndsWith(".png", StringComparison.Ordinal)))
            Assert.True(File.ReadAllBytes(Path.Combine(a, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, file))), $"{file} differs between two runs");
    }

    [Fact]
    public void Every_report_carries_the_provenance_of_its_results_not_the_clock()
    {
        string outDir = TestPaths.Scratch("provenance");
        Generate("compare", outDir);
        const string before = "before: esp-gateway · scenario sha256 ";
        const string after = "after: esp-gateway · scenario sha256 ";
        foreach (var file in new[] { "report.md", "report.html", "slides.html" })
        {
            string text = File.ReadAllText(Path.Combine(outDir, file));
            Assert.Contains(before, text, StringComparison.Ordinal);
            Assert.Contains("seed 7 · 4 replications · lab 0.1.0 (commit c10a853) · run 2026-11-20T09:30:00Z", text, StringComparison.Ordinal);
            Assert.Contains(after, text, StringComparison.Ordinal);
            Assert.Contains("seed 7 · 4 replications · lab 0.1.0 (commit 40d42c0) · run 2026-11-26T20:00:00Z", text, StringComparison.Ordinal);
            Assert.DoesNotContain(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + "T", text.Replace("2026-11-26T", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        // One footer per slide: the title slide, the comparison table (4 key metrics of 16 -> 1 slide), 7 figures,
        // the provenance table (a column per results folder -> 1 slide).
        string slides = File.ReadAllText(Path.Combine(outDir, "slides.html"));
        Assert.Equal(10, CountOf(slides, "<section class=\"slide"));
        Assert.Equal(10, CountOf(slides, before));
    }

    [Fact]
    public void Html_is_self_contained()
    {
        string outDir = TestPaths.Scratch("self-contained");
        Generate("sweep-2d", outDir);
        foreach (var file in new[] { "report.html", "slides.html" })
        {
            string html = File.ReadAllText(Path.Combine(outDir, file));
            foreach (var external in new[] { "src=\"http", "href=\"http", "url(http", "@import", "<link rel=\"stylesheet\"", "<script src", "<img" })
                Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
            // Skia's clip-path ids repeat in every SVG; inlined, each figure's must be its own.
            var ids = System.Text.RegularExpressions.Regex.Matches(html, "id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        }
    }

    static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
