using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios.Profiles;

/// <summary>
/// How a scenario (<c>costs: FILE</c>) or a flag (<c>--costs FILE</c>) names a cost profile: a relative or
/// absolute path of plain characters ending in .yaml or .yml, read only as a YAML profile, never written.
/// </summary>
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
        ArgumentNullException.ThrowIfNull(at);
        string from = at.Line > 0 ? at.File : scenarioFile;
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(from)) ?? ".", given));
    }

    /// <summary>
    /// Reads the profile at <paramref name="path"/>, named <paramref name="given"/> at <paramref name="at"/>;
    /// <paramref name="costKeysOf"/> names each element type's cost keys (see <see cref="CostProfileReader"/>).
    /// </summary>
    public static CostProfile Read(string path, string given, SourcePos at, Func<string, IReadOnlyCollection<string>?>? costKeysOf)
    {
        ArgumentNullException.ThrowIfNull(at);
        if (!IsLabelSafe(given))
            throw new LabInputException($"{at}: costs: expected the path of a cost profile (ending in .yaml; letters, digits, '.', '_', '-', '+', '/'), found '{given}'");
        if (Directory.Exists(path) || !File.Exists(path))
            throw new LabInputException($"{at}: costs: no such cost profile '{given}' (looked for {path})") { Remedies = [Remedy.WriteCostProfile] };
        long length = new FileInfo(path).Length;
        if (length > MaxBytes)
            throw new LabInputException($"{at}: costs: expected a cost profile of at most {MaxBytes} bytes, found {length} bytes in '{given}'");
        return CostProfileReader.Read(path, costKeysOf);
    }

    /// <summary>"measured on M, kernel K, DATE" (with the emulation label where it applies).</summary>
    public static string Origin(CostProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return $"measured on {p.Machine}, kernel {p.Kernel.Release}{(p.Kernel.Emulated ? " (" + CostProfile.EmulatedLabel + ")" : "")}, {Date(p)}";
    }

    public static string Date(CostProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Measured.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }
}
