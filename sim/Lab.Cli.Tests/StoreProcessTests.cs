using System.Diagnostics;
using Lab.Results;

namespace Lab.Cli.Tests;

/// <summary>
/// Issue 16 items 5 and 13 with real processes: several `lab run` at once in one directory all
/// succeed and are all in the store; a finished sweep run again is not recorded a second time.
/// </summary>
[Collection(SweepProcessCollection.Name)]
public sealed class StoreProcessTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-store-proc-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    const string Scenario = """
        name: concurrent
        run: { duration: 10ms, seed: 1 }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s, size: 64B }
        path:
          - link: { rate: 10Gbit/s }
        """;

    string Db => Path.Combine(_dir, "results", "lab.duckdb");

    ProcessStartInfo Lab(params string[] args)
    {
        var psi = LabProcess.Info(args);
        psi.WorkingDirectory = _dir;
        psi.Environment.Remove("LAB_RESULTS_DB");
        return psi;
    }

    static long Count(string db, string sql)
    {
        using var store = ResultsStore.OpenReadOnly(db);
        return long.Parse(store.Query(sql).Rows[0][0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Four_runs_at_once_in_one_directory_all_succeed_and_are_all_recorded()
    {
        File.WriteAllText(Path.Combine(_dir, "s.yaml"), Scenario);
        const int n = 4;
        var processes = Enumerable.Range(0, n).Select(i => Process.Start(Lab("run", "s.yaml", "--out", $"out{i}"))!).ToList();
        var results = processes.Select(p =>
        {
            var err = p.StandardError.ReadToEndAsync();
            string o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var r = (p.ExitCode, o, err.Result);
            p.Dispose();
            return r;
        }).ToList();
        foreach (var (code, _, err) in results)
        {
            Assert.True(code == 0, err);
            Assert.DoesNotContain("Exception", err);
        }
        // One point each: n runs, n rows.
        Assert.Equal(n, Count(Db, "SELECT count(DISTINCT run_id) FROM runs"));
        Assert.Equal(n, Count(Db, "SELECT count(DISTINCT out_dir) FROM runs"));
    }

    [Fact]
    public void A_finished_sweep_run_again_is_not_recorded_twice()
    {
        File.WriteAllText(Path.Combine(_dir, "s.yaml"), Scenario);
        var first = LabProcess.Run(Lab("sweep", "s.yaml", "--jobs", "1"));
        Assert.True(first.Code == 0, first.Err);
        var again = LabProcess.Run(Lab("sweep", "s.yaml", "--jobs", "1"));
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("0 run(s) executed now", again.Out);
        Assert.Contains("note: nothing new ran and this sweep is already in the results store; not recorded again", again.Out);
        Assert.Equal(1, Count(Db, "SELECT count(DISTINCT run_id) FROM runs"));
        // --restart runs everything again: a new execution, recorded.
        var restart = LabProcess.Run(Lab("sweep", "s.yaml", "--jobs", "1", "--restart"));
        Assert.True(restart.Code == 0, restart.Err);
        Assert.Equal(2, Count(Db, "SELECT count(DISTINCT run_id) FROM runs"));
    }
}
