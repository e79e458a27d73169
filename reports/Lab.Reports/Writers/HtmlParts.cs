using System.Text;
using Lab.Results;
using Lab.Reports.Content;

namespace Lab.Reports.Writers;

/// <summary>Pieces shared by report.html and slides.html.</summary>
public static class HtmlParts
{
    /// <summary>An empty data: icon, so that no browser asks for /favicon.ico.</summary>
    public const string Head = "<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n";

    public static void Table(StringBuilder sb, ReportTable t, IReadOnlyList<IReadOnlyList<string>> rows) =>
        Table(sb, t, rows, Enumerable.Range(0, t.Header.Count).ToList());

    /// <summary>The table's <paramref name="rows"/>, only the given columns (a slide's share of a wide table).</summary>
    public static void Table(StringBuilder sb, ReportTable t, IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<int> columns, double? estimatedHeight = null)
    {
        sb.Append("<table");
        // The slides' pagination estimate, for the browser test to hold against the layout.
        if (estimatedHeight is { } h) sb.Append(" data-estimated-height=\"").Append(Math.Round(h).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('"');
        sb.Append(">\n<thead><tr>");
        foreach (int i in columns)
            sb.Append(i >= t.FirstNumericColumn ? "<th class=\"num\">" : "<th>").Append(Html.Escape(t.Header[i])).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (int i in columns)
            {
                if (i >= row.Count) continue;
                // A word too long for any column (a path in a command) may break anywhere; other words stay whole.
                string cls = i >= t.FirstNumericColumn ? " class=\"num\"" : SlideTable.LongestWordChars(row[i]) > SlideTable.UnbreakableChars ? " class=\"long\"" : "";
                if (row[i] == "NO" || (i == row.Count - 1 && row[i] == "yes" && t.Header[i] == "Significant")) cls = i >= t.FirstNumericColumn ? " class=\"num flag\"" : " class=\"flag\"";
                sb.Append("<td").Append(cls).Append('>').Append(Html.Escape(row[i])).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    public static void KeyParameters(StringBuilder sb, ReportDocument doc)
    {
        sb.Append("<table class=\"params\">\n<tbody>\n");
        foreach (var kv in doc.KeyParameters)
            sb.Append("<tr><th>").Append(Html.Escape(kv.Key)).Append("</th><td>").Append(Html.Escape(kv.Value)).Append("</td></tr>\n");
        sb.Append("</tbody>\n</table>\n");
    }

    public static void Provenance(StringBuilder sb, ReportDocument doc)
    {
        foreach (var p in doc.Provenance) sb.Append("<div>").Append(Html.Escape(p.Text)).Append("</div>\n");
    }
}
