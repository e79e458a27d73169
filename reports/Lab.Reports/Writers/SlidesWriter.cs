using System.Globalization;
using System.Text;
using Lab.Results;
using Lab.Reports.Content;

namespace Lab.Reports.Writers;

/// <summary>
/// slides.html: a self-contained 16:9 deck. A title slide (scenario and key parameters), then one
/// figure or table per slide (long tables continue on further slides), each with the provenance
/// footer. Keys: →, ↓, PageDown, space: next; ←, ↑, PageUp, shift+space: back; Home, End.
/// Printing gives one 16:9 page per slide (@page size and a page break after each slide).
/// </summary>
public static class SlidesWriter
{
    /// <summary>A 4 x 4 sweep's table fits one slide (16 rows of 37 px and the header in <see cref="SlideTable.HeightBudget"/>).</summary>
    public const int RowsPerSlide = 16;

    const string Css = """
        @page { size: 1600px 900px; margin: 0; }
        * { box-sizing: border-box; }
        html, body { margin: 0; height: 100%; background: #2b2b2b; overflow: hidden; font-family: "DejaVu Sans", system-ui, sans-serif; color: #1a1a1a; }
        .slide { position: absolute; left: 50%; top: 50%; width: 1600px; height: 900px; margin: -450px 0 0 -800px; background: #fff;
                 display: none; flex-direction: column; padding: 40px 60px 0; overflow: hidden; }
        .slide.active { display: flex; }
        .slide h1 { font-size: 64px; margin: 120px 0 16px; }
        .slide h2 { font-size: 44px; margin: 0 0 12px; }
        .slide .subtitle { font-size: 30px; color: #555; margin: 0 0 40px; }
        .slide .body { flex: 1; min-height: 0; display: flex; flex-direction: column; align-items: center; justify-content: center; }
        .slide svg.figure { height: 100%; width: auto; max-width: 100%; }
        .slide .caption { font-size: 20px; color: #555; margin: 6px 0 0; text-align: center; }
        .slide table { border-collapse: collapse; font-size: 24px; font-variant-numeric: tabular-nums; max-width: 100%; }
        .slide th, .slide td { padding: 4px 14px; border-bottom: 1px solid #ccc; text-align: left; overflow-wrap: break-word; }
        .slide th { overflow-wrap: normal; hyphens: manual; }
        .slide td.long { overflow-wrap: anywhere; }
        .slide thead th { border-bottom: 3px solid #1a1a1a; }
        .slide .num { text-align: right; white-space: nowrap; }
        .slide .flag { color: #D55E00; font-weight: bold; }
        .slide table.params { font-size: 28px; }
        .slide table.params th { color: #555; font-weight: normal; }
        .slide footer { font-size: 14px; color: #666; border-top: 1px solid #ccc; padding: 6px 0 10px; margin-top: auto; display: flex; justify-content: space-between; gap: 20px; }
        .slide footer .n { white-space: nowrap; }
        @media print {
          html, body { height: auto; overflow: visible; background: #fff; }
          .slide { display: flex; position: relative; left: 0; top: 0; margin: 0; transform: none !important; break-after: page; page-break-after: always; }
          .slide:last-of-type { break-after: auto; page-break-after: auto; }
        }
        """;

    // Scales the 1600x900 slide to the window; keyboard navigation; #N in the address selects slide N.
    const string Script = """
        (function () {
          var slides = Array.prototype.slice.call(document.querySelectorAll('.slide'));
          var current = 0;
          function fit() {
            var s = Math.min(window.innerWidth / 1600, window.innerHeight / 900);
            slides.forEach(function (el) { el.style.transform = 'scale(' + s + ')'; });
          }
          function show(i) {
            current = Math.max(0, Math.min(slides.length - 1, i));
            slides.forEach(function (el, k) { el.classList.toggle('active', k === current); });
            if (location.hash !== '#' + (current + 1)) history.replaceState(null, '', '#' + (current + 1));
          }
          document.addEventListener('keydown', function (e) {
            var k = e.key;
            if (k === 'ArrowRight' || k === 'ArrowDown' || k === 'PageDown' || (k === ' ' && !e.shiftKey)) show(current + 1);
            else if (k === 'ArrowLeft' || k === 'ArrowUp' || k === 'PageUp' || (k === ' ' && e.shiftKey)) show(current - 1);
            else if (k === 'Home') show(0);
            else if (k === 'End') show(slides.length - 1);
            else return;
            e.preventDefault();
          });
          window.addEventListener('resize', fit);
          var n = parseInt(location.hash.slice(1), 10);
          fit();
          show(isNaN(n) ? 0 : n - 1);
          window.deck = { current: function () { return current; }, count: slides.length };
        })();
        """;

