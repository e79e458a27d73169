using System.Data.Common;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Lab.Core;

namespace Lab.Results;

/// <summary>
/// The embedded results store: a DuckDB file that keeps every run's identity and metrics
/// across sessions, so regression runs can compare with earlier ones and users can ask SQL.
/// Default location: $LAB_RESULTS_DB, else results/lab.duckdb under the current directory.
/// Writers (<see cref="ResultsStore(string)"/>) wait for one another (<see cref="StoreConnection"/>);
/// readers (<see cref="OpenReadOnly"/>) never create anything and cannot change the store or read files.
/// </summary>
public sealed partial class ResultsStore : IDisposable
{
    readonly DuckDBConnection _conn;

    /// <summary>Opens the store for recording runs, creating it if needed; waits (bounded) while another process holds it.</summary>
    public ResultsStore(string path) : this(path, StoreConnection.OpenWritable(path), writable: true) { }

    /// <summary>As <see cref="ResultsStore(string)"/>, waiting at most <paramref name="wait"/> for another process to let go.</summary>
    public ResultsStore(string path, TimeSpan wait) : this(path, StoreConnection.OpenWritable(path, wait), writable: true) { }

    ResultsStore(string path, DuckDBConnection conn, bool writable)
    {
        Path = path;
        _conn = conn;
        if (!writable) return;
        try
        {
            StoreConnection.RetryOnConflict(() => Execute("""
                CREATE TABLE IF NOT EXISTS runs (
                  run_id VARCHAR, scenario VARCHAR, scenario_hash VARCHAR, seed BIGINT, replications INTEGER,
                  point INTEGER, parameters_json VARCHAR, lab_version VARCHAR, commit VARCHAR,
                  run_date TIMESTAMP, out_dir VARCHAR);
                CREATE TABLE IF NOT EXISTS metrics (
                  run_id VARCHAR, point INTEGER, replication INTEGER, metric VARCHAR, unit VARCHAR, value DOUBLE);
                """));
        }
        catch
        {
            _conn.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing store read-only (see <see cref="StoreConnection.OpenReadOnly"/>); <paramref name="parameter"/> named the path ("" for the default store).</summary>
    public static ResultsStore OpenReadOnly(string path, string parameter = "db") =>
        new(path, StoreConnection.OpenReadOnly(path, parameter), writable: false);

    public string Path { get; }

    public static string DefaultPath() =>
        Environment.GetEnvironmentVariable("LAB_RESULTS_DB") is { Length: > 0 } p ? p : System.IO.Path.Combine("results", "lab.duckdb");

    void Execute(string sql)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records a run set in one transaction; returns its run id. A conflict with another writer of this process is retried.</summary>
    public string Record(RunSet set, Provenance provenance, string outDir)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(provenance);
        string runId = $"{set.ScenarioName}-{provenance.RunDate.UtcDateTime:yyyyMMddTHHmmssfff}-{Guid.NewGuid().ToString("N")[..6]}";
        try
        {
            StoreConnection.RetryOnConflict(() => Insert(runId, set, provenance, outDir));
            return runId;
        }
        catch (DuckDBException ex)
        {
            throw new LabInputException($"results store {Path}: cannot record run {runId}: {StoreConnection.FirstLine(ex.Message)}");
        }
    }

    /// <summary>
    /// True when a run set of this scenario (hash), seed and replication count was already recorded
    /// from <paramref name="outDir"/>: a finished sweep run again adds nothing new to the store.
    /// </summary>
    public bool HasRecorded(string outDir, RunSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM runs WHERE out_dir = $1 AND scenario_hash = $2 AND seed = $3 AND replications = $4";
        object[] values = [outDir, ResultsWriter.Hash(set.ResolvedYaml), set.Seed, set.Replications];
        foreach (var v in values) cmd.Parameters.Add(new DuckDBParameter(v));
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    void Insert(string runId, RunSet set, Provenance provenance, string outDir)
    {
        string hash = ResultsWriter.Hash(set.ResolvedYaml);
        using var tx = _conn.BeginTransaction();
        foreach (var point in set.Points)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "INSERT INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
            object[] values = [runId, set.ScenarioName, hash, set.Seed, set.Replications, point.Index,
                ParametersJson(point.Parameters), provenance.LabVersion, provenance.Commit, provenance.RunDate.UtcDateTime, outDir];
            foreach (var v in values) cmd.Parameters.Add(new DuckDBParameter(v));
            cmd.ExecuteNonQuery();
        }
        using (var appender = _conn.CreateAppender("metrics"))
        {
            foreach (var point in set.Points)
            {
                foreach (var rep in point.Replications)
                {
                    foreach (var m in rep.Metrics)
                    {
                        appender.CreateRow().AppendValue(runId).AppendValue(point.Index).AppendValue(rep.Replication)
                            .AppendValue(m.Name).AppendValue(m.Unit).AppendValue(m.Value).EndRow();
                    }
                }
            }
        }
        tx.Commit();
    }

    static string ParametersJson(IReadOnlyList<KeyValuePair<string, string>> ps)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < ps.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(System.Text.Json.JsonSerializer.Serialize(ps[i].Key)).Append(": ").Append(System.Text.Json.JsonSerializer.Serialize(ps[i].Value));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>
    /// Runs one query the user wrote. Only a query is accepted (SELECT, WITH, FROM, VALUES), as
    /// DuckDB's own parser says (json_serialize_sql serializes SELECT statements only); a read-only
    /// store (<see cref="OpenReadOnly"/>) also refuses anything that writes or touches a file.
    /// </summary>
    public (IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows) UserQuery(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        RequireOneQuery(sql);
        return Query(sql);
    }

    void RequireOneQuery(string sql)
    {
        if (sql.Contains('\0', StringComparison.Ordinal)) throw new LabInputException("query: expected SQL text, found a NUL character");
        string json;
        using (var cmd = _conn.CreateCommand())
        {
            // A string literal, not a parameter: json_serialize_sql takes a constant (a doubled quote is a quote in SQL).
            cmd.CommandText = "SELECT json_serialize_sql('" + sql.Replace("'", "''", StringComparison.Ordinal) + "')";
            json = Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
        }
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var error) && error.GetBoolean())
        {
            string type = root.TryGetProperty("error_type", out var t) ? t.GetString() ?? "" : "";
            string message = root.TryGetProperty("error_message", out var m) ? StoreConnection.FirstLine(m.GetString() ?? "") : "";
            throw new LabInputException(type == "not implemented"
                ? "query: expected one query (SELECT, WITH, FROM or VALUES); the results store is read-only here and other statements are refused"
                : $"query: {message}");
        }
        int statements = root.TryGetProperty("statements", out var list) ? list.GetArrayLength() : 0;
        if (statements != 1) throw new LabInputException($"query: expected one query, found {statements} statements");
    }

    /// <summary>Runs a query; returns column names and rows as invariant strings. SQL errors are the user's.</summary>
    public (IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows) Query(string sql)
    {
        try
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = sql;
            using DbDataReader r = cmd.ExecuteReader();
            var cols = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToList();
            var rows = new List<string[]>();
            while (r.Read())
            {
                var row = new string[r.FieldCount];
                for (int i = 0; i < r.FieldCount; i++)
                {
                    object v = r.GetValue(i);
                    row[i] = v switch
                    {
                        DBNull => "",
                        double d => d.ToString("R", CultureInfo.InvariantCulture),
                        float f => f.ToString("R", CultureInfo.InvariantCulture),
                        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                        IFormattable fo => fo.ToString(null, CultureInfo.InvariantCulture),
                        _ => v.ToString() ?? "",
                    };
                }
                rows.Add(row);
            }
            return (cols, rows);
        }
        catch (DuckDBException ex)
        {
            throw new LabInputException($"query: {StoreConnection.FirstLine(ex.Message)}");
        }
    }

    public void Dispose() => _conn.Dispose();
}
