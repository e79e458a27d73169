using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>
/// A parameter given on the command line (--set, --seed, --replications) that the sweep also sets:
/// the sweep would replace it at every point, so the flag would be ignored without a word (issue 19).
/// Refused, naming the key and where the sweep sets it.
/// </summary>
public static class SweptOverrides
{
    public static void Check(IReadOnlyList<ParameterOverride> overrides, SweepSpec sweep, Problems problems)
    {
        foreach (var o in overrides)
        {
            if (o.Path.Length == 0) continue;
            foreach (var axis in sweep.Axes)
            {
                if (!Overlaps(o.Path, axis.Name)) continue;
                problems.Add(SourcePos.Flag(o.Flag),
                    $"{o.Path} is swept (sweep at {axis.Pos}: {axis.Name}); the sweep sets it at every point, so this value would be ignored: " +
                    $"remove {axis.Name} from the sweep, or drop the flag");
                break;
            }
        }
    }

    /// <summary>The same key, or one inside the other (path.esp_in and path.esp_in.window).</summary>
    static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + ".", StringComparison.Ordinal) || b.StartsWith(a + ".", StringComparison.Ordinal);
}
