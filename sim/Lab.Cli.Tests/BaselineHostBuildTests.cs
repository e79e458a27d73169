using System.Diagnostics;
using Lab.Benchmarking;

namespace Lab.Cli.Tests;

/// <summary>
/// Finding the baseline commit's code for an interleaved confirmation: only a hex commit that the
/// lab's own repository has, and only a cache folder the lab wrote. Each refusal is the one-line
/// reason the confirmation prints when it falls back.
/// </summary>
[Collection("bench")]
public sealed class BaselineHostBuildTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-bench-host-").FullName;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(BaselineHostBuild.CacheVariable, null);
        Environment.SetEnvironmentVariable(BaselineHostBuild.HostVariable, null);
        Directory.Delete(_dir, true);
    }

    static string Head(string repo)
    {
        var psi = new ProcessStartInfo("git", ["-C", repo, "rev-parse", "HEAD"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }

    [Theory]
    [InlineData("unknown", "the baseline records no commit hash (found 'unknown')")]
    [InlineData("--output=/tmp/x", "the baseline records no commit hash (found '--output=/tmp/x')")]
    [InlineData("HEAD~1", "the baseline records no commit hash (found 'HEAD~1')")]
    public void Only_a_hex_commit_is_looked_up(string commit, string why)
    {
        string repo = BaselineHostBuild.Repository()!;
        var e = Assert.Throws<BaselineHostUnavailableException>(() => BaselineHostBuild.Resolve(repo, commit));
        Assert.Equal(why, e.Message);
    }

    [Fact]
    public void A_commit_the_repository_lacks_is_refused_and_its_own_head_resolves()
    {
        // The test binary lies in the lab's checkout (CI clones it), so its repository is found from the binary's folder.
        string repo = BaselineHostBuild.Repository()!;
        Assert.True(File.Exists(Path.Combine(repo, ReleaseHostLauncher.ProjectRelativePath)), repo);
        var e = Assert.Throws<BaselineHostUnavailableException>(() => BaselineHostBuild.Resolve(repo, "deadbeefdeadbeefdeadbeef"));
        Assert.Equal($"commit deadbeefdeadbeefdeadbeef is not in the lab's repository {repo}", e.Message);
        string head = Head(repo);
        Assert.Equal(head, BaselineHostBuild.Resolve(repo, head[..12].ToUpperInvariant()));
    }

    [Fact]
    public void A_cache_folder_the_lab_did_not_write_is_left_alone()
    {
        string repo = BaselineHostBuild.Repository()!;
        string head = Head(repo);
        string foreign = Path.Combine(_dir, "foreign");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "keep.txt"), "not the lab's");
        Environment.SetEnvironmentVariable(BaselineHostBuild.CacheVariable, foreign);
        var e = Assert.Throws<BaselineHostUnavailableException>(() => BaselineHostBuild.Obtain(head, TextWriter.Null, default));
        Assert.Equal($"the cache folder {foreign} was not written by the lab (no marker, a link, or writable by others); it is left alone", e.Message);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(foreign).Select(Path.GetFileName));

        // A symbolic link standing where the cache would be is not followed.
        string link = Path.Combine(_dir, "link");
        Directory.CreateSymbolicLink(link, foreign);
        Environment.SetEnvironmentVariable(BaselineHostBuild.CacheVariable, link);
        Assert.Throws<BaselineHostUnavailableException>(() => BaselineHostBuild.Obtain(head, TextWriter.Null, default));

        // The lab's own cache (as it marks it), holding a folder for this commit that it did not write: not used, not replaced.
        string cache = Path.Combine(_dir, "cache");
        Directory.CreateDirectory(cache);
        File.WriteAllText(Path.Combine(cache, BaselineHostBuild.MarkerFile), "lab bench-host cache\n");
        string planted = Path.Combine(cache, head);
        Directory.CreateDirectory(planted);
        File.WriteAllText(Path.Combine(planted, "lab"), "#!/bin/sh\necho planted\n");
        Environment.SetEnvironmentVariable(BaselineHostBuild.CacheVariable, cache);
        e = Assert.Throws<BaselineHostUnavailableException>(() => BaselineHostBuild.Obtain(head, TextWriter.Null, default));
        Assert.Equal($"{planted} exists but the lab did not write it (no marker); it is left alone", e.Message);
        Assert.Equal("#!/bin/sh\necho planted\n", File.ReadAllText(Path.Combine(planted, "lab")));
    }

    [Fact]
    public void The_test_switch_names_the_baseline_host_without_a_build()
    {
        string repo = BaselineHostBuild.Repository()!;
        string head = Head(repo);
        string fake = Path.Combine(_dir, "lab.dll");
        File.WriteAllText(fake, "");
        Environment.SetEnvironmentVariable(BaselineHostBuild.HostVariable, fake);
        var host = BaselineHostBuild.Obtain(head[..12], TextWriter.Null, default);
        Assert.Equal(head, host.Commit);
        Assert.False(host.Built);
        Assert.Equal("dotnet", host.Command.File);
        Assert.Equal([fake], host.Command.Prefix);
    }
}
