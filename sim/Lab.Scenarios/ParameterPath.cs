using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>A parameter set from outside the file: <paramref name="Flag"/> is what the user typed, as the front end names it (the CLI: "--set x=1", "--replications 3"), for messages.</summary>
public sealed record ParameterOverride(string Flag, string Path, string Value);

/// <summary>
/// Dotted parameter paths as --set and sweeps write them: <c>run.duration</c>,
/// <c>traffic.bulk.rate</c> (a list item by its name), <c>path.rss.cores</c> (a path element by
/// its type or name), or a list index (<c>traffic.0.rate</c>).
/// </summary>
public static class ParameterPath
{
    /// <summary>Sets the value; returns an error text (without position) or null.</summary>
    /// <summary>Parts in one path: deeper than any scenario goes, and a bound on the mappings a --set may create.</summary>
    public const int MaxParts = 16;

    public static string? TrySet(YMap root, string path, YNode value)
    {
        string[] parts = path.Split('.');
        if (parts.Length > MaxParts) return $"expected a parameter path of at most {MaxParts} parts such as traffic.bulk.rate, found {parts.Length} parts";
        if (parts.Any(p => p.Length == 0)) return $"expected a dotted parameter path such as traffic.bulk.rate, found '{path}'";
        YNode current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string seg = parts[i];
            bool last = i == parts.Length - 1;
            switch (current)
            {
                case YMap map:
                    if (last)
                    {
                        map.Set(seg, value, value.Pos);
                        return null;
                    }
                    var child = map[seg];
                    if (child is null)
                    {
                        if (i == 0 && !TopLevel.Contains(seg))
                        {
                            string? hint = Problems.Suggest(seg, TopLevel);
                            return $"unknown parameter '{path}': no section '{seg}'" + (hint is null ? "" : $" (did you mean '{hint}'?)");
                        }
                        child = new YMap(value.Pos);
                        map.Set(seg, child, value.Pos);
                    }
                    current = child;
                    break;
                case YSeq seq:
                    var (item, ambiguous) = FindItem(seq, seg);
                    if (ambiguous is not null)
                        return $"ambiguous parameter '{path}': {ambiguous}; name the one you mean: {string.Join(" or ", NamesOfType(seq, seg).Select(n => string.Join(".", [.. parts[..i], n, .. parts[(i + 1)..]])))}";
                    if (item is null)
                    {
                        var names = seq.Items.Select(ItemName).Where(n => n is not null).ToList();
                        return $"unknown parameter '{path}': no item '{seg}' in {string.Join(".", parts[..i])} (found: {string.Join(", ", names)})";
                    }
                    if (last) return $"unknown parameter '{path}': expected a key after '{seg}'";
                    current = item;
                    break;
                default:
                    return $"unknown parameter '{path}': '{parts[i - 1]}' is a value, not a section";
            }
        }
        return null;
    }

    static readonly string[] TopLevel = ["name", "description", "costs", "run", "traffic", "path", "outputs"];

    /// <summary>
    /// A list item by index, by name, or (a path element) by its type. A type that more than one
    /// element has is ambiguous (a two-sided path's rss tx and rss rx): the first one would be set
    /// alone, silently, so it is refused with the names to use instead.
    /// </summary>
    static (YNode? Item, string? Ambiguous) FindItem(YSeq seq, string seg)
    {
        if (int.TryParse(seg, out int index)) return (index >= 0 && index < seq.Items.Count ? Inner(seq.Items[index]) : null, null);
        foreach (var it in seq.Items)
        {
            if (it is YMap m && m["name"] is YScalar n && n.Value == seg) return (m, null);
        }
        foreach (var it in seq.Items)
        {
            if (it is YMap m && m.Entries.Count == 1 && m.Entries[0].Value is YMap inner && inner["name"] is YScalar n2 && n2.Value == seg) return (inner, null);
        }
        var ofType = seq.Items.OfType<YMap>().Where(m => m.Entries.Count == 1 && m.Entries[0].Key.Value == seg && m.Entries[0].Value is YMap).ToList();
        if (ofType.Count > 1) return (null, $"{ofType.Count} '{seg}' elements");
        return (ofType.Count == 1 ? (YMap)ofType[0].Entries[0].Value : null, null);
    }

    /// <summary>The names the elements of one type go by (their name: key, else their position).</summary>
    static IEnumerable<string> NamesOfType(YSeq seq, string type)
    {
        for (int i = 0; i < seq.Items.Count; i++)
        {
            if (seq.Items[i] is YMap m && m.Entries.Count == 1 && m.Entries[0].Key.Value == type && m.Entries[0].Value is YMap inner)
                yield return inner["name"] is YScalar n ? n.Value : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    static YNode Inner(YNode item) => item is YMap m && m.Entries.Count == 1 && m.Entries[0].Value is YMap inner && m["name"] is null ? inner : item;

    static string? ItemName(YNode item) => item switch
    {
        YMap m when m["name"] is YScalar n => n.Value,
        YMap m when m.Entries.Count == 1 => m.Entries[0].Value is YMap inner && inner["name"] is YScalar n2 ? n2.Value : m.Entries[0].Key.Value,
        _ => null,
    };

    /// <summary>Deep merge for <c>extends</c>: mappings merge key by key, anything else in the overlay replaces.</summary>
    public static YMap Merge(YMap baseMap, YMap overlay)
    {
        var result = (YMap)baseMap.Clone();
        result.Pos = overlay.Pos;
        foreach (var (k, v) in overlay.Entries)
        {
            if (result[k.Value] is YMap b && v is YMap o) result.Set(k.Value, Merge(b, o), k.Pos);
            else result.Set(k.Value, v.Clone(), k.Pos);
        }
        return result;
    }
}
