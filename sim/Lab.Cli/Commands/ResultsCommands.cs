using System.CommandLine;
using System.Text;
using Lab.Results;

namespace Lab.Cli.Commands;

/// <summary><c>lab results list</c> and <c>lab results query "SQL"</c>: the embedded results store.</summary>
public static class ResultsCommands
{
    public static Command Create()
    {
        var db = new Option<string?>("--db") { Description = "Results store file (default $LAB_RESULTS_DB or results/lab.duckdb)" };
        var list = new Command("list", "List recorded runs") { db };
        list.SetAction(pr =>
        {
            using var store = OpenReadOnly(pr.GetValue(db));
            var (cols, rows) = store.Query(
                "SELECT run_id, scenario, substr(scenario_hash, 1, 12) AS hash, seed, replications, count(*) AS points, commit, min(run_date) AS run_date " +
                "FROM runs GROUP BY run_id, scenario, scenario_hash, seed, replications, commit ORDER BY run_date, run_id");
            pr.InvocationConfiguration.Output.Write(Table(cols, rows));
            return LabCommand.Ok;
        });
        var sql = new Argument<string>("SQL") { Description = "A query over the tables runs and metrics" };
        var query = new Command("query", "Run one SQL query (SELECT, WITH, FROM, VALUES) on the results store, read-only (tables: runs, metrics, bench_runs, bench_results)") { sql, db };
        query.SetAction(pr =>
        {
            using var store = OpenReadOnly(pr.GetValue(db));
            var (cols, rows) = store.UserQuery(pr.GetValue(sql)!);
            pr.InvocationConfiguration.Output.Write(Table(cols, rows));
            return LabCommand.Ok;
        });
        return new Command("results", "The results store: every run's parameters, seed, version and metrics") { list, query };
    }

    /// <summary>Reading commands never create a store or a folder, and cannot change the store or read other files.</summary>
    static ResultsStore OpenReadOnly(string? path) => ResultsStore.OpenReadOnly(path ?? ResultsStore.DefaultPath(), path is null ? "" : "db");

    public static string Table(IReadOnlyList<string> cols, IReadOnlyList<string[]> rows)
    {
        var widths = cols.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        sb.Append(string.Join("  ", cols.Select((c, i) => c.PadRight(widths[i]))).TrimEnd()).Append('\n');
        sb.Append(string.Join("  ", widths.Select(w => new string('-', w)))).Append('\n');
        foreach (var r in rows) sb.Append(string.Join("  ", r.Select((v, i) => v.PadRight(widths[i]))).TrimEnd()).Append('\n');
        sb.Append($"({rows.Count} row{(rows.Count == 1 ? "" : "s")})\n");
        return sb.ToString();
    }
}
