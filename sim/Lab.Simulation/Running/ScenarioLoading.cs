using System.Globalization;
using Lab.Core;
using Lab.Scenarios;

namespace Lab.Simulation.Running;

/// <summary>Loads a scenario file with the model catalogue's bindings, as every command and experiment does.</summary>
public static class ScenarioLoading
{
    /// <summary>
    /// The scenario in <paramref name="file"/> with <paramref name="sets"/> (key=value) applied, and
    /// <paramref name="seed"/> and <paramref name="replications"/> overriding run.seed and run.replications.
    /// Problems with these values name the parameter the user gave (set, seed, replications) as
    /// <paramref name="wording"/> names it (the CLI: its flag), not the scenario key it sets.
    /// </summary>
    public static LoadedScenario Load(string file, string[]? sets, long? seed, int? replications, Wording? wording = null)
    {
        var words = wording ?? Wording.Library;
        var flags = new List<ParameterOverride>();
        if (seed is { } s) flags.Add(new ParameterOverride(words.Render(new ParameterName("seed"), $" {s}"), "run.seed", s.ToString(CultureInfo.InvariantCulture)));
        if (replications is { } r) flags.Add(new ParameterOverride(words.Render(new ParameterName("replications"), $" {r}"), "run.replications", r.ToString(CultureInfo.InvariantCulture)));
        return ModelCatalog.CreateLoader().Load(file, sets ?? [], flags, words.Parameter);
    }
}
