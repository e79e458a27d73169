using System.Diagnostics;
using System.Text.RegularExpressions;
using Lab.Core;

namespace Lab.Benchmarking;

/// <summary>A lab binary built from a baseline's own commit: what an interleaved confirmation runs as the baseline's side.</summary>
/// <param name="Commit">The full commit hash.</param>
/// <param name="Executable">The <c>lab</c> apphost (or a lab.dll, run with dotnet).</param>
/// <param name="Built">True when this call built it, false when it came from the cache (or the test switch).</param>
public sealed record BaselineHost(string Commit, string Executable, bool Built)
{
    /// <summary>How to start it: the apphost itself, or <c>dotnet lab.dll</c>.</summary>
    public (string File, IReadOnlyList<string> Prefix) Command =>
        Executable.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [Executable]) : (Executable, []);
}

/// <summary>Why the baseline's code cannot be run: the confirmation falls back to re-measuring the candidate alone.</summary>
public sealed class BaselineHostUnavailableException(string reason) : Exception(reason);

/// <summary>
/// Builds the bench host (sim/Lab.Cli in Release) of a baseline's commit, once per commit. The
/// commit must resolve in the git repository the running lab belongs to. Its source is checked out
/// with <c>git worktree add --detach</c> into a private temporary folder (removed afterwards, with
/// its worktree entry); the build output goes into a lab-owned cache folder, one subfolder per full
/// commit hash, moved into place only when complete and carrying a marker the lab wrote. A folder
/// without that marker (or a symbolic link) is never used nor overwritten: the lab falls back.
/// </summary>
public static partial class BaselineHostBuild
{
    /// <summary>Test-only: a lab binary that stands for the baseline commit's code (no build); the commit must still resolve.</summary>
    public const string HostVariable = "LAB_BENCH_BASELINE_HOST";

    /// <summary>Where the built hosts are kept (default .cache/bench-hosts in the repository).</summary>
    public const string CacheVariable = "LAB_BENCH_HOST_CACHE";

    /// <summary>The marker file of the cache folder and of each host in it.</summary>
    public const string MarkerFile = ".lab-bench-host";

    const string CacheMarkerText = "lab bench-host cache\n";

    [GeneratedRegex("^[0-9a-f]{7,40}$")]
    private static partial Regex HexCommit();

