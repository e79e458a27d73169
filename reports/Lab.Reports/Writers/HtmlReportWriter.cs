using System.Text;
using Lab.Results;
using Lab.Reports.Content;

namespace Lab.Reports.Writers;

/// <summary>
/// report.html: one self-contained page (inline CSS and SVG; no script, font, image or style
/// from anywhere else), readable offline and printable.
/// </summary>
public static class HtmlReportWriter
{
    const string Css = """
        :root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --accent: #0072B2; --flag: #D55E00; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1200px; padding: 2rem 1.5rem 1rem; color: var(--ink); font: 16px/1.5 "DejaVu Sans", system-ui, sans-serif; }
        h1 { font-size: 2rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.5rem; margin: 2.5rem 0 1rem; border-bottom: 2px solid var(--accent); padding-bottom: .25rem; }
        h3 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
        .subtitle { color: var(--muted); margin: 0 0 1.5rem; }
        figure { margin: 0 0 1.5rem; }
        svg.figure { width: 100%; height: auto; display: block; border: 1px solid var(--rule); }
        figcaption, .note { color: var(--muted); font-size: .9rem; margin-top: .4rem; }
        table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; }
        th, td { padding: .3rem .7rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid var(--ink); }
        .num { text-align: right; white-space: nowrap; }
        .flag { color: var(--flag); font-weight: bold; }
        table.params th { font-weight: normal; color: var(--muted); }
        .scroll { overflow-x: auto; }
        pre { background: #f5f5f5; padding: 1rem; overflow-x: auto; font-size: .85rem; }
        footer { margin-top: 3rem; border-top: 1px solid var(--rule); padding-top: .5rem; color: var(--muted); font-size: .8rem; }
        @media print { body { max-width: none; } figure, table { break-inside: avoid; } }
        """;

    public static string Write(ReportDocument doc, IReadOnlyDictionary<string, RenderedFigure> figures)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n").Append(HtmlParts.Head);
        sb.Append("<title>").Append(Html.Escape(doc.Title)).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n");
        sb.Append("<header>\n<h1>").Append(Html.Escape(doc.Title)).Append("</h1>\n");
        if (doc.Subtitle.Length > 0) sb.Append("<p class=\"subtitle\">").Append(Html.Escape(doc.Subtitle)).Append("</p>\n");
        HtmlParts.KeyParameters(sb, doc);
        sb.Append("</header>\n<main>\n");
        foreach (var section in doc.Sections)
        {
            sb.Append("<section>\n<h2>").Append(Html.Escape(section.Title)).Append("</h2>\n");
            foreach (var block in section.Blocks)
            {
                switch (block)
                {
                    case FigureBlock f:
                        sb.Append("<figure id=\"").Append(f.Figure.Id).Append("\">\n<h3>").Append(Html.Escape(f.Figure.Title)).Append("</h3>\n");
                        sb.Append(figures[f.Figure.Id].InlineSvg).Append('\n');
                        sb.Append("<figcaption>").Append(Html.Escape(f.Figure.Caption)).Append("</figcaption>\n</figure>\n");
                        break;
                    case TableBlock t:
                        sb.Append("<div id=\"").Append(t.Table.Id).Append("\">\n<h3>").Append(Html.Escape(t.Table.Title)).Append("</h3>\n<div class=\"scroll\">\n");
                        HtmlParts.Table(sb, t.Table, t.Table.Rows);
                        sb.Append("</div>\n");
                        if (t.Table.Note.Length > 0) sb.Append("<p class=\"note\">").Append(Html.Escape(t.Table.Note)).Append("</p>\n");
                        sb.Append("</div>\n");
                        break;
                }
            }
            sb.Append("</section>\n");
        }
        foreach (var (name, yaml) in doc.Scenarios)
            sb.Append("<section>\n<h2>Scenario: ").Append(Html.Escape(name)).Append("</h2>\n<details><summary>scenario.yaml</summary>\n<pre>").Append(Html.Escape(yaml)).Append("</pre>\n</details>\n</section>\n");
        sb.Append("</main>\n<footer>\n");
        HtmlParts.Provenance(sb, doc);
        sb.Append("</footer>\n</body>\n</html>\n");
        return sb.ToString();
    }
}
