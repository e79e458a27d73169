using Lab.Results;
using Lab.Reports.Figures;

namespace Lab.Reports.Content;

/// <summary>
/// A table of the report: display cells (human units, for Markdown, HTML and slides) and the
/// machine-readable cells written to tables/&lt;Id&gt;.csv (invariant round-trip numbers).
/// </summary>
public sealed record ReportTable(
    string Id,
    string Title,
    IReadOnlyList<string> Header,
    IReadOnlyList<IReadOnlyList<string>> Rows,
    IReadOnlyList<string> CsvHeader,
    IReadOnlyList<IReadOnlyList<string>> CsvRows)
{
    /// <summary>Text under the table: what the symbols and intervals mean.</summary>
    public string Note { get; init; } = "";

    /// <summary>Columns from this index on are numbers (right-aligned).</summary>
    public int FirstNumericColumn { get; init; } = 1;

    /// <summary>
    /// The leading columns that identify a row (sweep parameters, metric name): when a table is too
    /// wide for a slide its other columns are split across slides and these repeat on each.
    /// </summary>
    public int KeyColumns { get; init; } = 1;

    /// <summary>The rows the slides show when they are fewer than <see cref="Rows"/> (the selected metrics); null: all.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? SlideRows { get; init; }

    /// <summary>Said under the table on slides when <see cref="SlideRows"/> leaves rows out.</summary>
    public string SlideNote { get; init; } = "";

    /// <summary>
    /// The table as the slides show it when its shape differs from report.html's (columns merged or
    /// left out, or the table transposed), with its own rows and note; null: this table (its
    /// <see cref="SlideRows"/>). Markdown, report.html and the CSV always have the full table.
    /// </summary>
    public ReportTable? SlideForm { get; init; }

    /// <summary>
    /// Headers of columns slides may leave out, in this order, while the table is too wide for one
    /// slide (a second column page would split every row); report.html keeps them.
    /// </summary>
    public IReadOnlyList<string> DroppableColumns { get; init; } = [];

    /// <summary>The table without the column headed <paramref name="header"/> (a value column, right of the key and text columns).</summary>
    public ReportTable Without(string header)
    {
        int c = Header.ToList().IndexOf(header);
        if (c < 0) return this;
        static IReadOnlyList<string> Drop(IReadOnlyList<string> row, int i) => [.. row.Take(i), .. row.Skip(i + 1)];
        return this with
        {
            Header = Drop(Header, c),
            Rows = [.. Rows.Select(r => c < r.Count ? Drop(r, c) : r)],
            SlideRows = SlideRows is null ? null : [.. SlideRows.Select(r => c < r.Count ? Drop(r, c) : r)],
            FirstNumericColumn = c < FirstNumericColumn ? FirstNumericColumn - 1 : FirstNumericColumn,
            KeyColumns = c < KeyColumns ? KeyColumns - 1 : KeyColumns,
            DroppableColumns = [.. DroppableColumns.Where(h => h != header)],
        };
    }
}

public abstract record Block
{
    /// <summary>False for blocks only report.html and report.md show (metrics outside the selection).</summary>
    public bool OnSlides { get; init; } = true;
}

public sealed record FigureBlock(Figure Figure) : Block;

public sealed record TableBlock(ReportTable Table) : Block;

public sealed record Section(string Title, IReadOnlyList<Block> Blocks);

/// <summary>Everything a report shows, before it is written as Markdown, HTML or slides.</summary>
public sealed record ReportDocument(
    string Title,
    string Subtitle,
    IReadOnlyList<KeyValuePair<string, string>> KeyParameters,
    IReadOnlyList<Section> Sections,
    IReadOnlyList<FooterLine> Provenance,
    IReadOnlyList<KeyValuePair<string, string>> Scenarios)
{
    /// <summary>How the reader chooses the slides' metrics, worded by the front end ("" to say nothing).</summary>
    public string MetricsChoice { get; init; } = "";
}

/// <summary>One line of the provenance footer under every page and slide: where the data came from, never the clock.</summary>
public abstract record FooterLine
{
    public abstract string Text { get; }
}

/// <summary>A footer line given as text (benchmark history: the store and the runs shown).</summary>
public sealed record TextFooterLine(string Line) : FooterLine
{
    public override string Text => Line;
}

/// <summary>One results folder's provenance, from its summary.json and provenance.json only.</summary>
public sealed record ProvenanceLine(string Role, string Scenario, string Hash, string Seed, int Replications, string LabVersion, string Commit, string RunDate) : FooterLine
{
    /// <summary>The one-line footer: "after: quickstart · sha256 3f5a…· seed 1 · 3 replications · lab 0.1.0 (abc1234) · run 2026-11-26T20:00:00Z".</summary>
    /// <summary>A hash as slides and footers show it: its first 12 hex digits and "…" (a 64-digit cell cannot wrap).</summary>
    public static string ShortHash(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;

    public override string Text
    {
        get
        {
            string hash = ShortHash(Hash);
            string role = Role.Length > 0 ? Role + ": " : "";
            string reps = Replications == 1 ? "1 replication" : $"{Replications} replications";
            return $"{role}{Scenario} · scenario sha256 {hash} · seed {Seed} · {reps} · lab {LabVersion} (commit {Commit}) · run {RunDate}";
        }
    }
}
