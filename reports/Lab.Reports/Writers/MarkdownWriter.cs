using System.Text;
using Lab.Results;
using Lab.Reports.Content;

namespace Lab.Reports.Writers;

/// <summary>
/// report.md: GitHub-flavoured Markdown with the PNG figures (figures/), the tables (with links
/// to their CSVs under tables/), the scenario and a provenance footer. Deterministic: "\n" line
/// ends, no dates but the results' own.
/// </summary>
public static class MarkdownWriter
{
    public static string Write(ReportDocument doc)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(Inline(doc.Title)).Append('\n').Append('\n');
        if (doc.Subtitle.Length > 0) sb.Append(Inline(doc.Subtitle)).Append('\n').Append('\n');
        sb.Append("| Parameter | Value |\n|---|---|\n");
        foreach (var kv in doc.KeyParameters) sb.Append("| ").Append(Cell(kv.Key)).Append(" | ").Append(Cell(kv.Value)).Append(" |\n");
        sb.Append('\n');
        foreach (var section in doc.Sections)
        {
            sb.Append("## ").Append(Inline(section.Title)).Append("\n\n");
            foreach (var block in section.Blocks)
            {
                switch (block)
                {
                    case FigureBlock f:
                        sb.Append("### ").Append(Inline(f.Figure.Title)).Append("\n\n");
                        sb.Append("![").Append(Inline(f.Figure.Title)).Append("](figures/").Append(f.Figure.Id).Append(".png)\n\n");
                        sb.Append('*').Append(Inline(f.Figure.Caption)).Append("* ([SVG](figures/").Append(f.Figure.Id).Append(".svg))\n\n");
                        break;
                    case TableBlock t:
                        sb.Append("### ").Append(Inline(t.Table.Title)).Append("\n\n");
                        Table(sb, t.Table);
                        sb.Append('\n');
                        if (t.Table.Note.Length > 0) sb.Append('*').Append(Inline(t.Table.Note)).Append("* ");
                        sb.Append("([CSV](tables/").Append(t.Table.Id).Append(".csv))\n\n");
                        break;
                }
            }
        }
        foreach (var (name, yaml) in doc.Scenarios)
        {
            sb.Append("## Scenario: ").Append(Inline(name)).Append("\n\n```yaml\n").Append(yaml.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n')).Append("\n```\n\n");
        }
        sb.Append("---\n\n");
        foreach (var p in doc.Provenance) sb.Append("<sub>").Append(Html.Escape(p.Text)).Append("</sub><br>\n");
        return sb.ToString();
    }

    static void Table(StringBuilder sb, ReportTable t)
    {
        sb.Append('|');
        foreach (var h in t.Header) sb.Append(' ').Append(Cell(h)).Append(" |");
        sb.Append("\n|");
        for (int i = 0; i < t.Header.Count; i++) sb.Append(i >= t.FirstNumericColumn ? "---:|" : "---|");
        sb.Append('\n');
        foreach (var row in t.Rows)
        {
            sb.Append('|');
            foreach (var cell in row) sb.Append(' ').Append(Cell(cell)).Append(" |");
            sb.Append('\n');
        }
    }

    /// <summary>Escapes what would break a table cell or start Markdown markup.</summary>
    static string Cell(string text) => Inline(text).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>Escapes Markdown markup; underscores stay (GFM ignores intraword ones, as in delivered_pps).</summary>
    static string Inline(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '\\' or '*' or '`' or '[' or ']' or '<' or '>') sb.Append('\\');
            sb.Append(c is '\n' or '\r' ? ' ' : c);
        }
        return sb.ToString();
    }
}

/// <summary>HTML escaping for text and attribute values.</summary>
public static class Html
{
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
