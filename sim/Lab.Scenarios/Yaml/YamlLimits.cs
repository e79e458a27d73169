namespace Lab.Scenarios.Yaml;

/// <summary>
/// What one scenario file may cost to load. A hostile or broken file (a "billion laughs" alias
/// bomb, 100,000 nested brackets, gigabytes of keys) is refused with a position instead of
/// exhausting memory, time or the stack. The defaults are far above any real scenario: the
/// largest example is under 2 KB, 30 nodes deep at most 6.
/// </summary>
public sealed record YamlLimits
{
    public static readonly YamlLimits Default = new();

    /// <summary>Bytes in one file (8 MiB).</summary>
    public long MaxFileBytes { get; init; } = 8L << 20;

    /// <summary>Nesting of mappings and lists.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Nodes (scalars, lists, mappings, keys included) after every alias is expanded.</summary>
    public long MaxNodes { get; init; } = 1_000_000;
}
