using System.Text.RegularExpressions;
using Lab.Captures.Netns;
using Lab.Core;
using Lab.KernelLab.Netns;

namespace Lab.KernelLab.Cleanup;

/// <summary>What a marker stands for.</summary>
public enum OwnedKind
{
    /// <summary>A named network namespace (/run/netns/NAME).</summary>
    Netns,

    /// <summary>A directory the process made in a temp folder (the marker holds its full path).</summary>
    TempDirectory,

    /// <summary>A file the process made in a temp folder (the marker holds its full path).</summary>
    TempFile,

    /// <summary>A tracefs instance of the host kernel (instances/NAME), whose enabled event would keep tracing after a kill.</summary>
    TraceInstance,
}

/// <summary>What <see cref="OwnedResources.RemoveStale"/> removed.</summary>
public readonly record struct StaleRemoval(int Owners, int Namespaces, int TempEntries, int DiagnosticFiles, int TraceInstances = 0)
{
    public int Total => Namespaces + TempEntries + DiagnosticFiles + TraceInstances;
}

/// <summary>
/// Ownership markers, so that what a killed process (SIGKILL, a crash) left behind is removed by the
/// next one and nothing else ever is. Before creating a namespace or a temp folder, a process writes
/// a marker under /run/lab/owners/PID-START/ (<see cref="ProcessIdentity"/>: pid and start time, so a
/// reused pid is never mistaken for the owner); it deletes the marker after removing the resource.
/// <see cref="RemoveStale"/> removes the resources of marker folders whose owner no longer runs, and
/// only those: never by a name pattern, never anything of a live process (other users' tests build
/// namespaces on the same machine at the same time). The runtime's diagnostic socket and debug pipes
/// in the temp folder (dotnet-diagnostic-PID-START-socket, clr-debug-pipe-PID-START-in/out) are named
/// by the same pair, so a process that marked itself (<see cref="MarkProcess"/>) gets those removed too.
/// /run/lab is root's (mode 0700); where it cannot be made (not root), nothing is marked or removed.
/// </summary>
public static partial class OwnedResources
{
    public const string DefaultRoot = "/run/lab/owners";
    const string ProcessMarker = "process";

    static readonly Lock Gate = new();
    static readonly Lazy<StaleRemoval> Swept = new(() => RemoveStale());

    /// <summary>The folder holding one marker folder per owner process.</summary>
    public static string Root { get; } = DefaultRoot;

    /// <summary>This process's marker folder.</summary>
    public static string OwnFolder => Path.Combine(Root, ProcessIdentity.Current.ToString());

