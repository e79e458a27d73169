using Lab.Reports.Content;

namespace Lab.Reports.Writers;

/// <summary>
/// Splits a table's columns over slides: the key columns (sweep parameters, metric name) on every
/// slide, the others added while the estimated width fits the slide. Widths are estimated from
/// the text at the slides' 24 px DejaVu Sans, measured from the font (bold headers; 28 px cell
/// padding); the browser test checks that no slide overflows.
/// </summary>
public static class SlideTable
{
    /// <summary>
    /// The slide's content width (1600 px less 2 x 60 px padding) less 20 px for the estimate's error:
    /// digits and the ± are DejaVu Sans's own advance widths, so the estimate is close (the browser test
    /// checks that nothing overflows).
    /// </summary>
    public const double Budget = 1460;

    const double FontPx = 24, CharPx = 15, PaddingPx = 28;

    static readonly object FontLock = new();
    static readonly SkiaSharp.SKFont Regular = new(SkiaSharp.SKTypeface.FromFamilyName("DejaVu Sans", SkiaSharp.SKFontStyle.Normal), 1000);
    static readonly SkiaSharp.SKFont Bold = new(SkiaSharp.SKTypeface.FromFamilyName("DejaVu Sans", SkiaSharp.SKFontStyle.Bold), 1000);

    /// <summary>
    /// Advance width of <paramref name="text"/> in em of DejaVu Sans (the slides' first font), bold for
    /// headers, measured from the font itself: a per-character table underestimated bold headers
    /// ("reorder_probability") and the table ran past the slide.
    /// </summary>
    static double Em(string text, bool bold = false)
    {
        lock (FontLock) return (bold ? Bold : Regular).MeasureText(text) / 1000.0;
    }

    /// <summary>Text cells wrap at spaces: estimate them at no more than this many characters.</summary>
    const int WrapChars = 26;

    public static IReadOnlyList<IReadOnlyList<int>> ColumnGroups(ReportTable t)
    {
        int count = t.Header.Count;
        int key = Math.Clamp(t.KeyColumns, 0, count);
        var width = new double[count];
        for (int c = 0; c < count; c++) width[c] = Width(t, c);
        double keyWidth = 0;
        for (int c = 0; c < key; c++) keyWidth += width[c];

        var greedy = Fill(width, key, count, Budget - keyWidth);
        if (greedy.Count < 2) return greedy.Select(g => (IReadOnlyList<int>)Enumerable.Range(0, key).Concat(g).ToList()).ToList();
        // As many slides as the greedy fill needs, but with the columns shared out evenly between them.
        double total = 0;
        for (int c = key; c < count; c++) total += width[c];
        var even = Fill(width, key, count, Math.Min(Budget - keyWidth, total / greedy.Count * 1.1));
        var chosen = even.Count == greedy.Count ? even : greedy;
        return chosen.Select(g => (IReadOnlyList<int>)Enumerable.Range(0, key).Concat(g).ToList()).ToList();
    }

    /// <summary>Columns from <paramref name="first"/> on, in order, into groups no wider than <paramref name="room"/> (a wider column alone).</summary>
    static List<List<int>> Fill(double[] width, int first, int count, double room)
    {
        var groups = new List<List<int>>();
        var current = new List<int>();
        double used = 0;
        for (int c = first; c < count; c++)
        {
            if (current.Count > 0 && used + width[c] > room)
            {
                groups.Add(current);
                current = [];
                used = 0;
            }
            current.Add(c);
            used += width[c];
        }
        if (current.Count > 0 || groups.Count == 0) groups.Add(current);
        return groups;
    }

    /// <summary>
    /// Room for the table on a slide, px: 900 less the 40 px top padding, the heading (63 px), a caption
    /// of up to three lines (76 px) and a two-line footer (50 px) is 671 px; 660 leaves a margin (a
    /// 4 x 4 sweep's 16 rows with a two-line header need 657).
    /// </summary>
    public const double HeightBudget = 660;

    /// <summary>A one-line row: 24 px type at DejaVu Sans's line height (1.164 em, 28 px), 2 x 4 px padding and a 1 px rule.</summary>
    const double RowPx = 37, LinePx = 28;

    /// <summary>
    /// Splits <paramref name="rows"/> into slides of at most <paramref name="maxRows"/> rows whose
    /// estimated height (text cells wrap at their column's estimated width) fits <see cref="HeightBudget"/>,
    /// sharing the rows out evenly when that needs no more slides.
    /// </summary>
    public static IReadOnlyList<(int Start, int Count)> RowGroups(ReportTable t, IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<int> columns, int maxRows)
    {
        var heights = rows.Select(r => RowPx + LinePx * (Lines(t, r, columns) - 1)).ToList();
        double header = RowPx + LinePx * (columns.Max(c => HeaderLines(t, c)) - 1);
        var greedy = FillRows(heights, HeightBudget - header, maxRows);
        if (greedy.Count < 2) return greedy;
        var even = FillRows(heights, HeightBudget - header, (rows.Count + greedy.Count - 1) / greedy.Count);
        return even.Count == greedy.Count ? even : greedy;
    }

    static List<(int Start, int Count)> FillRows(List<double> heights, double room, int maxRows)
    {
        var groups = new List<(int, int)>();
        int start = 0;
        double used = 0;
        for (int i = 0; i < heights.Count; i++)
        {
            if (i > start && (used + heights[i] > room || i - start >= maxRows))
            {
                groups.Add((start, i - start));
                start = i;
                used = 0;
            }
            used += heights[i];
        }
        groups.Add((start, heights.Count - start));
        return groups;
    }

    /// <summary>
    /// Lines a header takes, wrapped at spaces into its column's estimated width with the same bold
    /// advance widths that sized the column (a per-character average wrapped "cores" over two lines).
    /// </summary>
    static int HeaderLines(ReportTable t, int column)
    {
        double room = Width(t, column) - PaddingPx, used = 0;
        int lines = 1;
        foreach (var word in t.Header[column].Split(' '))
        {
            double w = Em(word, bold: true) * FontPx, space = used > 0 ? Em(" ", bold: true) * FontPx : 0;
            if (used > 0 && used + space + w > room + 0.5)
            {
                lines++;
                used = w;
            }
            else used += space + w;
        }
        return lines;
    }

    /// <summary>Lines the row's tallest cell takes: text wraps at the column's estimated width; numbers do not wrap.</summary>
    static int Lines(ReportTable t, IReadOnlyList<string> row, IReadOnlyList<int> columns)
    {
        int lines = 1;
        foreach (int c in columns)
        {
            if (c >= row.Count || c >= t.FirstNumericColumn) continue;
            double chars = Math.Max(1, (Width(t, c) - PaddingPx) / CharPx);
            lines = Math.Max(lines, (int)Math.Ceiling(row[c].Length / chars));
        }
        return lines;
    }

    /// <summary>Estimated width in px: the longest header word, and the cells (numbers do not wrap; text wraps at spaces).</summary>
    static double Width(ReportTable t, int column)
    {
        bool numeric = column >= t.FirstNumericColumn;
        double header = t.Header[column].Split(' ').Max(w => Em(w, bold: true)) * FontPx;
        double cells = 0;
        foreach (var row in t.SlideRows ?? t.Rows)
        {
            if (column >= row.Count) continue;
            string cell = row[column];
            // Text wraps (at spaces, past WrapChars anywhere): its longest line is at most WrapChars characters.
            cells = Math.Max(cells, Em(numeric || cell.Length <= WrapChars ? cell : cell[..WrapChars]) * FontPx);
        }
        return Math.Max(header, cells) + PaddingPx;
    }
}
