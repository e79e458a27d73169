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

    const double FontPx = 24, PaddingPx = 28;

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

    /// <summary>Text cells wrap at spaces: estimate them at no more than this many characters a line.</summary>
    const int WrapChars = 26;

    /// <summary>
    /// Words (no space) up to this many characters never break (CSS overflow-wrap: break-word keeps
    /// them whole, and the estimate gives their column their full width): a hash, a date, a name.
    /// A longer word (a path in a command line) may break anywhere and is estimated at this length. 64:
    /// a sha256 in hex, the longest word the lab writes itself (about 980 px at 24 px).
    /// </summary>
    public const int UnbreakableChars = 64;

    public static int LongestWordChars(string text) => text.Split(' ').Max(w => w.Length);

    /// <summary>
    /// The table as the slides show it: the fewest of its <see cref="ReportTable.DroppableColumns"/>
    /// (a prefix of them, in order) left out that give the fewest slides (wider rows wrap their text and
    /// split pages; more columns split them into column pages). <paramref name="dropped"/>: the headers left out.
    /// </summary>
    public static ReportTable Fit(ReportTable t, int maxRows, out IReadOnlyList<string> dropped)
    {
        var best = t;
        int fewest = Slides(t, maxRows), bestCount = 0;
        var candidate = t;
        for (int k = 1; k <= t.DroppableColumns.Count && fewest > 1; k++)
        {
            candidate = candidate.Without(t.DroppableColumns[k - 1]);
            int slides = Slides(candidate, maxRows);
            if (slides < fewest)
            {
                (best, fewest, bestCount) = (candidate, slides, k);
            }
        }
        dropped = [.. t.DroppableColumns.Take(bestCount)];
        return best;
    }

    /// <summary>How many slides the table takes: its column pages times their row pages.</summary>
    public static int Slides(ReportTable t, int maxRows)
    {
        var rows = t.SlideRows ?? t.Rows;
        return ColumnGroups(t).Sum(g => RowGroups(t, rows, g, maxRows).Count);
    }

    public static IReadOnlyList<IReadOnlyList<int>> ColumnGroups(ReportTable t)
    {
        int count = t.Header.Count;
        int key = Math.Clamp(t.KeyColumns, 0, count);
        var width = new double[count];
        for (int c = 0; c < count; c++) width[c] = ColumnWidth(t, c);
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
        var width = Widths(t, columns);
        var heights = rows.Select(r => RowPx + LinePx * (Lines(t, r, columns, width) - 1)).ToList();
        double header = RowPx + LinePx * (columns.Max(c => HeaderLines(t, c, width[c])) - 1);
        var greedy = FillRows(heights, HeightBudget - header, maxRows);
        if (greedy.Count < 2) return greedy;
        var even = FillRows(heights, HeightBudget - header, (rows.Count + greedy.Count - 1) / greedy.Count);
        return even.Count == greedy.Count ? even : greedy;
    }

    /// <summary>The estimated height in px of <paramref name="rows"/> with their header in the given columns (the browser test compares it with the layout).</summary>
    public static double EstimatedHeight(ReportTable t, IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<int> columns)
    {
        var width = Widths(t, columns);
        return RowPx + LinePx * (columns.Max(c => HeaderLines(t, c, width[c])) - 1) + rows.Sum(r => RowPx + LinePx * (Lines(t, r, columns, width) - 1));
    }

    /// <summary>The slide's content width (1600 px less 2 x 60 px padding): the table's max-width.</summary>
    const double ContentWidth = 1480;

    /// <summary>
    /// The columns' widths as the browser's automatic table layout gives them: each column its widest
    /// cell on one line when they all fit; else each its narrowest (longest word) plus a share of the
    /// room left in proportion to how much wider it would like to be. (Estimating every column at its
    /// 26-character wrap width put a provenance slide's table a wrapped line lower than estimated.)
    /// </summary>
    static Dictionary<int, double> Widths(ReportTable t, IReadOnlyList<int> columns)
    {
        var max = columns.ToDictionary(c => c, c => ColumnWidth(t, c, unwrapped: true));
        if (max.Values.Sum() <= ContentWidth) return max;
        var min = columns.ToDictionary(c => c, c => Math.Min(max[c], MinimumWidth(t, c)));
        double room = ContentWidth - min.Values.Sum(), wish = columns.Sum(c => max[c] - min[c]);
        return room <= 0 || wish <= 0 ? min : columns.ToDictionary(c => c, c => min[c] + room * (max[c] - min[c]) / wish);
    }

    /// <summary>The narrowest a column gets: its longest word (header bold), a number or number header whole.</summary>
    static double MinimumWidth(ReportTable t, int column)
    {
        if (column >= t.FirstNumericColumn) return ColumnWidth(t, column);
        double widest = t.Header[column].Split(' ').Max(w => Em(w, bold: true));
        foreach (var row in t.SlideRows ?? t.Rows)
        {
            if (column >= row.Count) continue;
            string longest = row[column].Split(' ').MaxBy(w => w.Length)!;
            widest = Math.Max(widest, Em(longest.Length > UnbreakableChars ? longest[..UnbreakableChars] : longest));
        }
        return widest * FontPx + PaddingPx;
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
    static int HeaderLines(ReportTable t, int column, double width) =>
        column >= t.FirstNumericColumn ? 1 : WrappedLines(t.Header[column], width - PaddingPx, bold: true);

    /// <summary>Lines the row's tallest cell takes: text wraps at spaces into the column's estimated width; numbers do not wrap.</summary>
    static int Lines(ReportTable t, IReadOnlyList<string> row, IReadOnlyList<int> columns, Dictionary<int, double> width)
    {
        int lines = 1;
        foreach (int c in columns)
        {
            if (c >= row.Count || c >= t.FirstNumericColumn) continue;
            lines = Math.Max(lines, WrappedLines(row[c], width[c] - PaddingPx, bold: false));
        }
        return lines;
    }

    /// <summary>
    /// Lines <paramref name="text"/> takes in <paramref name="room"/> px, wrapped at spaces with the
    /// font's advance widths as a browser wraps it; a word longer than a line (which only a
    /// <see cref="UnbreakableChars"/>-long word can be) takes as many lines as its width needs.
    /// </summary>
    static int WrappedLines(string text, double room, bool bold)
    {
        double used = 0, space = Em(" ", bold) * FontPx;
        int lines = 1;
        foreach (var word in text.Split(' '))
        {
            double w = Em(word, bold) * FontPx;
            if (used > 0 && used + space + w > room + 0.5)
            {
                lines++;
                used = 0;
            }
            if (w > room + 0.5)
            {
                int extra = (int)Math.Ceiling(w / room) - 1;
                lines += extra;
                w -= extra * room;
            }
            used += (used > 0 ? space : 0) + w;
        }
        return lines;
    }

    /// <summary>Estimated width in px: the longest header word, and the cells (numbers do not wrap; text wraps at spaces).</summary>
    public static double ColumnWidth(ReportTable t, int column, bool unwrapped = false)
    {
        bool numeric = column >= t.FirstNumericColumn;
        // A number column's header does not wrap either (.num: white-space: nowrap): "Change %" is one line.
        double header = (numeric ? Em(t.Header[column], bold: true) : t.Header[column].Split(' ').Max(w => Em(w, bold: true))) * FontPx;
        double cells = 0;
        foreach (var row in t.SlideRows ?? t.Rows)
        {
            if (column >= row.Count) continue;
            string cell = row[column];
            if (numeric) cells = Math.Max(cells, Em(cell) * FontPx);
            else
            {
                // Text wraps at spaces: a line of at most WrapChars characters, but never narrower than its
                // longest word, which does not break (a 64-digit hash once took the room of 26 characters
                // here and the browser squeezed the other columns' headers mid-word to make room for it).
                string longest = cell.Split(' ').MaxBy(w => w.Length)!;
                if (longest.Length > UnbreakableChars) longest = longest[..UnbreakableChars];
                string line = unwrapped || cell.Length <= WrapChars ? cell : cell[..WrapChars];
                cells = Math.Max(cells, Math.Max(Em(longest), Em(line)) * FontPx);
            }
        }
        return Math.Max(header, cells) + PaddingPx;
    }
}
