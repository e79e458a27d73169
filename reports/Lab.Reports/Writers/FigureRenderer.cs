using System.Text.RegularExpressions;
using Lab.Reports.Figures;
using ScottPlot;

namespace Lab.Reports.Writers;

/// <summary>A figure rendered once: PNG bytes for files and Markdown, SVG text for files and inline HTML.</summary>
public sealed record RenderedFigure(Figure Figure, byte[] Png, string Svg)
{
    /// <summary>The SVG made safe to inline beside other figures: ids prefixed, sized by viewBox.</summary>
    public string InlineSvg => SvgInliner.Inline(Svg, Figure.Id);
}

public static partial class FigureRenderer
{
    public static RenderedFigure Render(Figure figure)
    {
        byte[] png = figure.Plot.GetImageBytes(FigureStyle.Width, FigureStyle.Height, ImageFormat.Png);
        string svg = SvgInliner.Clean(figure.Plot.GetSvgXml(FigureStyle.Width, FigureStyle.Height));
        return new RenderedFigure(figure, png, svg);
    }
}

/// <summary>
/// Post-processing of Skia's SVG: its glyph position lists end with ", " (which browsers reject
/// with a console error), its ids (clip paths) repeat across figures, and it has a fixed size.
/// </summary>
public static partial class SvgInliner
{
    [GeneratedRegex("""(\s[xy])="([^"]*)""")]
    private static partial Regex PositionList();

    [GeneratedRegex("""\bid="([^"]+)""")]
    private static partial Regex Id();

    [GeneratedRegex("""url\(#([^)]+)\)""")]
    private static partial Regex UrlRef();

    [GeneratedRegex("""href="#([^"]+)""")]
    private static partial Regex HrefRef();

    [GeneratedRegex("""<svg\b[^>]*>""")]
    private static partial Regex Root();

    /// <summary>
    /// Fixes the position lists and renumbers ids in order of appearance (Skia numbers clip paths
    /// from a process-wide counter, so the same figure would otherwise differ between runs).
    /// The result is a valid standalone SVG file.
    /// </summary>
    public static string Clean(string svg)
    {
        svg = PositionList().Replace(svg, m => $"{m.Groups[1].Value}=\"{string.Join(' ', m.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}\"")
            .Replace("\r\n", "\n", StringComparison.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Id().Matches(svg))
            renamed.TryAdd(m.Groups[1].Value, "c" + (renamed.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        string Rename(string id) => renamed.TryGetValue(id, out var r) ? r : id;
        svg = Id().Replace(svg, m => $"id=\"{Rename(m.Groups[1].Value)}\"");
        svg = UrlRef().Replace(svg, m => $"url(#{Rename(m.Groups[1].Value)})");
        return HrefRef().Replace(svg, m => $"href=\"#{Rename(m.Groups[1].Value)}\"");
    }

    public static string Inline(string svg, string prefix)
    {
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        string body = start >= 0 ? svg[start..] : svg;
        body = Id().Replace(body, m => $"id=\"{prefix}-{m.Groups[1].Value}\"");
        body = UrlRef().Replace(body, m => $"url(#{prefix}-{m.Groups[1].Value})");
        body = HrefRef().Replace(body, m => $"href=\"#{prefix}-{m.Groups[1].Value}\"");
        return Root().Replace(body, $"<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 {FigureStyle.Width} {FigureStyle.Height}\" class=\"figure\" role=\"img\">", 1).TrimEnd();
    }
}