    /// <summary>Records that this process is about to create <paramref name="name"/>; false when markers are unavailable here.</summary>
    /// <param name="name">A namespace name, or the full path of a temp file or folder.</param>
    public static bool Mark(OwnedKind kind, string name)
    {
        string? file = MarkerPath(kind, name);
        if (file is null || !EnsureOwnFolder()) return false;
        try
        {
            File.WriteAllText(file, kind == OwnedKind.Netns ? "" : Path.GetFullPath(name) + "\n");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Forgets a resource this process has removed (or keeps on purpose).</summary>
    public static void Unmark(OwnedKind kind, string name)
    {
        if (MarkerPath(kind, name) is { } file) TryDelete(file);
    }

    /// <summary>Marks the process itself, so that its runtime's diagnostic files are removed if it is killed.</summary>
    public static void MarkProcess()
    {
        if (!EnsureOwnFolder()) return;
        try
        {
            File.WriteAllText(Path.Combine(OwnFolder, ProcessMarker), Path.GetTempPath() + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without the marker only the diagnostic files of a killed run stay behind.
        }
    }

    /// <summary>At a normal exit: drops the process marker, and the marker folder if nothing else is marked in it.</summary>
    public static void UnmarkProcess()
    {
        TryDelete(Path.Combine(OwnFolder, ProcessMarker));
        try
        {
            if (Directory.Exists(OwnFolder) && !Directory.EnumerateFileSystemEntries(OwnFolder).Any()) Directory.Delete(OwnFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A marker was added meanwhile: the folder stays with it.
        }
    }

    /// <summary><see cref="RemoveStale"/>, once per process (every namespace creator calls this first).</summary>
    public static StaleRemoval RemoveStaleOnce() => Swept.Value;

    /// <summary>Removes what processes that no longer run marked and left behind, then their marker folders.</summary>
    public static StaleRemoval RemoveStale()
    {
        if (!Directory.Exists(Root) || new DirectoryInfo(Root).LinkTarget is not null) return default;
        int owners = 0, namespaces = 0, temps = 0, diagnostics = 0, traces = 0;
        string[] folders;
        try
        {
            folders = Directory.GetDirectories(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default;
        }
        // A name a live process has marked is never removed, even if a dead one marked it too (a reused pid).
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var stale = new List<(string Folder, ProcessIdentity Owner)>();
        foreach (string folder in folders)
        {
            if (!ProcessIdentity.TryParse(Path.GetFileName(folder), out var owner)) continue;
            if (owner == ProcessIdentity.Current || owner.IsAlive)
            {
                try
                {
                    foreach (string m in Directory.GetFiles(folder)) claimed.Add(Path.GetFileName(m));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // It ended meanwhile.
                }
            }
            else stale.Add((folder, owner));
        }
        foreach (var (folder, owner) in stale)
        {
            owners++;
            string[] markers;
            try
            {
                markers = Directory.GetFiles(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string marker in markers)
            {
                string entry = Path.GetFileName(marker);
                if (claimed.Contains(entry) && entry != ProcessMarker)
                {
                    TryDelete(marker);
                    continue;
                }
                if (entry == ProcessMarker) diagnostics += RemoveDiagnosticFiles(owner, ReadLine(marker));
                else if (entry.StartsWith("netns.", StringComparison.Ordinal)) namespaces += RemoveNamespace(entry["netns.".Length..]) ? 1 : 0;
                else if (entry.StartsWith("trace.", StringComparison.Ordinal)) traces += RemoveTraceInstance(entry["trace.".Length..]) ? 1 : 0;
                else if (entry.StartsWith("tmpdir.", StringComparison.Ordinal) || entry.StartsWith("tmpfile.", StringComparison.Ordinal))
                    temps += RemoveTemp(entry[(entry.IndexOf('.', StringComparison.Ordinal) + 1)..], ReadLine(marker), entry.StartsWith("tmpdir.", StringComparison.Ordinal)) ? 1 : 0;
                TryDelete(marker);
            }
            try
            {
                Directory.Delete(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process sweeping at the same moment, or a marker it could not read: left for later.
            }
        }
        return new StaleRemoval(owners, namespaces, temps, diagnostics, traces);
    }

    /// <summary>
    /// Removes a tracefs instance of the host kernel (rmdir also disables its events). tracefs is
    /// mounted in a private mount namespace of its own (unshare -m), as the lab mounts it for use,
    /// so the host's mounts stay as they were.
    /// </summary>
    static bool RemoveTraceInstance(string name)
    {
        if (!SafeName().IsMatch(name)) return false;
        return CommandRunner.Run("unshare", ["-m", "--", "sh", "-c",
            "T=/sys/kernel/tracing; [ -d $T/instances ] || mount -t tracefs nodev $T 2>/dev/null; [ -d \"$T/instances/$1\" ] && rmdir \"$T/instances/$1\"", "sh", name]).Succeeded;
    }

    static bool RemoveNamespace(string name)
    {
        if (!SafeName().IsMatch(name) || !NetworkNamespace.Exists(name)) return false;
        return CommandRunner.Run("ip", ["netns", "del", name]).Succeeded;
    }

    /// <summary>Removes the temp entry the marker names, if it is still what was made: the named entry, not a link.</summary>
    static bool RemoveTemp(string name, string? path, bool directory)
    {
        if (path is null || !Path.IsPathRooted(path) || Path.GetFileName(path) != name || !SafeName().IsMatch(name)) return false;
        try
        {
            FileSystemInfo info = directory ? new DirectoryInfo(path) : new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null) return false;
            if (directory && File.Exists(Path.Combine(path, "KEEP"))) return false;
            if (info is DirectoryInfo d) d.Delete(recursive: true);
            else info.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    static int RemoveDiagnosticFiles(ProcessIdentity owner, string? tempPath)
    {
        if (tempPath is null || !Path.IsPathRooted(tempPath)) return 0;
        int n = 0;
        foreach (string name in new[] { $"dotnet-diagnostic-{owner}-socket", $"clr-debug-pipe-{owner}-in", $"clr-debug-pipe-{owner}-out" })
        {
            string path = Path.Combine(tempPath, name);
            if (!File.Exists(path)) continue;
            try
            {
                File.Delete(path);
                n++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind: harmless.
            }
        }
        return n;
    }

    static string? MarkerPath(OwnedKind kind, string name)
    {
        string leaf = kind is OwnedKind.Netns or OwnedKind.TraceInstance ? name : Path.GetFileName(Path.TrimEndingDirectorySeparator(name));
        if (!SafeName().IsMatch(leaf)) return null;
        string prefix = kind switch { OwnedKind.Netns => "netns.", OwnedKind.TempDirectory => "tmpdir.", OwnedKind.TraceInstance => "trace.", _ => "tmpfile." };
        return Path.Combine(OwnFolder, prefix + leaf);
    }

    static bool EnsureOwnFolder()
    {
        if (!OperatingSystem.IsLinux()) return false;
        lock (Gate)
        {
            try
            {
                const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                foreach (string dir in new[] { Path.GetDirectoryName(Root)!, Root, OwnFolder })
                {
                    if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, Private);
                    if (new DirectoryInfo(dir).LinkTarget is not null) return false;
                }
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    static string? ReadLine(string file)
    {
        try
        {
            string text = File.ReadAllText(file).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next sweep.
        }
    }

    // A leading dot for hidden half-written folders (.NAME.tmp-PID); never "." or "..".
    [GeneratedRegex(@"^(?!\.{1,2}$)[A-Za-z0-9.][A-Za-z0-9._-]{0,200}$")]
    private static partial Regex SafeName();
}
