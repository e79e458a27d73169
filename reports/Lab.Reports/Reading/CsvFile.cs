using System.Globalization;
using System.Text;
using Lab.Core;

namespace Lab.Reports.Reading;

/// <summary>One CSV field and where it starts (1-based line and character column).</summary>
public readonly record struct CsvField(string Text, int Line, int Column);

/// <summary>
/// A small RFC 4180 reader (commas, double-quoted fields with "" escapes, LF or CRLF) that keeps
/// each field's position, so that every error names file:line:column.
/// </summary>
public sealed class CsvFile
{
    CsvFile(string name, IReadOnlyList<CsvField> header, IReadOnlyList<IReadOnlyList<CsvField>> records)
    {
        Name = name;
        Header = header;
        Records = records;
    }

    public string Name { get; }
    public IReadOnlyList<CsvField> Header { get; }
    public IReadOnlyList<IReadOnlyList<CsvField>> Records { get; }

    public static CsvFile Parse(string name, string text)
    {
        var records = new List<IReadOnlyList<CsvField>>();
        int i = 0, line = 1, column = 1;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        while (i < text.Length)
        {
            var record = new List<CsvField>();
            while (true)
            {
                int fieldLine = line, fieldColumn = column;
                var field = new StringBuilder();
                if (i < text.Length && text[i] == '"')
                {
                    i++;
                    column++;
                    while (true)
                    {
                        if (i >= text.Length) throw new LabInputException($"{name}:{fieldLine}:{fieldColumn}: a quoted field has no closing quote");
                        char c = text[i];
                        if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            column += 2;
                        }
                        else if (c == '"')
                        {
                            i++;
                            column++;
                            break;
                        }
                        else
                        {
                            field.Append(c);
                            i++;
                            if (c == '\n')
                            {
                                line++;
                                column = 1;
                            }
                            else column++;
                        }
                    }
                    if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                        throw new LabInputException($"{name}:{line}:{column}: expected a comma or the end of the line after a quoted field, found '{text[i]}'");
                }
                else
                {
                    while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                    {
                        if (text[i] == '"') throw new LabInputException($"{name}:{line}:{column}: a quote inside an unquoted field");
                        field.Append(text[i]);
                        i++;
                        column++;
                    }
                }
                record.Add(new CsvField(field.ToString(), fieldLine, fieldColumn));
                if (i < text.Length && text[i] == ',')
                {
                    i++;
                    column++;
                    continue;
                }
                if (i < text.Length && text[i] == '\r') i++;
                if (i < text.Length && text[i] == '\n') i++;
                line++;
                column = 1;
                break;
            }
            bool blank = record.Count == 1 && record[0].Text.Length == 0;
            if (!blank) records.Add(record);
        }
        if (records.Count == 0) throw new LabInputException($"{name}:1:1: expected a header line, found an empty file");
        return new CsvFile(name, records[0], records.GetRange(1, records.Count - 1));
    }

    /// <summary>Checks that the header starts with <paramref name="expected"/> (and, when <paramref name="exact"/>, has nothing more).</summary>
    public void ExpectHeader(IReadOnlyList<string> expected, bool exact)
    {
        for (int c = 0; c < expected.Count; c++)
        {
            if (c >= Header.Count)
                throw new LabInputException($"{Name}:1:{EndColumn()}: expected column '{expected[c]}' in the header, found the end of the line");
            if (Header[c].Text != expected[c])
                throw new LabInputException($"{Name}:{Header[c].Line}:{Header[c].Column}: expected column '{expected[c]}' in the header, found '{Header[c].Text}'");
        }
        if (exact && Header.Count > expected.Count)
        {
            var extra = Header[expected.Count];
            throw new LabInputException($"{Name}:{extra.Line}:{extra.Column}: expected the end of the header after '{expected[^1]}', found '{extra.Text}'");
        }
    }

    int EndColumn()
    {
        var last = Header[^1];
        return last.Column + last.Text.Length;
    }

    /// <summary>Checks that every record has as many fields as the header.</summary>
    public void ExpectRectangular()
    {
        foreach (var r in Records)
        {
            if (r.Count == Header.Count) continue;
            if (r.Count > Header.Count)
            {
                var f = r[Header.Count];
                throw new LabInputException($"{Name}:{f.Line}:{f.Column}: expected {Header.Count} fields as in the header, found {r.Count}");
            }
            var last = r[^1];
            throw new LabInputException($"{Name}:{last.Line}:{last.Column + last.Text.Length}: expected {Header.Count} fields as in the header, found {r.Count} (missing '{Header[r.Count].Text}')");
        }
    }

    public double Double(CsvField f, string column)
    {
        if (double.TryParse(f.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        throw new LabInputException($"{Name}:{f.Line}:{f.Column}: expected a number in column '{column}', found '{f.Text}'");
    }

    public int Integer(CsvField f, string column)
    {
        if (int.TryParse(f.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int v)) return v;
        throw new LabInputException($"{Name}:{f.Line}:{f.Column}: expected a non-negative integer in column '{column}', found '{f.Text}'");
    }

    public bool Boolean(CsvField f, string column) => f.Text switch
    {
        "true" => true,
        "false" => false,
        _ => throw new LabInputException($"{Name}:{f.Line}:{f.Column}: expected true or false in column '{column}', found '{f.Text}'"),
    };

    public string NonEmpty(CsvField f, string column) =>
        f.Text.Length > 0 ? f.Text : throw new LabInputException($"{Name}:{f.Line}:{f.Column}: expected a value in column '{column}', found an empty field");
}