    public static string Write(ReportDocument doc, IReadOnlyDictionary<string, RenderedFigure> figures)
    {
        var slides = Plan(doc, figures);
        var footer = new StringBuilder();
        HtmlParts.Provenance(footer, doc);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n").Append(HtmlParts.Head);
        html.Append("<title>").Append(Html.Escape(doc.Title)).Append(" (slides)</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n");
        for (int i = 0; i < slides.Count; i++)
        {
            html.Append("<section class=\"slide").Append(i == 0 ? " active" : "").Append("\" data-index=\"").Append(i.ToString(CultureInfo.InvariantCulture)).Append("\">\n");
            html.Append(slides[i]);
            html.Append("<footer><div>").Append(footer).Append("</div><div class=\"n\">")
                .Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(" / ").Append(slides.Count.ToString(CultureInfo.InvariantCulture)).Append("</div></footer>\n</section>\n");
        }
        html.Append("<script>\n").Append(Script).Append("\n</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The number of slides <see cref="Write"/> makes for a document.</summary>
    public static int Count(ReportDocument doc) => Plan(doc, null).Count;

    /// <summary>
    /// The slides' contents: the title slide, then each block shown on slides. A figure slide has no
    /// heading (the figure carries the title); a table is split into slides of <see cref="RowsPerSlide"/>
    /// rows and, when too wide, into column groups that each repeat the key columns.
    /// </summary>
    static List<string> Plan(ReportDocument doc, IReadOnlyDictionary<string, RenderedFigure>? figures)
    {
        var slides = new List<string>();
        var title = new StringBuilder();
        title.Append("<h1>").Append(Html.Escape(doc.Title)).Append("</h1>\n");
        if (doc.Subtitle.Length > 0) title.Append("<p class=\"subtitle\">").Append(Html.Escape(doc.Subtitle)).Append("</p>\n");
        HtmlParts.KeyParameters(title, doc);
        int left = doc.Sections.SelectMany(s => s.Blocks).Count(b => !b.OnSlides);
        if (left > 0)
            title.Append("<p class=\"caption\">").Append(Html.Escape($"The slides show the key metrics ({left} more figure{(left == 1 ? "" : "s")} in report.html{(doc.MetricsChoice.Length > 0 ? "; choose with " + doc.MetricsChoice : "")}).")).Append("</p>\n");
        slides.Add(title.ToString());
        foreach (var block in doc.Sections.SelectMany(s => s.Blocks).Where(b => b.OnSlides))
        {
            switch (block)
            {
                case FigureBlock f:
                    string svg = figures is null ? "" : figures[f.Figure.Id].InlineSvg;
                    slides.Add($"<div class=\"body\">\n{svg}\n</div>\n<p class=\"caption\">{Html.Escape(f.Figure.Caption)}</p>\n");
                    break;
                case TableBlock t:
                    slides.AddRange(TableSlides(t.Table));
                    break;
            }
        }
        return slides;
    }

    static IEnumerable<string> TableSlides(ReportTable t)
    {
        if (t.SlideForm is { } form) t = form;
        t = SlideTable.Fit(t, RowsPerSlide, out var dropped);
        string droppedNote = dropped.Count == 0 ? "" : $"The {string.Join(" and ", dropped)} column{(dropped.Count == 1 ? " is" : "s are")} in report.html.";
        var rows = t.SlideRows ?? t.Rows;
        var groups = SlideTable.ColumnGroups(t);
        var rowGroups = groups.Select(g => SlideTable.RowGroups(t, rows, g, RowsPerSlide)).ToList();
        int parts = rowGroups.Sum(r => r.Count), part = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (var (start, take) in rowGroups[g])
            {
                part++;
                var sb = new StringBuilder();
                string suffix = parts > 1 ? $" ({part}/{parts})" : "";
                sb.Append("<h2>").Append(Html.Escape(t.Title + suffix)).Append("</h2>\n<div class=\"body\">\n");
                var shown = rows.Skip(start).Take(take).ToList();
                HtmlParts.Table(sb, t, shown, groups[g], SlideTable.EstimatedHeight(t, shown, groups[g]));
                sb.Append("</div>\n");
                string columns = groups.Count > 1 ? $"Columns {g + 1} of {groups.Count}{(g + 1 < groups.Count ? ", continued after these rows" : "")}." : "";
                string note = string.Join(" ", new[] { t.SlideRows is null ? "" : t.SlideNote, columns, t.Note, droppedNote }.Where(x => x.Length > 0));
                if (note.Length > 0) sb.Append("<p class=\"caption\">").Append(Html.Escape(note)).Append("</p>\n");
                yield return sb.ToString();
            }
        }
    }
}
