using System.Globalization;
using Lab.Core;

namespace Lab.Results;

/// <summary>What wrote a folder: the writers that replace a folder as a whole, and those that write into one.</summary>
public enum OutputKind
{
    /// <summary><c>lab run</c>, <c>lab merge</c>: a results folder (RESULTS-FORMAT.md), replaced as a whole.</summary>
    Results,

    /// <summary><c>lab validate</c>: a validation folder, replaced as a whole.</summary>
    Validation,

    /// <summary><c>lab sweep</c>: runs/, sweep.json and the results files, written into the folder (resumable).</summary>
    Sweep,

    /// <summary><c>lab report</c>: report.md, report.html, slides.html, figures/ and tables/, written into the folder.</summary>
    Report,
}

/// <summary>
/// Outputs never destroy what the lab did not write. Every folder a lab command writes carries a
/// marker file, <see cref="MarkerFile"/> ("lab KIND" and then the names the writer put there), so a
/// later run recognises its own folder. Before writing, <see cref="Check"/> refuses (exit 2):
/// a non-empty folder that is not the same kind of lab folder, or that holds entries its writer
/// did not put there (unless --force); a sweep folder for any other writer and a results or
/// validation folder for a sweep (always: each would destroy the other's files); a file, a
/// symbolic link, the file system's root or the current directory or one above it.
/// </summary>
public static class OutputFolder
{
    public const string MarkerFile = ".lab-output";

    /// <summary>The files of a results folder (RESULTS-FORMAT.md): recognised in folders written before the marker existed.</summary>
    public static readonly IReadOnlyList<string> ResultsFiles = ["scenario.yaml", "summary.json", "metrics.csv", "timeseries.csv", "latency_cdf.csv", "provenance.json"];

    static readonly string[] ValidationFiles = [.. ResultsFiles, "frames.pcap", "simulated.csv", "validation.csv", "packets.csv", "report.md"];
    static readonly string[] ReportFiles = ["report.md", "report.html", "slides.html", "figures", "tables"];

    /// <summary>ROOT/NAME(SUFFIX), the default folder of a scenario's output; the name must be a label (<see cref="SafeName"/>).</summary>
    public static string Default(string root, string name, string suffix = "")
    {
        SafeName.Require(name, "scenario name");
        return Path.Combine(root, name + suffix);
    }

    public static string KindName(OutputKind kind) => kind switch
    {
        OutputKind.Results => "results",
        OutputKind.Validation => "validate",
        OutputKind.Sweep => "sweep",
        _ => "report",
    };

    /// <summary>The commands that write <paramref name="kind"/>, as mentions the front end names.</summary>
    static object[] Writer(OutputKind kind) => kind switch
    {
        OutputKind.Results => [new CommandName("run"), " (or ", new CommandName("merge"), ")"],
        OutputKind.Validation => [new CommandName("validate")],
        OutputKind.Sweep => [new CommandName("sweep")],
        _ => [new CommandName("report")],
    };

