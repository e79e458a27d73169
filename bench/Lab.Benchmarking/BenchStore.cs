using DuckDB.NET.Data;

namespace Lab.Benchmarking;

/// <summary>
/// Benchmark history in the results store (the same DuckDB file as <see cref="Lab.Results.ResultsStore"/>,
/// default $LAB_RESULTS_DB or results/lab.duckdb), in two tables of its own:
/// <c>bench_runs</c> (run_id, run_date, commit, lab_version, host, machine, mode, optimized, slowdown) and
/// <c>bench_results</c> (run_id, suite, benchmark, parameters, median_ns, mean_ns, stderr_ns, n, allocated_bytes,
/// op_unit, is_reference, ratio, ratio_rse, packets_per_op, events_per_op). Query them with
/// <c>lab results query</c>.
/// </summary>
public sealed class BenchStore : IDisposable
{
    readonly DuckDBConnection _conn;

    /// <summary>Opens the store for recording, creating it if needed; waits (bounded) while another process holds it.</summary>
    public BenchStore(string path) : this(Lab.Results.StoreConnection.OpenWritable(path), writable: true) { }

    BenchStore(DuckDBConnection conn, bool writable)
    {
        _conn = conn;
        if (!writable) return;
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = """
            CREATE TABLE IF NOT EXISTS bench_runs (
              run_id VARCHAR, run_date TIMESTAMP, commit VARCHAR, lab_version VARCHAR, host VARCHAR,
              machine VARCHAR, mode VARCHAR, optimized BOOLEAN, slowdown BOOLEAN);
            CREATE TABLE IF NOT EXISTS bench_results (
              run_id VARCHAR, suite VARCHAR, benchmark VARCHAR, parameters VARCHAR, median_ns DOUBLE, mean_ns DOUBLE, stderr_ns DOUBLE,
              n INTEGER, allocated_bytes DOUBLE, op_unit VARCHAR, is_reference BOOLEAN, ratio DOUBLE, ratio_rse DOUBLE,
              packets_per_op DOUBLE, events_per_op DOUBLE);
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Opens an existing store for reading (history, reports): never creates it; a store without bench tables reads as no runs.</summary>
    /// <param name="label">How messages name the store (the CLI: its flag).</param>
    public static BenchStore OpenReadOnly(string path, string label = "results store") => new(Lab.Results.StoreConnection.OpenReadOnly(path, label), writable: false);

    public void Record(BenchRun run)
    {
        using var tx = _conn.BeginTransaction();
        using (var cmd = _conn.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO bench_runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
            object[] values = [run.RunId, run.Date.UtcDateTime, run.Commit, run.LabVersion, run.Host, run.Machine,
                run.Mode.ToString().ToLowerInvariant(), run.Optimized, run.Slowdown];
            foreach (var v in values) cmd.Parameters.Add(new DuckDBParameter(v));
            cmd.ExecuteNonQuery();
        }
        var rated = run.Rated().ToDictionary(r => r.M, r => r);
        foreach (var m in run.Measurements)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "INSERT INTO bench_results VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
            rated.TryGetValue(m, out var r);
            object[] values = [run.RunId, m.Suite, m.Benchmark, m.Parameters, m.MedianNs, m.MeanNs, Db(m.StdErrNs), m.N, Db(m.AllocatedBytes),
                m.OpUnit, m.IsReference, Db(r?.Ratio), Db(r?.RatioRelStdErr), Db(m.PacketsPerOp), Db(m.EventsPerOp)];
            foreach (var v in values) cmd.Parameters.Add(new DuckDBParameter(v));
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    static object Db(double? v) => v is { } x && double.IsFinite(x) ? x : DBNull.Value;

    /// <summary>Every recorded run, oldest first (ties by id), with its measurements; optionally only one mode.</summary>
    public IReadOnlyList<BenchRun> Runs(BenchMode? mode = null)
    {
        var runs = new List<(string Id, DateTime Date, string Commit, string Version, string Host, string Machine, BenchMode Mode, bool Opt, bool Slow)>();
        using (var probe = _conn.CreateCommand())
        {
            // A store that lab run wrote but lab bench never did has no bench tables: no runs.
            probe.CommandText = "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('bench_runs', 'bench_results')";
            if (Convert.ToInt64(probe.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) < 2) return [];
        }
        using (var cmd = _conn.CreateCommand())
        {
            cmd.CommandText = "SELECT run_id, run_date, commit, lab_version, host, machine, mode, optimized, slowdown FROM bench_runs ORDER BY run_date, run_id";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var m = Enum.Parse<BenchMode>(r.GetString(6), ignoreCase: true);
                if (mode is { } want && m != want) continue;
                runs.Add((r.GetString(0), r.GetDateTime(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), m, r.GetBoolean(7), r.GetBoolean(8)));
            }
        }
        var results = new Dictionary<string, List<BenchMeasurement>>(StringComparer.Ordinal);
        using (var cmd = _conn.CreateCommand())
        {
            cmd.CommandText = "SELECT run_id, suite, benchmark, parameters, median_ns, mean_ns, stderr_ns, n, allocated_bytes, op_unit, is_reference, packets_per_op, events_per_op FROM bench_results";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                string id = r.GetString(0);
                if (!results.TryGetValue(id, out var list)) results[id] = list = [];
                list.Add(new BenchMeasurement(r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4), r.GetDouble(5),
                    r.IsDBNull(6) ? 0 : r.GetDouble(6), r.GetInt32(7), r.IsDBNull(8) ? null : r.GetDouble(8), r.GetString(9),
                    r.GetBoolean(10), r.IsDBNull(11) ? null : r.GetDouble(11), r.IsDBNull(12) ? null : r.GetDouble(12)));
            }
        }
        return runs.Select(x => new BenchRun(x.Id, new DateTimeOffset(DateTime.SpecifyKind(x.Date, DateTimeKind.Utc)), x.Commit, x.Version,
            x.Host, x.Machine, x.Mode, x.Opt, x.Slow, results.TryGetValue(x.Id, out var l) ? l : [])).ToList();
    }

    public void Dispose() => _conn.Dispose();
}
