using System.Diagnostics;
using Lab.Core;

namespace Lab.Results.Tests;

/// <summary>
/// Issue 16 item 5: several writers at once in one directory. DuckDB lets one process hold the file;
/// writers wait (bounded) instead of crashing, and no run is lost.
/// </summary>
public sealed class ResultsStoreConcurrencyTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string Db => Path.Combine(_dir, "lab.duckdb");

    static long Count(ResultsStore store, string sql) => long.Parse(store.Query(sql).Rows[0][0], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_writer_waits_while_another_process_holds_the_store_then_records()
    {
        using (var s = new ResultsStore(Db)) s.Record(StoreFixtures.Set("first", 1), StoreFixtures.Provenance(), _dir);
        using var holder = StoreFixtures.HoldLock(Db, TimeSpan.FromSeconds(1.5));
        var clock = Stopwatch.StartNew();
        using (var s = new ResultsStore(Db, TimeSpan.FromSeconds(30))) s.Record(StoreFixtures.Set("second", 2), StoreFixtures.Provenance(), _dir);
        // It could only open once the holder (1.5 s, started just before) let go.
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1), $"opened after {clock.Elapsed} while the lock was held");
        holder.WaitForExit();
        using var r = ResultsStore.OpenReadOnly(Db);
        // Two run sets of two points each: four rows in runs, two distinct run ids.
        Assert.Equal(2, Count(r, "SELECT count(DISTINCT run_id) FROM runs"));
        Assert.Equal(4, Count(r, "SELECT count(*) FROM runs"));
    }

    [Fact]
    public void A_writer_gives_up_after_its_bound_with_a_message_naming_the_store()
    {
        using (var s = new ResultsStore(Db)) s.Record(StoreFixtures.Set("first", 1), StoreFixtures.Provenance(), _dir);
        using var holder = StoreFixtures.HoldLock(Db, TimeSpan.FromSeconds(20));
        try
        {
            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<ParameterException>(() => new ResultsStore(Db, TimeSpan.FromSeconds(1)));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1, 10);
            Assert.StartsWith($"results store {Db}: still locked by another process after 1 s (", e.Message);
            Assert.Contains("Conflicting lock is held in /usr/bin/perl", e.Message);
            // A reader waits the same way.
            Assert.Throws<ParameterException>(() => StoreConnection.OpenReadOnly(Db, "db", TimeSpan.FromMilliseconds(300)).Dispose());
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }

    [Fact]
    public void Threads_with_their_own_connections_all_record()
    {
        const int writers = 6, each = 5;
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < each; i++)
                {
                    using var s = new ResultsStore(Db);
                    s.Record(StoreFixtures.Set($"w{w}", i), StoreFixtures.Provenance(), _dir);
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        using var r = ResultsStore.OpenReadOnly(Db);
        // 6 writers x 5 run sets; each set has 2 points (runs rows) and 2 x 2 metric values.
        Assert.Equal(30, Count(r, "SELECT count(DISTINCT run_id) FROM runs"));
        Assert.Equal(60, Count(r, "SELECT count(*) FROM runs"));
        Assert.Equal(120, Count(r, "SELECT count(*) FROM metrics"));
    }
}
