using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.Results;

/// <summary>
/// Hidden folders a killed writer leaves beside its output (<c>.NAME.tmp-PID-R</c> while filling,
/// <c>.NAME.old-PID-R</c> while swapping; <see cref="OutputFolder.Replace{T}"/>): the next write in the same
/// folder removes those whose process is gone and that carry the lab's marker, never one of a live
/// process and never a folder the lab did not write.
/// </summary>
public static partial class StaleTemporaries
{
    [GeneratedRegex(@"^\..+\.(tmp|old)-(?<pid>[0-9]{1,10})(-[0-9a-f]+)?$")]
    private static partial Regex Pattern();

    /// <summary>The writer's process id in a temporary folder's name, or null if the name is not one.</summary>
    public static int? ProcessOf(string name)
    {
        var m = Pattern().Match(name);
        return m.Success && int.TryParse(m.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    /// <summary>True while process <paramref name="pid"/> exists (Linux: /proc/PID).</summary>
    public static bool IsAlive(int pid) => pid == Environment.ProcessId || Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));

    /// <summary>Removes the stale temporary folders in <paramref name="parent"/>; returns their names.</summary>
    public static IReadOnlyList<string> Remove(string parent)
    {
        var removed = new List<string>();
        if (!Directory.Exists(parent)) return removed;
        foreach (var path in Directory.EnumerateDirectories(parent, ".*"))
        {
            string name = Path.GetFileName(path);
            if (ProcessOf(name) is not { } pid || IsAlive(pid)) continue;
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null || OutputFolder.ReadMarker(path) is null) continue;
            try
            {
                info.Delete(recursive: true);
                removed.Add(name);
            }
            catch (IOException)
            {
                // Another writer removed it first.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to remove after all.
            }
        }
        return removed;
    }
}
