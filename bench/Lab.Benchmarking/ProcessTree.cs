using System.Diagnostics;
using System.Globalization;

namespace Lab.Benchmarking;

/// <summary>
/// The processes this process started, and theirs (BenchmarkDotNet's `dotnet build` and benchmark
/// children of a full run, the Release host and the child runs of `--runs`), found through
/// /proc/PID/stat's parent field (proc(5), field 4) and ended with SIGKILL. Used when `lab bench`
/// is interrupted: BenchmarkDotNet takes no cancellation, so its children would outlive a lab that
/// only its own PID was signalled for.
/// </summary>
public static class ProcessTree
{
    /// <summary>The descendants of <paramref name="root"/> now, parents before children; empty where /proc is missing.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        if (!Directory.Exists("/proc")) return [];
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (ParentOf(pid) is not { } parent) continue;
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
            list.Add(pid);
        }
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            if (!children.TryGetValue(queue.Dequeue(), out var list)) continue;
            foreach (int c in list)
            {
                found.Add(c);
                queue.Enqueue(c);
            }
        }
        return found;
    }

    /// <summary>The parent PID from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold spaces and parentheses, so read after the last ')').</summary>
    public static int? ParentOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone meanwhile
        }
        return ParseParent(stat);
    }

    public static int? ParseParent(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid) ? ppid : null;
    }

    /// <summary>
    /// SIGKILLs every descendant of this process. Twice over a snapshot: a child that forked between
    /// the listing and its death is caught by the second pass.
    /// </summary>
    public static void KillDescendants()
    {
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (int pid in Descendants(Environment.ProcessId)) Kill(pid);
        }
    }

    /// <summary>Ends <paramref name="p"/> and everything under it.</summary>
    public static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    static void Kill(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
    }
}
