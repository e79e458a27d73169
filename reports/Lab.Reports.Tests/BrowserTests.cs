using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lab.Reports.Content;
using SkiaSharp;

namespace Lab.Reports.Tests;

/// <summary>
/// report.html and slides.html in a real browser (Debian's chromium, headless): no console
/// errors, no exceptions, no failed or external requests, a screenshot that is not blank,
/// working keyboard navigation, and printing the deck to PDF gives one 16:9 page per slide.
/// </summary>
public partial class BrowserTests
{
    static (string OutDir, ReportOutput Output) Generate(string name)
    {
        string outDir = TestPaths.Scratch("browser-" + name);
        var output = ReportGenerator.Generate(new ReportOptions([TestPaths.Fixture("compare-after")], outDir, TestPaths.Fixture("compare-before"), null), TextWriter.Null);
        return (outDir, output);
    }

    /// <summary>Loads a page; returns the session and every problem the browser reported.</summary>
    static (string Session, List<string> Problems) Load(DevToolsPipe cdp, string file)
    {
        string target = cdp.Call("Target.createTarget", DevToolsPipe.Params(("url", "about:blank")))["targetId"]!.GetValue<string>();
        string session = cdp.Call("Target.attachToTarget", DevToolsPipe.Params(("targetId", target), ("flatten", true)))["sessionId"]!.GetValue<string>();
        foreach (var domain in new[] { "Runtime.enable", "Log.enable", "Network.enable", "Page.enable" }) cdp.Call(domain, session: session);
        string url = new Uri(file).AbsoluteUri;
        cdp.Call("Page.navigate", DevToolsPipe.Params(("url", url)), session);
        cdp.WaitForEvent("Page.loadEventFired", session);
        // Let late console messages and the deck's script settle.
        cdp.Call("Runtime.evaluate", DevToolsPipe.Params(("expression", "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"), ("awaitPromise", true)), session);

        var problems = new List<string>();
        foreach (var e in cdp.Events(session))
        {
            string method = e["method"]!.GetValue<string>();
            var p = e["params"];
            switch (method)
            {
                case "Runtime.exceptionThrown":
                    problems.Add("exception: " + DevToolsPipe.Text(p?["exceptionDetails"]));
                    break;
                case "Runtime.consoleAPICalled" when (p?["type"]?.GetValue<string>() is "error" or "warning" or "assert"):
                    problems.Add("console: " + DevToolsPipe.Text(p?["args"]));
                    break;
                case "Log.entryAdded" when (p?["entry"]?["level"]?.GetValue<string>() is "error" or "warning"):
                    problems.Add("log: " + DevToolsPipe.Text(p?["entry"]));
                    break;
                case "Network.loadingFailed":
                    problems.Add("failed request: " + DevToolsPipe.Text(p));
                    break;
                case "Network.requestWillBeSent":
                    string requested = p?["request"]?["url"]?.GetValue<string>() ?? "";
                    if (requested != url && !requested.StartsWith("data:", StringComparison.Ordinal)) problems.Add("request beyond the page: " + requested);
                    break;
            }
        }
        return (session, problems);
    }

