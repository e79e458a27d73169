using Lab.Engine;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios.Profiles;

/// <summary>One measured cost of a profile as a scenario takes it: its value text and where it is written.</summary>
/// <param name="Section">The profile section (<c>costs.forward</c> gives "forward").</param>
/// <param name="Key">The cost key (rx_ingress, ...).</param>
/// <param name="Value">The value as written ("312ns"), parsed again by the element's binder.</param>
/// <param name="Pos">Where the value stands in the profile: problems with it name this position.</param>
/// <param name="Ci95">The 95% interval as written ("12ns"), or "" when the profile gives none.</param>
/// <param name="From">The measured stage(s) the value comes from, or "".</param>
public sealed record ProfileCost(string Section, string Key, string Value, SourcePos Pos, string Ci95, string From);

/// <summary>
/// The part of a cost profile (format <c>lab-cost-profile/1</c>, scenarios/README.md) that scenarios and
/// <c>lab describe --costs</c> consume: who measured it where, and every measured cost with its position
/// in the profile. Reads the file only as a YAML profile; a missing file, another format or a bad entry
/// is a <see cref="LabInputException"/> naming file:line:column.
/// </summary>
public sealed record ProfileCosts(string File, string Machine, string Measured, string KernelRelease, bool Emulated, IReadOnlyList<ProfileCost> Costs)
{
    public const string Format = "lab-cost-profile/1";

    /// <summary>The costs of one section, in profile order.</summary>
    public IEnumerable<ProfileCost> Section(string section) => Costs.Where(c => c.Section == section);

    public ProfileCost? Find(string section, string key) => Costs.FirstOrDefault(c => c.Section == section && c.Key == key);

    /// <summary>"measured on M, kernel K (emulated), DATE".</summary>
    public string Origin => $"measured on {Machine}, kernel {KernelRelease}{(Emulated ? " (emulated: timings not meaningful)" : "")}, {Measured}";

    /// <summary>
    /// Reads the profile at <paramref name="path"/> as named by <paramref name="given"/> (the text a user
    /// wrote, for messages) from <paramref name="at"/> (the key or flag that named it).
    /// </summary>
    public static ProfileCosts Read(string path, string given, SourcePos at)
    {
        if (!ProfilePath.IsLabelSafe(given))
            throw new LabInputException($"{at}: costs: expected the path of a cost profile (.yaml, letters, digits, '.', '_', '-', '/'), found '{given}'");
        if (Directory.Exists(path) || !System.IO.File.Exists(path))
            throw new LabInputException($"{at}: costs: no such cost profile '{given}' (looked for {path}); lab calibrate writes one");
        var info = new FileInfo(path);
        if (info.Length > ProfilePath.MaxBytes)
            throw new LabInputException($"{at}: costs: expected a cost profile of at most {ProfilePath.MaxBytes} bytes, found {info.Length} bytes in '{given}'");
        var root = YamlLoader.LoadText(System.IO.File.ReadAllText(path), path);
        return FromTree(root, path);
    }

    /// <summary>The profile in <paramref name="root"/> (loaded from <paramref name="file"/>).</summary>
    public static ProfileCosts FromTree(YMap root, string file)
    {
        var problems = new Problems();
        string format = Text(root, "format", "the profile", problems) ?? "";
        if (problems.Any || format != Format)
        {
            if (!problems.Any) problems.Add(root["format"]!.Pos, $"format: expected {Format} (a profile lab calibrate wrote), found '{format}'");
            problems.ThrowIfAny();
        }
        string machine = Text(root, "machine", "the profile", problems) ?? "";
        string measured = Text(root, "measured", "the profile", problems) ?? "";
        string release = "";
        bool emulated = false;
        if (Map(root, "kernel", "the profile", problems) is { } kernel)
        {
            release = Text(kernel, "release", "kernel", problems) ?? "";
            emulated = kernel["emulated"] is YScalar { Value: "true" };
        }
        var costs = new List<ProfileCost>();
        if (Map(root, "costs", "the profile", problems) is { } sections)
        {
            foreach (var (sectionKey, sectionNode) in sections.Entries)
            {
                if (sectionNode is not YMap section)
                {
                    problems.Add(sectionNode.Pos, $"costs.{sectionKey.Value}: expected a mapping of cost keys to {{value, ci95, from, note}}, found {YamlLoader.Describe(sectionNode)}");
                    continue;
                }
                foreach (var (key, entryNode) in section.Entries)
                {
                    string where = $"costs.{sectionKey.Value}.{key.Value}";
                    if (entryNode is not YMap entry)
                    {
                        problems.Add(entryNode.Pos, $"{where}: expected a mapping {{value, ci95, from, note}}, found {YamlLoader.Describe(entryNode)}");
                        continue;
                    }
                    if (entry["not_measured"] is not null && entry["value"] is null) continue;
                    if (entry["value"] is not YScalar value)
                    {
                        problems.Add(entry["value"]?.Pos ?? entry.Pos, $"{where}.value: expected a duration such as 312ns, found {(entry["value"] is { } v ? YamlLoader.Describe(v) : "nothing")}");
                        continue;
                    }
                    if (!SimTime.TryParse(value.Value, out long ps, out string error))
                    {
                        problems.Add(value.Pos, $"{where}.value: {error}");
                        continue;
                    }
                    if (ps < 0)
                    {
                        problems.Add(value.Pos, $"{where}.value: expected a non-negative duration, found '{value.Value}'");
                        continue;
                    }
                    costs.Add(new ProfileCost(sectionKey.Value, key.Value, value.Value, value.Pos,
                        (entry["ci95"] as YScalar)?.Value ?? "", (entry["from"] as YScalar)?.Value ?? ""));
                }
            }
        }
        problems.ThrowIfAny();
        return new ProfileCosts(file, machine, measured, release, emulated, costs);
    }

    static string? Text(YMap map, string key, string section, Problems problems)
    {
        if (map[key] is YScalar s && s.Value.Length > 0) return s.Value;
        problems.Add(map[key]?.Pos ?? map.Pos, $"{(section == "the profile" ? "" : section + ".")}{key}: expected a non-empty string in {section}, found {(map[key] is { } n ? YamlLoader.Describe(n) : "nothing")}");
        return null;
    }

    static YMap? Map(YMap map, string key, string section, Problems problems)
    {
        if (map[key] is YMap m) return m;
        problems.Add(map[key]?.Pos ?? map.Pos, $"{key}: expected a mapping in {section}, found {(map[key] is { } n ? YamlLoader.Describe(n) : "nothing")}");
        return null;
    }
}

/// <summary>Which paths name a cost profile: relative or absolute paths of plain characters, ending in .yaml or .yml.</summary>
public static class ProfilePath
{
    public const long MaxBytes = 1 << 20;

    public static bool IsLabelSafe(string path) =>
        path.Length is > 0 and <= 4096
        && path[0] != '-'
        && (path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal))
        && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' or '+')
        && !path.Contains("//", StringComparison.Ordinal);

    /// <summary>The profile named by <paramref name="given"/>, relative to the file the naming key was written in (the scenario for --set).</summary>
    public static string Resolve(string given, SourcePos at, string scenarioFile)
    {
        string from = at.Line > 0 ? at.File : scenarioFile;
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(from)) ?? ".", given));
    }
}
