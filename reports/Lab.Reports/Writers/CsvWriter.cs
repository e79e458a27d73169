using System.Text;

namespace Lab.Reports.Writers;

/// <summary>RFC 4180 CSV with "\n" line ends; fields with a comma, quote or line break are quoted.</summary>
public static class CsvWriter
{
    public static string Write(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        Line(sb, header);
        foreach (var r in rows) Line(sb, r);
        return sb.ToString();
    }

    static void Line(StringBuilder sb, IReadOnlyList<string> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) sb.Append(',');
            string f = fields[i];
            if (f.AsSpan().IndexOfAny(",\"\r\n") >= 0) sb.Append('"').Append(f.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            else sb.Append(f);
        }
        sb.Append('\n');
    }
}