    /// <summary>The kind named by DIR's marker, or null without one (or with one another program wrote).</summary>
    public static (OutputKind Kind, IReadOnlyList<string> Entries)? ReadMarker(string dir)
    {
        string path = Path.Combine(dir, MarkerFile);
        if (!File.Exists(path)) return null;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return null;
        }
        if (lines.Length == 0 || !lines[0].StartsWith("lab ", StringComparison.Ordinal)) return null;
        foreach (var k in Enum.GetValues<OutputKind>())
        {
            if (lines[0] == "lab " + KindName(k)) return (k, lines[1..]);
        }
        return null;
    }

    /// <summary>Writes DIR's marker: the kind, then the top-level entries the writer put there.</summary>
    public static void WriteMarker(string dir, OutputKind kind, IEnumerable<string>? entries = null)
    {
        var lines = new List<string> { "lab " + KindName(kind) };
        if (entries is not null) lines.AddRange(entries.Where(e => e != MarkerFile).Order(StringComparer.Ordinal));
        string path = Path.Combine(dir, MarkerFile);
        string tmp = path + string.Create(CultureInfo.InvariantCulture, $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
        using (var w = new StreamWriter(f))
        {
            foreach (var l in lines) w.Write(l + "\n");
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>True when DIR is (or looks like) a sweep folder: its marker says so, or it has sweep.json or runs/.</summary>
    public static bool IsSweep(string dir) =>
        ReadMarker(dir)?.Kind == OutputKind.Sweep || File.Exists(Path.Combine(dir, "sweep.json")) || Directory.Exists(Path.Combine(dir, "runs"));

    /// <summary>
    /// Refuses (a <see cref="ParameterException"/> about <paramref name="parameter"/>) a folder that writing
    /// <paramref name="kind"/> into <paramref name="dir"/> could damage; see the class summary. Returns the full path.
    /// </summary>
    public static string Check(string dir, OutputKind kind, bool force, string parameter = "out")
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        string full = Path.GetFullPath(dir);
        object[] writer = Writer(kind);
        var another = new ParameterName(parameter);
        var addForce = new ParameterName("force");
        ParameterException Refuse(params object[] parts) => new(parameter, parts);
        if (File.Exists(full) && !Directory.Exists(full)) throw Refuse($"{dir} is a file, not a folder");
        if (Path.GetDirectoryName(full) is null) throw Refuse([$"{dir} is the root of the file system; choose a folder for ", .. writer, " to write"]);
        string cwd = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Environment.CurrentDirectory)) + Path.DirectorySeparatorChar;
        string self = Path.TrimEndingDirectorySeparator(full) + Path.DirectorySeparatorChar;
        if ((kind is OutputKind.Results or OutputKind.Validation) && cwd.StartsWith(self, StringComparison.Ordinal))
            throw Refuse([$"{dir} is the current directory or one above it; ", .. writer, " replaces its folder as a whole: choose a new folder"]);
        if (!Directory.Exists(full)) return full;
        if (new DirectoryInfo(full).LinkTarget is not null)
            throw Refuse($"{dir} is a symbolic link; name the folder it points to, or another folder");
        var entries = Directory.EnumerateFileSystemEntries(full).Select(e => Path.GetFileName(e)).Order(StringComparer.Ordinal).ToList();
        if (entries.Count == 0) return full;

        var marker = ReadMarker(full);
        bool sweep = IsSweep(full);
        if (kind != OutputKind.Sweep && sweep)
            throw Refuse([$"{dir} is a sweep folder (runs/, sweep.json); ", .. writer, " would destroy its runs: choose another ", another]);
        if (kind == OutputKind.Sweep)
        {
            if (sweep) return full;
            var other = marker?.Kind ?? (LooksLike(entries, OutputKind.Results) ? OutputKind.Results : (OutputKind?)null);
            if (other is OutputKind.Results or OutputKind.Validation)
                throw Refuse([$"{dir} is a results folder of ", .. Writer(other.Value), "; a sweep would overwrite its files: choose another ", another]);
        }
        if (marker is { } m && m.Kind == kind)
        {
            if (kind is OutputKind.Sweep or OutputKind.Report) return full;
            var foreign = entries.Where(e => e != MarkerFile && !m.Entries.Contains(e)).ToList();
            if (foreign.Count == 0 || force) return full;
            throw Refuse([$"{dir} holds {Describe(foreign)}, which ", .. writer, " did not write; it replaces the folder as a whole: move them out, choose another ", another, ", or add ", addForce, " to replace them too"]);
        }
        if (marker is null && LooksLike(entries, kind)) return full;
        if (force) return full;
        object[] what = marker is { } mk ? ["a folder of ", .. Writer(mk.Kind)] : ["not a lab output folder"];
        string effect = kind is OutputKind.Results or OutputKind.Validation ? "it would be replaced as a whole" : "files in it would be overwritten";
        throw Refuse([$"{dir} is not empty and ", .. what, $" (it holds {Describe(entries)}); {effect}: choose an empty or new folder, or add ", addForce]);
    }

    /// <summary>A folder from before the marker: only the files its writer writes, and that writer's signature files.</summary>
    static bool LooksLike(List<string> entries, OutputKind kind) => kind switch
    {
        OutputKind.Results => entries.All(ResultsFiles.Contains) && entries.Contains("provenance.json") && entries.Contains("summary.json"),
        OutputKind.Validation => entries.All(ValidationFiles.Contains) && entries.Contains("validation.csv") && entries.Contains("report.md"),
        OutputKind.Report => entries.All(ReportFiles.Contains) && entries.Contains("report.html") && entries.Contains("slides.html"),
        _ => false,
    };

    static string Describe(List<string> names)
    {
        var shown = names.Take(3).Select(n => $"'{SafeName.Printable(n)}'");
        return string.Join(", ", shown) + (names.Count > 3 ? $" and {names.Count - 3} more" : "");
    }

    /// <summary>
    /// Writes a folder that replaces <paramref name="dir"/> as a whole, atomically: <paramref name="fill"/>
    /// fills a hidden sibling .NAME.tmp-PID-R, which then takes DIR's place (the previous DIR goes
    /// through .NAME.old-PID-R and is deleted), so a crash or a kill leaves either the previous folder
    /// or the new one, never half of either. Hidden folders that killed writers left are removed
    /// first (<see cref="StaleTemporaries"/>). <see cref="Check"/> must have passed.
    /// </summary>
    public static T Replace<T>(string dir, OutputKind kind, Func<string, T> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string full = Path.GetFullPath(dir);
        string parent = Path.GetDirectoryName(full) ?? throw new IOException($"{dir} is the root of the file system (Check refuses it)");
        string name = Path.GetFileName(full);
        Directory.CreateDirectory(parent);
        StaleTemporaries.Remove(parent);
        string tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        string tmp = Path.Combine(parent, $".{name}.tmp-{tag}");
        Directory.CreateDirectory(tmp);
        if (new DirectoryInfo(tmp).LinkTarget is not null) throw new IOException($"{tmp}: appeared as a symbolic link while being created");
        // The marker first, so that the next writer recognises (and removes) this folder if the process is killed.
        WriteMarker(tmp, kind);
        try
        {
            T result = fill(tmp);
            WriteMarker(tmp, kind, Directory.EnumerateFileSystemEntries(tmp).Select(e => Path.GetFileName(e)));
            if (Directory.Exists(full))
            {
                string old = Path.Combine(parent, $".{name}.old-{tag}");
                Directory.Move(full, old);
                Directory.Move(tmp, full);
                Directory.Delete(old, true);
            }
            else Directory.Move(tmp, full);
            return result;
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            throw;
        }
    }

    /// <summary>
    /// Writes files into <paramref name="dir"/> only once <paramref name="fill"/> has finished: it fills a
    /// hidden sibling .NAME.tmp-PID-R (as <see cref="Replace{T}"/> does); a new DIR then arrives whole in one
    /// rename, and into an existing DIR (an earlier report, or a folder --force allowed) each file is renamed
    /// into place, replacing its namesake and leaving everything else there. If <paramref name="fill"/> throws
    /// (cancellation included), the sibling goes and DIR is as it was; a killed writer's sibling goes with the
    /// next write (<see cref="StaleTemporaries"/>). <see cref="Check"/> must have passed.
    /// </summary>
    public static T Publish<T>(string dir, OutputKind kind, Func<string, T> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string full = Path.GetFullPath(dir);
        if (!Directory.Exists(full)) return Replace(dir, kind, fill);
        string parent = Path.GetDirectoryName(full) ?? throw new IOException($"{dir} is the root of the file system");
        string name = Path.GetFileName(full);
        StaleTemporaries.Remove(parent);
        string tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        string tmp = Path.Combine(parent, $".{name}.tmp-{tag}");
        Directory.CreateDirectory(tmp);
        if (new DirectoryInfo(tmp).LinkTarget is not null) throw new IOException($"{tmp}: appeared as a symbolic link while being created");
        WriteMarker(tmp, kind);
        try
        {
            T result = fill(tmp);
            var staged = Directory.GetFiles(tmp, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            if (ReadMarker(full)?.Kind != kind) WriteMarker(full, kind);
            foreach (var file in staged)
            {
                string relative = Path.GetRelativePath(tmp, file);
                if (relative == MarkerFile) continue;
                string target = Path.Combine(full, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(file, target, overwrite: true);
            }
            return result;
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        }
    }

    public static void Replace(string dir, OutputKind kind, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        Replace(dir, kind, tmp =>
        {
            fill(tmp);
            return 0;
        });
    }
}