    /// <summary>The git work tree the running lab's binary lies in, else the checkout above the current directory, or null.</summary>
    public static string? Repository()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            var (code, text) = Git(start, ["rev-parse", "--show-toplevel"]);
            if (code == 0 && text.Length > 0) return text;
        }
        return null;
    }

    /// <summary>The full hash <paramref name="commit"/> names in <paramref name="repository"/>, or why not. Only hex digits are accepted: a baseline file's text is a label, never an option or a revision expression.</summary>
    public static string Resolve(string repository, string commit)
    {
        string c = commit.Trim().ToLowerInvariant();
        if (!HexCommit().IsMatch(c)) throw new BaselineHostUnavailableException($"the baseline records no commit hash (found '{commit}')");
        var (code, text) = Git(repository, ["rev-parse", "--verify", "--quiet", "--end-of-options", c + "^{commit}"]);
        if (code != 0 || text.Length != 40) throw new BaselineHostUnavailableException($"commit {commit} is not in the lab's repository {repository}");
        return text;
    }

    /// <summary>The baseline's bench host: the test switch's binary, a cached build, or a new build (minutes; progress lines go to <paramref name="progress"/>).</summary>
    public static BaselineHost Obtain(string commit, TextWriter progress, CancellationToken cancellation)
    {
        string repository = Repository() ?? throw new BaselineHostUnavailableException("the running lab is not inside a git repository");
        string full = Resolve(repository, commit);
        if (Environment.GetEnvironmentVariable(HostVariable) is { Length: > 0 } given)
        {
            if (!File.Exists(given)) throw new BaselineHostUnavailableException($"{HostVariable}: no file {given}");
            return new BaselineHost(full, given, Built: false);
        }
        string cache = CacheRoot(Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } c ? c : Path.Combine(repository, ".cache", "bench-hosts"));
        string target = Path.Combine(cache, full);
        if (Cached(target, full) is { } ready) return new BaselineHost(full, ready, Built: false);
        if (Directory.Exists(target) || File.Exists(target))
            throw new BaselineHostUnavailableException($"{target} exists but the lab did not write it (no marker); it is left alone");

        progress.WriteLine($"building the baseline's code (commit {full[..12]}) in Release for the interleaved confirmation; cached in {cache}");
        var clock = Stopwatch.StartNew();
        string staging = Path.Combine(cache, $".build-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            using (var src = new PrivateTempDirectory("lab-bench-baseline-src-"))
            {
                string tree = Path.Combine(src.Path, "tree");
                var (code, text) = Git(repository, ["worktree", "add", "--detach", "--quiet", tree, full]);
                if (code != 0) throw new BaselineHostUnavailableException($"git worktree add of {full[..12]} failed: {text}");
                try
                {
                    Build(Path.Combine(tree, ReleaseHostLauncher.ProjectRelativePath), staging, cancellation);
                }
                finally
                {
                    Git(repository, ["worktree", "remove", "--force", tree]);
                }
            }
            Git(repository, ["worktree", "prune"]);
            string exe = Path.Combine(staging, "lab");
            if (!File.Exists(exe)) throw new BaselineHostUnavailableException($"the build of {full[..12]} made no lab binary");
            File.WriteAllText(Path.Combine(staging, MarkerFile), HostMarker(full));
            try
            {
                // rename(2) into place: complete or absent, never half a build.
                Directory.Move(staging, target);
            }
            catch (IOException) when (Cached(target, full) is not null)
            {
                // Another lab built the same commit meanwhile; its copy is as good.
                Directory.Delete(staging, recursive: true);
            }
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
        progress.WriteLine($"built in {clock.Elapsed.TotalSeconds:0} s");
        return new BaselineHost(full, Cached(target, full) ?? throw new BaselineHostUnavailableException($"{target} vanished after the build"), Built: true);
    }

    static string HostMarker(string full) => $"lab bench-host {full}\n";

    /// <summary>The lab binary in <paramref name="dir"/> when the lab wrote that folder for <paramref name="full"/>, else null.</summary>
    static string? Cached(string dir, string full)
    {
        if (!Directory.Exists(dir) || new DirectoryInfo(dir).LinkTarget is not null) return null;
        var marker = new FileInfo(Path.Combine(dir, MarkerFile));
        if (!marker.Exists || marker.LinkTarget is not null || marker.Length > 200) return null;
        if (File.ReadAllText(marker.FullName) != HostMarker(full)) return null;
        string exe = Path.Combine(dir, "lab");
        return File.Exists(exe) ? exe : null;
    }

    /// <summary>The cache folder, made (with its marker, moved into place whole) when absent; refused when it exists without the lab's marker.</summary>
    static string CacheRoot(string path)
    {
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            if (File.Exists(full)) throw new BaselineHostUnavailableException($"the cache {full} is a file");
            string parent = Path.GetDirectoryName(full)!;
            Directory.CreateDirectory(parent);
            string staging = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(staging);
            else Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Combine(staging, MarkerFile), CacheMarkerText);
            try
            {
                Directory.Move(staging, full);
            }
            catch (IOException)
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        var info = new DirectoryInfo(full);
        var marker = new FileInfo(Path.Combine(full, MarkerFile));
        bool ours = info.LinkTarget is null && marker.Exists && marker.LinkTarget is null && marker.Length == CacheMarkerText.Length
            && File.ReadAllText(marker.FullName) == CacheMarkerText
            && (info.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;
        if (!ours) throw new BaselineHostUnavailableException($"the cache folder {full} was not written by the lab (no marker, a link, or writable by others); it is left alone");
        return full;
    }

    static void Build(string project, string output, CancellationToken cancellation)
    {
        // No build servers left behind: node reuse and the shared compiler would outlive this run.
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "build", project, "-c", "Release", "-o", output, "-v", "q", "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false" })
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("MSBuildExtensionsPath");
        using var p = Process.Start(psi) ?? throw new BaselineHostUnavailableException("cannot start dotnet");
        var stdout = p.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = p.StandardError.ReadToEndAsync(cancellation);
        using (cancellation.Register(() => ProcessTree.Kill(p)))
            p.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        if (p.ExitCode != 0)
        {
            string all = (stdout.Result + "\n" + stderr.Result).Trim();
            string last = string.Join(" | ", all.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(3));
            throw new BaselineHostUnavailableException($"the Release build of the baseline's commit failed (exit {p.ExitCode}): {(last.Length > 0 ? last : all[..Math.Min(all.Length, 300)])}");
        }
    }

    static (int Code, string Text) Git(string dir, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(dir);
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi);
            if (p is null) return (-1, "");
            var err = p.StandardError.ReadToEndAsync();
            string o = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return (p.ExitCode, p.ExitCode == 0 ? o : err.Result.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
