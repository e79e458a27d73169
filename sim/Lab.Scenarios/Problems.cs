using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>Collects every problem in a scenario, so the user sees them all at once, each with its position.</summary>
public sealed class Problems
{
    /// <summary>Beyond this many, the rest are counted, not listed: a file with 100,000 bad keys gets a readable answer.</summary>
    public const int MaxListed = 100;

    readonly List<string> _list = [];
    readonly List<Remedy> _remedies = [];
    int _unlisted;

    public IReadOnlyList<string> All => _list;
    public bool Any => _list.Count > 0;

    public void Add(SourcePos pos, string message)
    {
        if (_list.Count < MaxListed) _list.Add($"{pos}: {message}");
        else _unlisted++;
    }

    /// <summary>A problem whose text already names its position (from a <see cref="Lab.Core.LabInputException"/>).</summary>
    public void AddRaw(string problem) => _list.Add(problem);

    /// <summary>What the user can do about the problems; the front end words it.</summary>
    public void AddRemedy(Remedy remedy)
    {
        if (!_remedies.Contains(remedy)) _remedies.Add(remedy);
    }

    /// <summary>The problems of <paramref name="e"/> (whose texts name their positions) and its remedies.</summary>
    public void AddAll(LabInputException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        foreach (var p in e.Problems) AddRaw(p);
        foreach (var r in e.Remedies) AddRemedy(r);
    }

    public void ThrowIfAny()
    {
        if (_list.Count == 0) return;
        if (_unlisted == 0) throw new LabInputException(_list) { Remedies = [.. _remedies] };
        throw new LabInputException([.. _list, $"{_unlisted} more problem(s) not listed; fix the ones above first"]) { Remedies = [.. _remedies] };
    }

    /// <summary>The closest valid name by edit distance, for "did you mean" hints.</summary>
    public static string? Suggest(string found, IEnumerable<string> valid)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        int limit = Math.Max(2, found.Length / 3);
        foreach (var v in valid)
        {
            // The distance is at least the difference in length: a long key skips the quadratic work.
            if (Math.Abs(found.Length - v.Length) > limit) continue;
            int d = Distance(found.ToLowerInvariant(), v.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = v;
            }
        }
        return best is not null && bestDistance <= limit ? best : null;
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
