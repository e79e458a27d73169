using Lab.Core;

namespace Lab.Results.Tests;

/// <summary>
/// Issue 16 items 4 and 10: `lab results query` opens the store read-only and accepts one query;
/// a missing store or a file that is not a DuckDB store is bad input, and reading creates nothing.
/// </summary>
public sealed class ResultsStoreReadOnlyTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-store-ro-").FullName;

    public ResultsStoreReadOnlyTests()
    {
        using var s = new ResultsStore(Db);
        s.Record(StoreFixtures.Set("t", 1), StoreFixtures.Provenance(), _dir);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    string Db => Path.Combine(_dir, "lab.duckdb");

    [Fact]
    public void A_query_reads()
    {
        using var r = ResultsStore.OpenReadOnly(Db);
        var (cols, rows) = r.UserQuery("SELECT scenario, count(*) AS n FROM runs GROUP BY scenario;");
        Assert.Equal(["scenario", "n"], cols);
        Assert.Equal(["t", "2"], rows.Single());
        Assert.Equal(["4"], r.UserQuery("WITH m AS (SELECT * FROM metrics) SELECT count(*) FROM m").Rows.Single());
    }

    [Theory]
    [InlineData("DROP TABLE runs")]
    [InlineData("DELETE FROM runs")]
    [InlineData("INSERT INTO runs (run_id) VALUES ('x')")]
    [InlineData("UPDATE runs SET seed = 0")]
    [InlineData("CREATE TABLE x (a INTEGER)")]
    [InlineData("CREATE TEMP TABLE x (a INTEGER)")]
    [InlineData("ATTACH '/tmp/lab-attached.duckdb' AS other")]
    [InlineData("COPY runs TO '/tmp/lab-copied.csv'")]
    [InlineData("EXPORT DATABASE '/tmp/lab-exported'")]
    [InlineData("PRAGMA table_info('runs')")]
    [InlineData("INSTALL httpfs")]
    [InlineData("LOAD httpfs")]
    [InlineData("SET enable_external_access = true")]
    [InlineData("CHECKPOINT")]
    [InlineData("SELECT 1; DROP TABLE runs")]
    public void A_statement_that_is_not_one_query_is_refused(string sql)
    {
        using var r = ResultsStore.OpenReadOnly(Db);
        var e = Assert.Throws<LabInputException>(() => r.UserQuery(sql));
        Assert.StartsWith("query: expected one query", e.Message);
        Assert.Equal(["2"], r.UserQuery("SELECT count(*) FROM runs").Rows.Single());
    }

    [Theory]
    [InlineData("SELECT * FROM read_csv('/etc/passwd')")]
    [InlineData("SELECT * FROM read_text('/etc/passwd')")]
    [InlineData("SELECT * FROM read_json('/etc/passwd')")]
    [InlineData("SELECT * FROM read_parquet('/etc/passwd')")]
    [InlineData("SELECT * FROM glob('/etc/*')")]
    public void A_query_that_reads_a_file_is_refused_by_the_engine(string sql)
    {
        using var r = ResultsStore.OpenReadOnly(Db);
        var e = Assert.Throws<LabInputException>(() => r.UserQuery(sql));
        Assert.Equal("query: Permission Error: Cannot access file \"" + (sql.Contains("glob", StringComparison.Ordinal) ? "/etc/*" : "/etc/passwd") +
            "\" - file system operations are disabled by configuration", e.Message);
        Assert.DoesNotContain("root:", e.Message);
    }

    [Fact]
    public void The_engine_refuses_writes_even_without_the_statement_check()
    {
        using var r = ResultsStore.OpenReadOnly(Db);
        var e = Assert.Throws<LabInputException>(() => r.Query("DELETE FROM runs"));
        Assert.Contains("read-only mode", e.Message);
        Assert.Equal(["2"], r.Query("SELECT count(*) FROM runs").Rows.Single());
    }

    [Fact]
    public void A_missing_store_is_bad_input_and_nothing_is_created()
    {
        string missing = Path.Combine(_dir, "nonexistent", "x.duckdb");
        var e = Assert.Throws<ParameterException>(() => ResultsStore.OpenReadOnly(missing));
        Assert.Equal($"--db: no results store at {missing} (lab run, lab sweep and lab bench create it)", Cli(e));
        Assert.False(Directory.Exists(Path.Combine(_dir, "nonexistent")));
    }

    [Fact]
    public void A_file_that_is_not_a_store_is_bad_input()
    {
        string text = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(text, "not a database\n");
        var e = Assert.Throws<LabInputException>(() => ResultsStore.OpenReadOnly(text));
        Assert.Equal($"results store {text}: cannot open it: DuckDBOpen failed: IO Error: The file \"{text}\" exists, but it is not a valid DuckDB database file!", e.Message);
        Assert.Equal("not a database\n", File.ReadAllText(text));
        // A writer does not take it over either.
        Assert.Throws<LabInputException>(() => new ResultsStore(text));
        Assert.Equal("not a database\n", File.ReadAllText(text));
    }

    /// <summary>The message as the command line words it: parameters as "--NAME", commands as "lab COMMAND" (sim/Lab.Cli's Flags.Wording).</summary>
    static string Cli(ParameterException e) => string.Join("\n", e.Render(new Wording(n => "--" + n, c => "lab " + c)));
}
