using System.Diagnostics;
using Lab.Captures.Netns;
using Lab.Captures.Tests.Support;
using Lab.KernelLab.Cleanup;
using Lab.KernelLab.Netns;

namespace Lab.Captures.Tests.Cleanup;

/// <summary>Ownership markers: what a dead process marked is removed, nothing of a live one and nothing unmarked.</summary>
[Collection(KernelCollection.Name)]
public sealed class OwnedResourcesTests
{
    static Process Sleeper() => Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;

    static void End(Process p)
    {
        p.Kill();
        p.WaitForExit();
    }

    [Fact]
    public void A_process_is_known_by_pid_and_start_time_and_is_gone_once_it_ended()
    {
        var self = ProcessIdentity.Current;
        Assert.Equal(Environment.ProcessId, self.Pid);
        Assert.Equal(self, ProcessIdentity.Read(Environment.ProcessId));
        Assert.True(self.IsAlive);
        Assert.True(ProcessIdentity.TryParse(self.ToString(), out var parsed));
        Assert.Equal(self, parsed);

        using var child = Sleeper();
        var id = ProcessIdentity.Read(child.Id)!.Value;
        Assert.True(id.IsAlive);
        // The same pid with another start time is another process: not the owner.
        Assert.False((id with { StartTicks = id.StartTicks + 1 }).IsAlive);
        End(child);
        Assert.False(id.IsAlive);
        Assert.Null(ProcessIdentity.Read(child.Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("-5-6")]
    [InlineData("12-x")]
    [InlineData("0-5")]
    public void Marker_folder_names_that_are_not_pid_start_are_ignored(string name) =>
        Assert.False(ProcessIdentity.TryParse(name, out _));

    [NetnsFact]
    public void Stale_removal_takes_what_a_dead_owner_marked_and_leaves_live_and_unmarked_namespaces()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string staleNs = $"labtest-{tag}-dead", unmarkedNs = $"lab-{tag}-1-nomark", staleDir = Path.Combine(Path.GetTempPath(), $"labtest-{tag}-work");
        using var live = new NetnsTopology();
        string liveNs = live.AddNamespace("live");
        using var dead = Sleeper();
        var owner = ProcessIdentity.Read(dead.Id)!.Value;
        string folder = Path.Combine(OwnedResources.Root, owner.ToString());
        try
        {
            // What a killed owner leaves: its namespace and temp folder, each with its marker.
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "netns." + staleNs), "");
            CommandRunner.RunChecked("ip", "netns", "add", staleNs);
            File.WriteAllText(Path.Combine(folder, "tmpdir." + Path.GetFileName(staleDir)), staleDir + "\n");
            Directory.CreateDirectory(Path.Combine(staleDir, "sub"));
            // A namespace named like the lab's but without a marker (someone else's).
            CommandRunner.RunChecked("ip", "netns", "add", unmarkedNs);
            Assert.True(File.Exists(Path.Combine(OwnedResources.OwnFolder, "netns." + liveNs)));

            // While the owner runs, nothing of it is touched.
            OwnedResources.RemoveStale();
            Assert.True(NetworkNamespace.Exists(staleNs));
            Assert.True(Directory.Exists(staleDir));

            End(dead);
            var removed = OwnedResources.RemoveStale();
            Assert.True(removed.Namespaces >= 1 && removed.TempEntries >= 1, removed.ToString());
            Assert.False(NetworkNamespace.Exists(staleNs));
            Assert.False(Directory.Exists(staleDir));
            Assert.False(Directory.Exists(folder));
            Assert.True(NetworkNamespace.Exists(liveNs));
            Assert.True(NetworkNamespace.Exists(unmarkedNs));
        }
        finally
        {
            if (!dead.HasExited) End(dead);
            foreach (var ns in new[] { staleNs, unmarkedNs })
                if (NetworkNamespace.Exists(ns)) CommandRunner.Run("ip", ["netns", "del", ns]);
            if (Directory.Exists(staleDir)) Directory.Delete(staleDir, true);
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
        live.Dispose();
        Assert.False(NetworkNamespace.Exists(liveNs));
        Assert.False(File.Exists(Path.Combine(OwnedResources.OwnFolder, "netns." + liveNs)));
    }

    static bool TraceInstanceExists(string name) =>
        CommandRunner.Run("unshare", ["-m", "--", "sh", "-c", "T=/sys/kernel/tracing; [ -d $T/instances ] || mount -t tracefs nodev $T; test -d \"$T/instances/$1\"", "sh", name]).Succeeded;

    [TracefsFact]
    public void A_tracefs_instance_a_dead_owner_marked_is_removed_and_an_unmarked_one_stays()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string stale = $"labtest-{tag}-dead", unmarked = $"labtest-{tag}-nomark";
        var made = CommandRunner.Run("unshare", ["-m", "--", "sh", "-c",
            "T=/sys/kernel/tracing; [ -d $T/instances ] || mount -t tracefs nodev $T || exit 1; mkdir \"$T/instances/$1\" \"$T/instances/$2\"", "sh", stale, unmarked]);
        Assert.True(made.Succeeded, made.StandardError);
        using var dead = Sleeper();
        var owner = ProcessIdentity.Read(dead.Id)!.Value;
        string folder = Path.Combine(OwnedResources.Root, owner.ToString());
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "trace." + stale), "");
            OwnedResources.RemoveStale();
            Assert.True(TraceInstanceExists(stale));
            End(dead);
            Assert.Equal(1, OwnedResources.RemoveStale().TraceInstances);
            Assert.False(TraceInstanceExists(stale));
            Assert.True(TraceInstanceExists(unmarked));
        }
        finally
        {
            if (!dead.HasExited) End(dead);
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            CommandRunner.Run("unshare", ["-m", "--", "sh", "-c",
                "T=/sys/kernel/tracing; [ -d $T/instances ] || mount -t tracefs nodev $T; rmdir \"$T/instances/$1\" \"$T/instances/$2\" 2>/dev/null; true", "sh", stale, unmarked]);
        }
    }

    [NetnsFact]
    public void A_marker_naming_a_link_or_a_path_outside_its_name_removes_nothing()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string target = Path.Combine(Path.GetTempPath(), $"labtest-{tag}-target");
        string link = Path.Combine(Path.GetTempPath(), $"labtest-{tag}-link");
        using var dead = Sleeper();
        var owner = ProcessIdentity.Read(dead.Id)!.Value;
        string folder = Path.Combine(OwnedResources.Root, owner.ToString());
        try
        {
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "keep"), "x");
            Directory.CreateSymbolicLink(link, target);
            Directory.CreateDirectory(folder);
            // A link where the folder was, and a marker whose recorded path is not the marked name.
            File.WriteAllText(Path.Combine(folder, "tmpdir." + Path.GetFileName(link)), link + "\n");
            File.WriteAllText(Path.Combine(folder, "tmpdir.other"), target + "\n");
            End(dead);
            OwnedResources.RemoveStale();
            Assert.True(File.Exists(Path.Combine(target, "keep")));
            Assert.False(Directory.Exists(folder));
        }
        finally
        {
            if (!dead.HasExited) End(dead);
            if (Directory.Exists(link)) Directory.Delete(link);
            if (Directory.Exists(target)) Directory.Delete(target, true);
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }
}
