namespace Lab.Reports.Content;

/// <summary>Numbers figures and tables in document order, so file names sort as the report reads.</summary>
public sealed class Numbering
{
    int figures;
    int tables;

    public string Figure(string slug) => $"fig{++figures:00}-{Display.Slug(slug)}";

    public string Table(string slug) => $"table{++tables:00}-{Display.Slug(slug)}";
}
