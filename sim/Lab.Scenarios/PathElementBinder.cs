using Lab.Core;

namespace Lab.Scenarios;

/// <summary>
/// Binds one kind of path element (<c>- esp_in: {...}</c>) for a model. The command line
/// registers one per model; the scenario loader itself only knows link, rss and stage.
/// </summary>
public interface IPathElementBinder
{
    string Type { get; }
    string Summary { get; }
    IReadOnlyList<KeySpec> Keys { get; }

    /// <summary>Reads the element's mapping; problems go to <paramref name="reader"/>.Problems.</summary>
    PathElement Bind(MapReader reader, string defaultName);

    /// <summary>
    /// The section of a cost profile (<c>lab-cost-profile/1</c>, <c>costs.SECTION</c>) whose keys this
    /// element takes under its own <c>costs</c> mapping, or null when it takes no measured costs.
    /// </summary>
    string? CostProfileSection => null;

    /// <summary>The keys of the element's <c>costs</c> mapping (without the <c>costs.</c> prefix), in declaration order.</summary>
    IReadOnlyList<string> CostKeys => [];

    /// <summary>The cost keys a bound element actually charges (a flowtable cost is not charged without a flowtable).</summary>
    IReadOnlyList<string> CostKeysCharged(PathElement element) => CostKeys;
}
