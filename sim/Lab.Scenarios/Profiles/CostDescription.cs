using Lab.Models;
using Lab.Core;

namespace Lab.Scenarios.Profiles;

/// <summary>
/// What <c>lab describe MODEL [--costs FILE]</c> says about a cost parameter: its value and where the
/// value comes from, the profile (with its interval and the stage it was measured in) or the model's
/// assumption. Without a profile every cost is shown as the assumption it is.
/// </summary>
public static class CostDescription
{
    /// <summary>The cost key of <paramref name="p"/> ("rx_ingress"), or null when it is not one of the model's costs.</summary>
    public static string? CostKey(ModelDescription d, ParameterSpec p)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(p);
        if (d.CostSection is null || !p.Key.StartsWith(d.CostKeyPrefix, StringComparison.Ordinal)) return null;
        string key = p.Key[d.CostKeyPrefix.Length..];
        return key.Length == 0 || key.Contains('.', StringComparison.Ordinal) ? null : key;
    }

    /// <summary>The "value: ..." line for a cost parameter (without indentation).</summary>
    /// <summary>The profile's value for <paramref name="key"/> of the model's cost section, or null.</summary>
    public static ProfileCost? Find(ModelDescription d, CostProfile? profile, string key)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (profile is null || d.CostSection is null) return null;
        return profile.CostsFor(d.CostSection).TryGetValue(key, out var c) ? c : null;
    }

    public static string ValueLine(ModelDescription d, ParameterSpec p, CostProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(p);
        string key = CostKey(d, p) ?? throw new ArgumentException($"{p.Key} is not a cost of {d.Name}", nameof(p));
        if (Find(d, profile, key) is { } c)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            string ci = string.Create(inv, $"95% interval [{c.Ci95LowNs:0.#}, {c.Ci95HighNs:0.#}] ns");
            string from = c.From.Count > 0 ? $", stage {string.Join(" + ", c.From)}" : "";
            string label = c.Label is null ? "" : $" [{c.Label}]";
            return $"value: {Lab.Core.SimTime.Format(c.ValuePs)}, {ci}: MEASURED{from}; {ProfilePath.Origin(profile!)}{label}";
        }
        return profile is null
            ? $"value: {p.Default}: ASSUMPTION (model default; no cost profile given)"
            : $"value: {p.Default}: ASSUMPTION (model default; the profile does not measure {key})";
    }

    /// <summary>The closing tally: "costs: 12 measured (profile), 4 assumed: a, b, c, d".</summary>
    public static string Tally(ModelDescription d, CostProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(d);
        var keys = d.Parameters.Select(p => CostKey(d, p)).OfType<string>().ToList();
        var measured = keys.Where(k => Find(d, profile, k) is not null).ToList();
        var assumed = keys.Except(measured).ToList();
        string m = profile is null ? "no profile given" : $"{measured.Count} measured ({ProfilePath.Origin(profile)})";
        return $"costs: {m}; {assumed.Count} assumed" + (assumed.Count > 0 ? ": " + string.Join(", ", assumed) : "");
    }
}
