using System.Data.Common;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Lab.Engine;

namespace Lab.Results;

/// <summary>
/// The embedded results store: a DuckDB file that keeps every run's identity and metrics
/// across sessions, so regression runs can compare with earlier ones and users can ask SQL.
/// Default location: $LAB_RESULTS_DB, else results/lab.duckdb under the current directory.
/// </summary>
public sealed partial class ResultsStore : IDisposable
{
    readonly DuckDBConnection _conn;

    public ResultsStore(string path)
    {
        Path = path;
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _conn = new DuckDBConnection($"Data Source={path}");
        _conn.Open();
        Execute("""
            CREATE TABLE IF NOT EXISTS runs (
              run_id VARCHAR, scenario VARCHAR, scenario_hash VARCHAR, seed BIGINT, replications INTEGER,
              point INTEGER, parameters_json VARCHAR, lab_version VARCHAR, commit VARCHAR,
              run_date TIMESTAMP, out_dir VARCHAR);
            CREATE TABLE IF NOT EXISTS metrics (
              run_id VARCHAR, point INTEGER, replication INTEGER, metric VARCHAR, unit VARCHAR, value DOUBLE);
            """);
    }

    public string Path { get; }

    public static string DefaultPath() =>
        Environment.GetEnvironmentVariable("LAB_RESULTS_DB") is { Length: > 0 } p ? p : System.IO.Path.Combine("results", "lab.duckdb");

    void Execute(string sql)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records a run set; returns its run id.</summary>
    public string Record(RunSet set, Provenance provenance, string outDir)
    {
        string runId = $"{set.ScenarioName}-{provenance.RunDate.UtcDateTime:yyyyMMddTHHmmssfff}-{Guid.NewGuid().ToString("N")[..6]}";
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
        return runId;
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
            throw new LabInputException($"query: {ex.Message.Split('\n')[0]}");
        }
    }

    public void Dispose() => _conn.Dispose();
}
