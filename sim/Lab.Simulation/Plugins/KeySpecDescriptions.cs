using Lab.Models;
using Lab.Scenarios;
using Lab.Core;

namespace Lab.Simulation.Plugins;

/// <summary>Turns a binder's keys into parameter rows for <c>lab describe</c>.</summary>
static class KeySpecDescriptions
{
    public static ParameterSpec[] From(string prefix, IEnumerable<KeySpec> keys, string source) =>
        [.. keys.Select(k => new ParameterSpec(prefix + k.Key, k.Type, k.Default, "", source, k.Description))];
}
