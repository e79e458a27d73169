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
}