    /// <summary>Share of pixels that differ from the most common colour.</summary>
    static double NonBackgroundShare(string base64Png)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64Png));
        var counts = new Dictionary<uint, int>();
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                uint c = (uint)bitmap.GetPixel(x, y);
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        int total = counts.Values.Sum();
        return 1 - counts.Values.Max() / (double)total;
    }

    static string Screenshot(DevToolsPipe cdp, string session) =>
        cdp.Call("Page.captureScreenshot", DevToolsPipe.Params(("format", "png")), session)["data"]!.GetValue<string>();

    static int Evaluate(DevToolsPipe cdp, string session, string expression) =>
        cdp.Call("Runtime.evaluate", DevToolsPipe.Params(("expression", expression), ("returnByValue", true)), session)["result"]!["value"]!.GetValue<int>();

    static void Press(DevToolsPipe cdp, string session, string key, string code, int keyCode)
    {
        // Keys without text are "rawKeyDown" in the protocol; space is a "keyDown" with text.
        foreach (var type in new[] { key == " " ? "keyDown" : "rawKeyDown", "keyUp" })
        {
            var p = DevToolsPipe.Params(("type", type), ("key", key), ("code", code), ("windowsVirtualKeyCode", keyCode), ("nativeVirtualKeyCode", keyCode));
            if (type == "keyDown") p["text"] = " ";
            cdp.Call("Input.dispatchKeyEvent", p, session);
        }
    }

    [ChromiumFact]
    public void Report_and_slides_load_without_errors_and_the_keys_move_through_the_deck()
    {
        var (outDir, output) = Generate("cdp");
        using var cdp = new DevToolsPipe(Prerequisites.Chromium!, TestPaths.Scratch("chromium-cdp"));

        var (report, reportProblems) = Load(cdp, Path.Combine(outDir, "report.html"));
        Assert.True(reportProblems.Count == 0, "report.html: " + string.Join("\n", reportProblems));
        Assert.Equal(output.Figures, Evaluate(cdp, report, "document.querySelectorAll('svg.figure').length"));
        Assert.True(NonBackgroundShare(Screenshot(cdp, report)) > 0.02, "report.html screenshot is blank");

        var (deck, deckProblems) = Load(cdp, Path.Combine(outDir, "slides.html"));
        Assert.True(deckProblems.Count == 0, "slides.html: " + string.Join("\n", deckProblems));
        Assert.Equal(output.Slides, Evaluate(cdp, deck, "deck.count"));
        Assert.Equal(0, Evaluate(cdp, deck, "deck.current()"));
        Assert.True(NonBackgroundShare(Screenshot(cdp, deck)) > 0.02, "title slide screenshot is blank");
        // Key events go to the focused page; a headless tab opened by the protocol is not focused until told.
        cdp.Call("Page.bringToFront", session: deck);
        cdp.Call("Emulation.setFocusEmulationEnabled", DevToolsPipe.Params(("enabled", true)), deck);
        Press(cdp, deck, "ArrowRight", "ArrowRight", 39);
        Assert.Equal(1, Evaluate(cdp, deck, "deck.current()"));
        // Slide 2 holds the comparison table (its 4 key metrics of 16); slides 3 to 9 the figures.
        Assert.Equal(1, Evaluate(cdp, deck, "document.querySelectorAll('.slide.active table').length"));
        Press(cdp, deck, " ", "Space", 32);
        Assert.Equal(2, Evaluate(cdp, deck, "deck.current()"));
        Assert.Equal(1, Evaluate(cdp, deck, "document.querySelectorAll('.slide.active svg.figure').length"));
        Press(cdp, deck, "ArrowDown", "ArrowDown", 40);
        Assert.Equal(3, Evaluate(cdp, deck, "deck.current()"));
        Assert.Equal(1, Evaluate(cdp, deck, "document.querySelectorAll('.slide.active svg.figure').length"));
        Assert.True(NonBackgroundShare(Screenshot(cdp, deck)) > 0.02, "figure slide screenshot is blank");
        Press(cdp, deck, "ArrowLeft", "ArrowLeft", 37);
        Assert.Equal(2, Evaluate(cdp, deck, "deck.current()"));
        Press(cdp, deck, "End", "End", 35);
        Assert.Equal(output.Slides - 1, Evaluate(cdp, deck, "deck.current()"));
        Press(cdp, deck, "ArrowRight", "ArrowRight", 39);
        Assert.Equal(output.Slides - 1, Evaluate(cdp, deck, "deck.current()"));
        Press(cdp, deck, "Home", "Home", 36);
        Assert.Equal(0, Evaluate(cdp, deck, "deck.current()"));
    }

    [GeneratedRegex(@"/Type\s*/Page(?![a-zA-Z])")]
    private static partial Regex PageObject();

    [GeneratedRegex(@"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")]
    private static partial Regex MediaBox();

    [ChromiumFact]
    public void Printing_the_deck_gives_one_16_by_9_page_per_slide()
    {
        var (outDir, output) = Generate("pdf");
        string work = TestPaths.Scratch("chromium-pdf");
        string pdf = Path.Combine(work, "slides.pdf");
        var args = DevToolsPipe.Switches.Concat([$"--user-data-dir={Path.Combine(work, "profile")}", "--no-pdf-header-footer", $"--print-to-pdf={pdf}",
            new Uri(Path.Combine(outDir, "slides.html")).AbsoluteUri]);
        int code = Prerequisites.Run(Prerequisites.Chromium!, args, out string log);
        Assert.True(code == 0 && File.Exists(pdf), $"chromium --print-to-pdf failed ({code}):\n{log}");
        string text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(pdf));
        // 10 slides: title, the comparison table (its 4 key metrics: the fixture predates key_metrics,
        // so delivered_pps, loss_ratio, latency_p99_us and drops_total), 7 figures, and the provenance
        // table (a column per results folder: one slide).
        Assert.Equal(10, output.Slides);
        Assert.Equal(output.Slides, PageObject().Matches(text).Count);
        // @page 1600px x 900px = 1200 pt x 675 pt (96 px = 72 pt).
        foreach (Match box in MediaBox().Matches(text))
            Assert.Equal((1200.0, 675.0), (Math.Round(double.Parse(box.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)), Math.Round(double.Parse(box.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))));
    }
}
