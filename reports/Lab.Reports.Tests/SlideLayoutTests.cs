using System.Text.Json.Nodes;

namespace Lab.Reports.Tests;

/// <summary>
/// Every slide of every fixture's deck, laid out by a real browser (headless chromium) at the two
/// projector sizes a speaker meets, 1600x900 and 1920x1080: nothing overflows its box or sticks
/// out of the slide, no text of a figure falls outside the figure (a clipped axis label), and each
/// slide has exactly one title (a heading or the figure's own).
/// </summary>
public class SlideLayoutTests
{
    /// <summary>
    /// Shows slide <c>i</c> alone and lists what is wrong with it: elements whose content is larger
    /// than their box, elements outside the slide, figure text outside its SVG, and the title count.
    /// </summary>
    const string Check = """
        (() => {
          const slides = Array.from(document.querySelectorAll('.slide'));
          const problems = [];
          const describe = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
            + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
          slides.forEach((slide, i) => {
            slides.forEach((s, k) => s.classList.toggle('active', k === i));
            const box = slide.getBoundingClientRect();
            const where = 'slide ' + (i + 1) + ': ';
            for (const el of [slide, ...slide.querySelectorAll('*')]) {
              if (el instanceof HTMLElement && el.clientWidth > 0 && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
                problems.push(where + describe(el) + ' overflows its box (' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' + el.clientWidth + 'x' + el.clientHeight + ')');
              const r = el.getBoundingClientRect();
              if (r.width === 0 && r.height === 0) continue;
              if (r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1)
                problems.push(where + describe(el) + ' lies beyond the slide');
            }
            for (const svg of slide.querySelectorAll('svg.figure')) {
              const f = svg.getBoundingClientRect();
              for (const t of svg.querySelectorAll('text')) {
                const r = t.getBoundingClientRect();
                if (r.width === 0) continue;
                if (r.left < f.left - 1 || r.top < f.top - 1 || r.right > f.right + 1 || r.bottom > f.bottom + 1)
                  problems.push(where + 'figure text "' + t.textContent.trim() + '" is cut off at the figure edge');
              }
            }
            // No header breaks inside a word: each word of a header cell lies on one line (the session-5
            // "Results folders" slide broke "Resul ts", "See d" and "Replicati ons").
            for (const th of slide.querySelectorAll('th')) {
              const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const re = /\S+/g;
                for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
                  const range = document.createRange();
                  range.setStart(node, m.index);
                  range.setEnd(node, m.index + m[0].length);
                  const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
                  if (tops.size > 1) problems.push(where + 'header "' + th.textContent.trim() + '" breaks inside the word "' + m[0] + '"');
                }
              }
            }
            // The pagination's height estimate holds in the browser: a table is no taller than estimated
            // (else a page of rows could overflow), nor shorter by more than a wrapped line (a wasted slide).
            for (const table of slide.querySelectorAll('table:not(.params)')) {
              const estimate = Number(table.dataset.estimatedHeight);
              if (!(estimate > 0)) { problems.push(where + 'table without a height estimate'); continue; }
              const actual = table.offsetHeight;
              if (actual > estimate + 3 || actual < estimate - 28)
                problems.push(where + 'table "' + table.querySelector('th').textContent + '..." is ' + actual + ' px high, estimated ' + estimate + ' px');
            }
            const titles = slide.querySelectorAll('h1, h2, svg.figure').length;
            if (titles !== 1) problems.push(where + titles + ' titles (headings and figures), expected 1');
          });
          slides.forEach((s, k) => s.classList.toggle('active', k === deck.current()));
          return JSON.stringify(problems);
        })()
        """;

    public static TheoryData<string> Decks => new() { "single-run", "sweep-1d", "sweep-2d", "sweep-2d-all-metrics", "validation", "compare", "compare-sweep" };

