using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>
/// The scenario name names the results folder (results/NAME), so it must be a label, never a
/// path (<see cref="SafeName"/>): `name: ../../victim`, an absolute name, or a name with '/', '\',
/// NUL, control characters or a leading dot is refused here, so `lab check` and `lab run` agree.
/// </summary>
static class ScenarioNameRule
{
    /// <summary>Adds a problem at the name's position unless it is a label (a missing or non-string name is reported elsewhere).</summary>
    public static void Check(YNode? node, Problems problems)
    {
        if (node is not YScalar s || SafeName.IsLabel(s.Value)) return;
        problems.Add(s.Pos, $"name: expected {SafeName.Rule}, found '{SafeName.Printable(s.Value)}'");
    }
}
