using System.Text;

namespace Lab.Scenarios.Yaml;

/// <summary>Writes a <see cref="YNode"/> tree back as block-style YAML, deterministically (keys in tree order).</summary>
public static class YamlWriter
{
    public static string Write(YMap root)
    {
        var sb = new StringBuilder();
        WriteMap(sb, root, 0);
        return sb.ToString();
    }

    static void WriteMap(StringBuilder sb, YMap map, int indent)
    {
        foreach (var (k, v) in map.Entries)
        {
            sb.Append(' ', indent).Append(Scalar(k.Value)).Append(':');
            WriteValue(sb, v, indent);
        }
    }

    static void WriteValue(StringBuilder sb, YNode v, int indent)
    {
        switch (v)
        {
            case YScalar s:
                sb.Append(' ').Append(Scalar(s.Value)).Append('\n');
                break;
            case YMap m when m.Entries.Count == 0:
                sb.Append(" {}\n");
                break;
            case YMap m:
                sb.Append('\n');
                WriteMap(sb, m, indent + 2);
                break;
            case YSeq q when q.Items.Count == 0:
                sb.Append(" []\n");
                break;
            case YSeq q:
                sb.Append('\n');
                foreach (var item in q.Items)
                {
                    sb.Append(' ', indent + 2).Append('-');
                    if (item is YMap im && im.Entries.Count > 0)
                    {
                        // First key on the dash line, the rest aligned under it.
                        var inner = new StringBuilder();
                        WriteMap(inner, im, indent + 4);
                        sb.Append(' ').Append(inner.ToString().TrimStart());
                    }
                    else WriteValue(sb, item, indent + 2);
                }
                break;
        }
    }

    static string Scalar(string s)
    {
        bool plain = s.Length > 0 && s.Trim() == s && !s.StartsWith('-') && !s.StartsWith('?')
            && s.IndexOfAny([':', '#', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '\n']) < 0;
        if (plain) return s;
        return "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }
}
