namespace Lab.Cli.Tests;

/// <summary>
/// Issue 16 items 1, 6, 10 and 4 through the command line: names are labels, never paths; outputs never
/// destroy what the lab did not write; reading commands create nothing and change nothing.
/// </summary>
public sealed class OutputSafetyTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-outsafe-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    const string Scenario = """
        name: t
        run: { duration: 10ms, seed: 1 }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s, size: 64B }
        path:
          - link: { rate: 10Gbit/s }
        """;

    static (int Code, string Out, string Err) Lab(params string[] args) => ScenarioRun.Lab(args);

    string P(string name) => Path.Combine(_dir, name);

    string File1(string yaml)
    {
        string f = P("s.yaml");
        File.WriteAllText(f, yaml);
        return f;
    }

    static void AssertBad((int Code, string Out, string Err) r, string expectedErr)
    {
        Assert.Equal(2, r.Code);
        Assert.Equal(expectedErr, r.Err.TrimEnd('\n'));
        Assert.DoesNotContain("   at ", r.Err);
    }

    // "name: " is 6 characters: the value starts at column 7.
    [Theory]
    [InlineData("../../victim", "../../victim")]
    [InlineData("/tmp/abs", "/tmp/abs")]
    [InlineData("\".hidden\"", ".hidden")]
    [InlineData("\"a\\\\b\"", "a\\\\b")]
    [InlineData("\"nul\\0x\"", "nul\\x00x")]
    [InlineData("\"bell\\a\"", "bell\\x07")]
    public void A_name_that_is_a_path_is_refused_by_check_and_run_alike(string yamlName, string shown)
    {
        string victim = P("victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "keep.txt"), "keep\n");
        string f = File1(Scenario.Replace("name: t", "name: " + yamlName, StringComparison.Ordinal));
        string expected = $"lab: error: {f}:1:7: name: expected a label of letters, digits, '.', '_' or '-' that starts with a letter or digit (at most 128 characters; it names the results folder), found '{shown}'";
        AssertBad(Lab("check", f), expected);
        AssertBad(Lab("run", f, "--no-store"), expected);
        AssertBad(Lab("sweep", f, "--no-store"), expected);
        Assert.Equal("keep\n", File.ReadAllText(Path.Combine(victim, "keep.txt")));
    }

    [Fact]
    public void A_name_set_on_the_command_line_is_held_to_the_same_rule()
    {
        string f = File1(Scenario);
        var (code, _, err) = Lab("check", f, "--set", "name=../../x");
        Assert.Equal(2, code);
        Assert.Contains("name: expected a label of letters, digits, '.', '_' or '-'", err);
        Assert.Contains("found '../../x'", err);
        Assert.Equal(code, Lab("run", f, "--set", "name=../../x", "--no-store").Code);
    }

    [Fact]
    public void Run_refuses_a_folder_it_did_not_write_and_keeps_it()
    {
        string f = File1(Scenario);
        string thesis = P("thesis");
        Directory.CreateDirectory(thesis);
        File.WriteAllText(Path.Combine(thesis, "thesis.tex"), "chapter 1\n");
        AssertBad(Lab("run", f, "--out", thesis, "--no-store"),
            $"lab: error: --out: {thesis} is not empty and not a lab output folder (it holds 'thesis.tex'); it would be replaced as a whole: choose an empty or new folder, or add --force");
        Assert.Equal("chapter 1\n", File.ReadAllText(Path.Combine(thesis, "thesis.tex")));
        // Running again into the lab's own folder is fine; --force replaces a foreign one.
        string own = P("own");
        Assert.Equal(0, Lab("run", f, "--out", own, "--no-store").Code);
        Assert.Equal(0, Lab("run", f, "--out", own, "--no-store").Code);
        Assert.Equal(0, Lab("run", f, "--out", thesis, "--no-store", "--force").Code);
        Assert.False(File.Exists(Path.Combine(thesis, "thesis.tex")));
        Assert.True(File.Exists(Path.Combine(thesis, "summary.json")));
    }

    [Fact]
    public void Run_never_replaces_a_sweep_folder_and_sweep_never_writes_into_a_run_folder()
    {
        string f = File1(Scenario);
        string sweep = P("sweep");
        Assert.Equal(0, Lab("sweep", f, "--out", sweep, "--no-store", "--jobs", "1").Code);
        AssertBad(Lab("run", f, "--out", sweep, "--no-store", "--force"),
            $"lab: error: --out: {sweep} is a sweep folder (runs/, sweep.json); lab run (or lab merge) would destroy its runs: choose another --out");
        Assert.True(File.Exists(Path.Combine(sweep, "runs", "p0-r0.json")));
        Assert.True(File.Exists(Path.Combine(sweep, "sweep.json")));

        string run = P("run");
        Assert.Equal(0, Lab("run", f, "--out", run, "--no-store").Code);
        string before = File.ReadAllText(Path.Combine(run, "provenance.json"));
        AssertBad(Lab("sweep", f, "--out", run, "--no-store", "--force"),
            $"lab: error: --out: {run} is a results folder of lab run (or lab merge); a sweep would overwrite its files: choose another --out");
        Assert.Equal(before, File.ReadAllText(Path.Combine(run, "provenance.json")));
        Assert.False(Directory.Exists(Path.Combine(run, "runs")));
    }

    [Fact]
    public void Sweep_merge_report_and_validate_refuse_a_foreign_folder()
    {
        string f = File1(Scenario);
        string foreign = P("foreign");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "report.md"), "my notes\n");
        string notEmpty = $"lab: error: --out: {foreign} is not empty and not a lab output folder (it holds 'report.md');";

        var sweep = Lab("sweep", f, "--out", foreign, "--no-store");
        Assert.Equal(2, sweep.Code);
        Assert.StartsWith(notEmpty + " files in it would be overwritten", sweep.Err);

        string shard = P("shard");
        Assert.Equal(0, Lab("sweep", f, "--out", shard, "--no-store", "--jobs", "1").Code);
        var merge = Lab("merge", shard, "--out", foreign, "--no-store");
        Assert.Equal(2, merge.Code);
        Assert.StartsWith(notEmpty + " it would be replaced as a whole", merge.Err);

        var report = Lab("report", shard, "--out", foreign);
        Assert.Equal(2, report.Code);
        Assert.StartsWith(notEmpty + " files in it would be overwritten", report.Err);

        var validate = Lab("validate", f, "--kernel", "host", "--out", foreign);
        Assert.Equal(2, validate.Code);
        Assert.StartsWith(notEmpty + " it would be replaced as a whole", validate.Err);

        Assert.Equal(["report.md"], Directory.GetFileSystemEntries(foreign).Select(Path.GetFileName));
        Assert.Equal("my notes\n", File.ReadAllText(Path.Combine(foreign, "report.md")));

        // A report folder is the report's own the next time.
        string reports = P("reports");
        Assert.Equal(0, Lab("report", shard, "--out", reports).Code);
        Assert.Equal(0, Lab("report", shard, "--out", reports).Code);
    }

    [Fact]
    public void Reading_commands_create_nothing()
    {
        string missing = P("nonexistent/x.duckdb");
        AssertBad(Lab("results", "list", "--db", missing), $"lab: error: --db: no results store at {missing} (lab run, lab sweep and lab bench create it)");
        AssertBad(Lab("results", "query", "SELECT 1", "--db", missing), $"lab: error: --db: no results store at {missing} (lab run, lab sweep and lab bench create it)");
        AssertBad(Lab("bench", "history", "--db", missing), $"lab: error: --db: no results store at {missing} (lab run, lab sweep and lab bench create it)");
        Assert.Equal(2, Lab("report", "--bench", "--db", missing).Code);
        Assert.False(Directory.Exists(P("nonexistent")));
    }

    [Fact]
    public void A_file_that_is_not_a_store_is_bad_input()
    {
        string text = P("notes.txt");
        File.WriteAllText(text, "hello\n");
        var r = Lab("results", "query", "SELECT 1", "--db", text);
        AssertBad(r, $"lab: error: results store {text}: cannot open it: DuckDBOpen failed: IO Error: The file \"{text}\" exists, but it is not a valid DuckDB database file!");
        Assert.Equal("hello\n", File.ReadAllText(text));
    }

    [Fact]
    public void Results_query_reads_and_refuses_everything_else()
    {
        string db = P("lab.duckdb");
        using (var store = new Results.ResultsStore(db))
        {
            // An empty store: the tables exist.
        }
        var ok = Lab("results", "query", "SELECT count(*) AS n FROM runs", "--db", db);
        Assert.Equal(0, ok.Code);
        Assert.Equal("n\n-\n0\n(1 row)\n", ok.Out);
        AssertBad(Lab("results", "query", "DROP TABLE runs", "--db", db),
            "lab: error: query: expected one query (SELECT, WITH, FROM or VALUES); the results store is read-only here and other statements are refused");
        AssertBad(Lab("results", "query", "SELECT * FROM read_csv('/etc/passwd')", "--db", db),
            "lab: error: query: Permission Error: Cannot access file \"/etc/passwd\" - file system operations are disabled by configuration");
        string copied = P("copied.csv");
        Assert.Equal(2, Lab("results", "query", $"COPY runs TO '{copied}'", "--db", db).Code);
        Assert.False(File.Exists(copied));
        Assert.Equal("n\n-\n0\n(1 row)\n", Lab("results", "query", "SELECT count(*) AS n FROM runs", "--db", db).Out);
    }
}
