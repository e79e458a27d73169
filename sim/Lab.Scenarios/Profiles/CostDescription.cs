using Lab.Models;

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
    public static string ValueLine(ModelDescription d, ParameterSpec p, ProfileCosts? profile)
    {
        string key = CostKey(d, p) ?? throw new ArgumentException($"{p.Key} is not a cost of {d.Name}", nameof(p));
        if (profile?.Find(d.CostSection!, key) is { } c)
        {
            string ci = c.Ci95.Length > 0 ? $" ± {c.Ci95} (95%)" : " (no interval given)";
            string from = c.From.Length > 0 ? $", stage {c.From}" : "";
            return $"value: {c.Value}{ci}: MEASURED{from}; {profile.Origin} ({c.Pos})";
        }
        return profile is null
            ? $"value: {p.Default}: ASSUMPTION (model default; lab calibrate measures it, lab describe {d.Name} --costs FILE shows a profile's value)"
            : $"value: {p.Default}: ASSUMPTION (model default; the profile does not measure {key})";
    }

    /// <summary>The closing tally: "costs: 12 measured (profile), 4 assumed: a, b, c, d".</summary>
    public static string Tally(ModelDescription d, ProfileCosts? profile)
    {
        ArgumentNullException.ThrowIfNull(d);
        var keys = d.Parameters.Select(p => CostKey(d, p)).OfType<string>().ToList();
        var measured = profile is null ? [] : keys.Where(k => profile.Find(d.CostSection!, k) is not null).ToList();
        var assumed = keys.Except(measured).ToList();
        string m = profile is null ? "no profile given" : $"{measured.Count} measured ({profile.File}, {profile.Origin})";
        return $"costs: {m}; {assumed.Count} assumed" + (assumed.Count > 0 ? ": " + string.Join(", ", assumed) : "");
    }
}
