using System.Diagnostics;
using Lab.Core;

namespace Lab.Results.Tests;

/// <summary>
/// Issue 16 items 1, 6 and 12: outputs never destroy what the lab did not write, names are labels,
/// and hidden temporary folders of killed writers go with the next write (never a live process's).
/// </summary>
public sealed class OutputFolderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-outfolder-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string Sub(string name) => Path.Combine(_dir, name);

    static void Write(string dir) => ResultsWriter.Write(dir, StoreFixtures.Set("t", 1), StoreFixtures.Provenance());

    [Fact]
    public void A_results_folder_is_replaced_by_the_next_run()
    {
        string d = Sub("out");
        Write(d);
        string[] expected = [".lab-output", "latency_cdf.csv", "metrics.csv", "provenance.json", "scenario.yaml", "summary.json", "timeseries.csv"];
        Assert.Equal(expected, Directory.GetFileSystemEntries(d).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["lab results", .. expected[1..]], File.ReadAllLines(Path.Combine(d, ".lab-output")));
        Write(d);
        Assert.Equal(expected, Directory.GetFileSystemEntries(d).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([d], Directory.GetFileSystemEntries(_dir)); // no hidden .out.tmp or .out.old left
    }

    [Fact]
    public void A_folder_the_lab_did_not_write_is_refused_and_kept()
    {
        string d = Sub("thesis");
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "thesis.tex"), "\\documentclass{article}\n");
        var e = Assert.Throws<ParameterException>(() => Write(d));
        Assert.Equal($"--out: {d} is not empty and not a lab output folder (it holds 'thesis.tex'); it would be replaced as a whole: choose an empty or new folder, or add --force", Cli(e));
        Assert.Equal("\\documentclass{article}\n", File.ReadAllText(Path.Combine(d, "thesis.tex")));
        Assert.Equal([d], Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void A_file_put_into_a_results_folder_is_not_replaced_without_force()
    {
        string d = Sub("out");
        Write(d);
        File.WriteAllText(Path.Combine(d, "notes.md"), "mine\n");
        var e = Assert.Throws<ParameterException>(() => Write(d));
        Assert.Equal($"--out: {d} holds 'notes.md', which lab run (or lab merge) did not write; it replaces the folder as a whole: move them out, choose another --out, or add --force to replace them too", Cli(e));
        Assert.Equal("mine\n", File.ReadAllText(Path.Combine(d, "notes.md")));
        ResultsWriter.Write(d, StoreFixtures.Set("t", 1), StoreFixtures.Provenance(), force: true);
        Assert.False(File.Exists(Path.Combine(d, "notes.md")));
    }

    [Fact]
    public void A_sweep_folder_is_never_replaced_even_with_force()
    {
        string d = Sub("sweep");
        Directory.CreateDirectory(Path.Combine(d, "runs"));
        File.WriteAllText(Path.Combine(d, "runs", "p0-r0.json"), "{}\n");
        File.WriteAllText(Path.Combine(d, "sweep.json"), "{}\n");
        var e = Assert.Throws<ParameterException>(() => ResultsWriter.Write(d, StoreFixtures.Set("t", 1), StoreFixtures.Provenance(), force: true));
        Assert.Equal($"--out: {d} is a sweep folder (runs/, sweep.json); lab run (or lab merge) would destroy its runs: choose another --out", Cli(e));
        Assert.True(File.Exists(Path.Combine(d, "runs", "p0-r0.json")));
    }

    [Fact]
    public void A_results_folder_is_never_a_sweep_folder()
    {
        string d = Sub("out");
        Write(d);
        var e = Assert.Throws<ParameterException>(() => OutputFolder.Check(d, OutputKind.Sweep, force: true));
        Assert.Equal($"--out: {d} is a results folder of lab run (or lab merge); a sweep would overwrite its files: choose another --out", Cli(e));
    }

    [Fact]
    public void A_results_folder_from_before_the_marker_is_still_recognised()
    {
        string d = Sub("old");
        Directory.CreateDirectory(d);
        foreach (var f in OutputFolder.ResultsFiles) File.WriteAllText(Path.Combine(d, f), "");
        Assert.Equal(Path.GetFullPath(d), OutputFolder.Check(d, OutputKind.Results, force: false));
    }

    [Fact]
    public void Files_links_roots_and_the_current_directory_are_refused()
    {
        string file = Sub("f.txt");
        File.WriteAllText(file, "x");
        Assert.Equal($"--out: {file} is a file, not a folder", Cli(Assert.Throws<ParameterException>(() => OutputFolder.Check(file, OutputKind.Results, true))));
        string target = Sub("target");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "precious"), "x");
        string link = Sub("link");
        Directory.CreateSymbolicLink(link, target);
        Assert.Equal($"--out: {link} is a symbolic link; name the folder it points to, or another folder",
            Cli(Assert.Throws<ParameterException>(() => OutputFolder.Check(link, OutputKind.Results, true))));
        Assert.Contains("is the root of the file system", Cli(Assert.Throws<ParameterException>(() => OutputFolder.Check("/", OutputKind.Results, true))));
        Assert.Contains("is the current directory or one above it",
            Cli(Assert.Throws<ParameterException>(() => OutputFolder.Check(Environment.CurrentDirectory, OutputKind.Results, true))));
    }

    [Theory]
    [InlineData("../../victim")]
    [InlineData("/etc")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData(".hidden")]
    [InlineData("..")]
    [InlineData("-rf")]
    [InlineData("nul\0byte")]
    [InlineData("tab\tname")]
    [InlineData("")]
    public void A_name_that_is_not_a_label_never_becomes_a_folder(string name)
    {
        Assert.False(SafeName.IsLabel(name));
        var e = Assert.Throws<LabInputException>(() => OutputFolder.Default("results", name));
        Assert.StartsWith("scenario name: expected a label of letters, digits, '.', '_' or '-'", e.Message);
        Assert.DoesNotContain('\0', e.Message);
        Assert.DoesNotContain('\t', e.Message);
    }

    [Theory]
    [InlineData("quickstart")]
    [InlineData("esp-gateway")]
    [InlineData("rate_sweep.v2")]
    public void A_label_is_a_folder_under_the_root(string name)
    {
        Assert.True(SafeName.IsLabel(name));
        Assert.Equal(Path.Combine("results", name), OutputFolder.Default("results", name));
    }

    [Fact]
    public void A_label_is_at_most_128_characters()
    {
        Assert.True(SafeName.IsLabel(new string('a', 128)));
        Assert.False(SafeName.IsLabel(new string('a', 129)));
    }

    [Fact]
    public void A_killed_writers_temporary_folder_goes_with_the_next_write_but_a_live_ones_stays()
    {
        int dead = DeadProcessId();
        // As a writer killed while filling leaves it: the marker is written first.
        string stale = Sub($".out.tmp-{dead}-0badc0de");
        Directory.CreateDirectory(stale);
        OutputFolder.WriteMarker(stale, OutputKind.Results);
        File.WriteAllText(Path.Combine(stale, "summary.json"), "{");
        // pid 1 is alive: another process's folder is never touched.
        string live = Sub(".out.tmp-1-0badc0de");
        Directory.CreateDirectory(live);
        OutputFolder.WriteMarker(live, OutputKind.Results);
        // A dead process's folder without the lab's marker is not the lab's.
        string foreign = Sub($".other.tmp-{dead}");
        Directory.CreateDirectory(foreign);
        Write(Sub("out"));
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(foreign));
    }

    [Fact]
    public void The_process_id_is_read_from_the_temporary_names()
    {
        Assert.Equal(1234, StaleTemporaries.ProcessOf(".quickstart.tmp-1234"));
        Assert.Equal(1234, StaleTemporaries.ProcessOf(".quick.start.old-1234-abcdef01"));
        Assert.Null(StaleTemporaries.ProcessOf("quickstart.tmp-1234"));
        Assert.Null(StaleTemporaries.ProcessOf(".quickstart.tmp-x"));
    }

    /// <summary>The id of a process that has exited (and, while this test runs, not been reused: ids count up to pid_max first).</summary>
    static int DeadProcessId()
    {
        using var p = Process.Start(new ProcessStartInfo("true"))!;
        p.WaitForExit();
        int pid = p.Id;
        Assert.False(StaleTemporaries.IsAlive(pid));
        return pid;
    }

    [Fact]
    public void Publish_into_an_existing_folder_renames_each_file_in_and_keeps_the_rest()
    {
        string dir = Sub("forced");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "thesis.tex"), "mine");
        File.WriteAllText(Path.Combine(dir, "report.md"), "old");
        int n = OutputFolder.Publish(dir, OutputKind.Report, tmp =>
        {
            File.WriteAllText(Path.Combine(tmp, "report.md"), "new");
            Directory.CreateDirectory(Path.Combine(tmp, "figures"));
            File.WriteAllText(Path.Combine(tmp, "figures", "a.svg"), "<svg/>");
            return 2;
        });
        Assert.Equal(2, n);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "thesis.tex")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(dir, "report.md")));
        Assert.Equal("<svg/>", File.ReadAllText(Path.Combine(dir, "figures", "a.svg")));
        Assert.Equal(OutputKind.Report, OutputFolder.ReadMarker(dir)?.Kind);
        Assert.Equal(["forced"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Publish_that_fails_leaves_the_folder_as_it_was_and_no_staging_folder()
    {
        string dir = Sub("earlier");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "report.md"), "old");
        Assert.Throws<OperationCanceledException>(() => OutputFolder.Publish<int>(dir, OutputKind.Report, tmp =>
        {
            File.WriteAllText(Path.Combine(tmp, "report.md"), "half");
            throw new OperationCanceledException();
        }));
        Assert.Equal(["report.md"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.Equal("old", File.ReadAllText(Path.Combine(dir, "report.md")));
        Assert.Equal(["earlier"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Sub("new")));
        Assert.Throws<InvalidOperationException>(() => OutputFolder.Publish<int>(Sub("new"), OutputKind.Report, _ => throw new InvalidOperationException()));
        Assert.Equal(["earlier"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    /// <summary>The message as the command line words it: parameters as "--NAME", commands as "lab COMMAND" (sim/Lab.Cli's Flags.Wording).</summary>
    static string Cli(ParameterException e) => string.Join("\n", e.Render(new Wording(n => "--" + n, c => "lab " + c)));
}