    static (string OutDir, ReportOutput Output) Generate(string deck)
    {
        string outDir = TestPaths.Scratch("layout-" + deck);
        var options = deck switch
        {
            "compare" => new ReportOptions([TestPaths.Fixture("compare-after")], outDir, TestPaths.Fixture("compare-before"), null),
            // 72 significant changes: the slide shows the 16 largest, and on one slide.
            "compare-sweep" => CompareSweep(outDir),
            // Every metric chosen: the sweep table is wider than a slide and must split its columns.
            "sweep-2d-all-metrics" => new ReportOptions([TestPaths.Fixture("sweep-2d")], outDir, null, null)
            {
                Metrics = ["delivered_pps", "drop.XfrmInStateSeqError", "drops_total", "loss_ratio"],
            },
            _ => new ReportOptions([TestPaths.Fixture(deck)], outDir, null, null),
        };
        return (outDir, ReportGenerator.Generate(options, TextWriter.Null));
    }

    static ReportOptions CompareSweep(string outDir)
    {
        var (after, before) = SlideNumberTests.ScaledSweep("compare-sweep-folders", shortNames: true);
        return new ReportOptions([after], outDir, before, null);
    }

    [ChromiumTheory]
    [MemberData(nameof(Decks))]
    public void No_slide_overflows_and_each_has_one_title_at_1600x900_and_1920x1080(string deck)
    {
        var (outDir, output) = Generate(deck);
        // Tables that fit one slide are not split: the comparison's 16 rows (at most) and the results folders.
        string html = File.ReadAllText(Path.Combine(outDir, "slides.html"));
        Assert.DoesNotContain("<h2>Before and after (", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h2>Results folders (", html, StringComparison.Ordinal);
        using var cdp = new DevToolsPipe(Prerequisites.Chromium!, TestPaths.Scratch("chromium-layout-" + deck));
        string target = cdp.Call("Target.createTarget", DevToolsPipe.Params(("url", "about:blank")))["targetId"]!.GetValue<string>();
        string session = cdp.Call("Target.attachToTarget", DevToolsPipe.Params(("targetId", target), ("flatten", true)))["sessionId"]!.GetValue<string>();
        cdp.Call("Page.enable", session: session);
        var problems = new List<string>();
        foreach (var (width, height) in new[] { (1600, 900), (1920, 1080) })
        {
            cdp.Call("Emulation.setDeviceMetricsOverride", DevToolsPipe.Params(("width", width), ("height", height), ("deviceScaleFactor", 1), ("mobile", false)), session);
            cdp.Call("Page.navigate", DevToolsPipe.Params(("url", new Uri(Path.Combine(outDir, "slides.html")).AbsoluteUri)), session);
            cdp.Call("Runtime.evaluate", DevToolsPipe.Params(
                ("expression", "new Promise(r => { const go = () => requestAnimationFrame(() => requestAnimationFrame(r)); if (document.readyState === 'complete') go(); else addEventListener('load', go); })"),
                ("awaitPromise", true)), session);
            int count = Evaluate(cdp, session, "deck.count").GetValue<int>();
            Assert.Equal(output.Slides, count);
            // The deck is scaled to the window: a 1600x900 slide fills 1920x1080 at 1.2.
            double scale = Evaluate(cdp, session, "document.querySelector('.slide').getBoundingClientRect().width / 1600").GetValue<double>();
            Assert.Equal(width / 1600.0, scale, 3);
            var found = JsonNode.Parse(Evaluate(cdp, session, Check).GetValue<string>())!.AsArray();
            problems.AddRange(found.Select(p => $"{width}x{height} {p!.GetValue<string>()}"));
        }
        Assert.True(problems.Count == 0, $"{deck}: {problems.Count} layout problem(s):\n" + string.Join("\n", problems.Take(40)));
    }

    static JsonNode Evaluate(DevToolsPipe cdp, string session, string expression)
    {
        var result = cdp.Call("Runtime.evaluate", DevToolsPipe.Params(("expression", expression), ("returnByValue", true)), session);
        if (result["exceptionDetails"] is { } e) throw new InvalidOperationException("page script failed: " + DevToolsPipe.Text(e));
        return result["result"]!["value"]!;
    }
}
