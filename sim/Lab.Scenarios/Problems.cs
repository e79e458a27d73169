using Lab.Engine;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>Collects every problem in a scenario, so the user sees them all at once, each with its position.</summary>
public sealed class Problems
{
    readonly List<string> _list = [];

    public IReadOnlyList<string> All => _list;
    public bool Any => _list.Count > 0;

    public void Add(SourcePos pos, string message) => _list.Add($"{pos}: {message}");

    /// <summary>A problem whose text already names its position (from a <see cref="Lab.Engine.LabInputException"/>).</summary>
    public void AddRaw(string problem) => _list.Add(problem);

    public void ThrowIfAny()
    {
        if (_list.Count > 0) throw new LabInputException(_list);
    }

    /// <summary>The closest valid name by edit distance, for "did you mean" hints.</summary>
    public static string? Suggest(string found, IEnumerable<string> valid)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var v in valid)
        {
            int d = Distance(found.ToLowerInvariant(), v.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = v;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, found.Length / 3) ? best : null;
    }

    static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}

/// <summary>One key of a scenario section: what it takes, its default and meaning. Drives validation, docs and `lab describe`.</summary>
public sealed record KeySpec(string Key, string Type, string Default, string Description);
