using CsCheck;
using Lab.Experiments.Sweeps;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Tests;

/// <summary>How a sweep splits into shards, what a run file holds, and the progress line.</summary>
public class SweepPlanTests
{
    static SweepScheduler Plan(int points, int reps, ShardSpec shard, IEnumerable<RunKey>? found = null) =>
        new(points, reps, shard, null, (found ?? []).Select(k => new KeyValuePair<RunKey, ReplicationResult>(k, Result(k.Replication, 1))));

    static ReplicationResult Result(int rep, double value) => new(rep, [new MetricValue("m", "pps", value)], [], [], 1);

    [Fact]
    public void Shard_i_of_n_takes_every_nth_run_in_point_replication_order()
    {
        // 2 points x 3 replications: k = 0..5 is p0-r0, p0-r1, p0-r2, p1-r0, p1-r1, p1-r2.
        Assert.Equal(["p0-r0", "p1-r0"], Plan(2, 3, new ShardSpec(0, 3)).Queued.Select(k => k.ToString()));
        Assert.Equal(["p0-r1", "p1-r1"], Plan(2, 3, new ShardSpec(1, 3)).Queued.Select(k => k.ToString()));
        Assert.Equal(["p0-r2", "p1-r2"], Plan(2, 3, new ShardSpec(2, 3)).Queued.Select(k => k.ToString()));
        Assert.Equal(["p0-r1", "p1-r0", "p1-r2"], Plan(2, 3, new ShardSpec(1, 2)).Queued.Select(k => k.ToString()));
        Assert.Equal(6, Plan(2, 3, ShardSpec.Whole).Total);
    }

    [Fact]
    public void Shards_partition_the_runs_for_any_sweep_shape()
    {
        Gen.Select(Gen.Int[1, 7], Gen.Int[1, 6], Gen.Int[1, 9]).Sample((points, reps, n) =>
        {
            var all = new List<RunKey>();
            for (int i = 0; i < n; i++) all.AddRange(Plan(points, reps, new ShardSpec(i, n)).Queued);
            var expected = Enumerable.Range(0, points).SelectMany(p => Enumerable.Range(0, reps).Select(r => new RunKey(p, r))).ToList();
            all.Sort();
            return all.SequenceEqual(expected);
        });
    }

    [Fact]
    public void Runs_found_on_disk_are_not_queued_again()
    {
        var s = Plan(2, 3, ShardSpec.Whole, [new RunKey(0, 1), new RunKey(1, 0), new RunKey(1, 5)]);
        Assert.Equal(["p0-r0", "p0-r2", "p1-r1", "p1-r2"], s.Queued.Select(k => k.ToString()));
        Assert.Equal(6, s.Total);
        Assert.Equal(2, s.Found);
        Assert.Equal(1, s.Unused()); // p1-r5 is beyond the 3 replications asked for
    }

    [Fact]
    public void Sequential_stopping_queues_the_next_batch_only_when_a_batch_is_imprecise()
    {
        // Point 0's first batch (replications 0, 1) is precise (equal values), point 1's is not.
        var found = new Dictionary<RunKey, ReplicationResult>
        {
            [new(0, 0)] = Result(0, 10), [new(0, 1)] = Result(1, 10),
            [new(1, 0)] = Result(0, 10), [new(1, 1)] = Result(1, 20),
        };
        var s = new SweepScheduler(2, 2, ShardSpec.Whole, new Precision(0.05, ["m"], 2, 6), found);
        Assert.Equal(["p1-r2", "p1-r3"], s.Queued.Select(k => k.ToString()));
        Assert.Equal([2, 4], s.Planned);
    }

    [Theory]
    [InlineData("0/4", 0, 4)]
    [InlineData("3/4", 3, 4)]
    [InlineData("0/1", 0, 1)]
    public void Shard_specs_parse(string text, int i, int n) => Assert.Equal(new ShardSpec(i, n), ShardSpec.Parse(text));

    [Theory]
    [InlineData("4/4", "expected I/N with 0 <= I < N")]
    [InlineData("0/0", "expected I/N with 0 <= I < N")]
    [InlineData("1", "expected I/N such as 0/4")]
    [InlineData("-1/4", "expected I/N such as 0/4")]
    [InlineData("a/b", "expected I/N such as 0/4")]
    public void Bad_shard_specs_are_refused(string text, string message)
    {
        // The library names its parameter "shard"; the CLI prints it as its flag.
        var ex = Assert.Throws<ParameterException>(() => ShardSpec.Parse(text));
        Assert.Equal("shard", ex.Problems.Single().Parameter);
        Assert.StartsWith("shard: " + message, ex.Message);
    }

    [Theory]
    [InlineData("p0-r0.json", 0, 0)]
    [InlineData("p12-r345.json", 12, 345)]
    public void Run_file_names_round_trip(string name, int p, int r)
    {
        Assert.Equal(new RunKey(p, r), RunKey.FromFileName(name));
        Assert.Equal(name, new RunKey(p, r).FileName);
    }

    [Theory]
    [InlineData(".p0-r0.json.tmp-12-3")]
    [InlineData("p0-r0.json.tmp")]
    [InlineData("summary.json")]
    [InlineData("p-1-r0.json")]
    [InlineData("p0r0.json")]
    [InlineData("p0-r.json")]
    public void Other_files_are_not_runs(string name) => Assert.Null(RunKey.FromFileName(name));

    [Fact]
    public void Run_files_round_trip_every_double_exactly()
    {
        double[] special = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, -0.0, double.MaxValue, 1e-310];
        var value = Gen.Select(Gen.Int[0, 13], Gen.Double, (k, d) => k < 7 ? d : special[k - 7]);
        var metric = Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 12], value, (n, v) => new MetricValue(n, "u", v));
        var row = Gen.Select(Gen.Double, Gen.Double, Gen.Double, Gen.Double, Gen.Long, Gen.Long, Gen.Bool)
            .Select((t, a, b, c, q, d, w) => new TimeSeriesRow(t, a, b, c, q, d, w));
        var cdf = Gen.Select(value, value);
        Gen.Select(metric.List[0, 8], row.List[0, 5], cdf.List[0, 5], Gen.Long, Gen.Int[0, 1000]).Sample((ms, rows, qs, events, rep) =>
        {
            var result = new ReplicationResult(rep, ms, rows, qs, events);
            var back = RunFile.Parse(RunFile.Serialize("abc", new RunKey(3, rep), result), "test");
            return back.RunHash == "abc" && back.Key == new RunKey(3, rep) && back.Result.Replication == rep && back.Result.Events == events
                && back.Result.Metrics.SequenceEqual(ms) && back.Result.TimeSeries.SequenceEqual(rows)
                && back.Result.LatencyCdf.SequenceEqual(qs);
        });
    }

    [Fact]
    public void A_damaged_run_file_is_named_in_the_error()
    {
        var ex = Assert.Throws<LabInputException>(() => RunFile.Parse("{\"format\": 1, \"run_hash\": ", "runs/p0-r1.json"));
        Assert.StartsWith("runs/p0-r1.json: not a readable run file", ex.Message);
        Assert.EndsWith("delete it to run it again", ex.Message);
    }

    [Fact]
    public void Progress_line_shows_bar_counts_and_eta()
    {
        // 12 of 48 done: 6 of 24 cells; 4 s for 12 executed runs is 1/3 s a run, 36 left: 12 s.
        Assert.Equal("[######..................]  12/48 runs  25%  4.0 s  ETA 12.0 s",
            SweepProgress.Format(12, 48, 12, 0, TimeSpan.FromSeconds(4)));
        // 10 found on disk cost nothing: 2 executed in 1 s, 28 left: 14 s.
        Assert.Equal("[#######.................]  12/40 runs  30%  1.0 s  (10 resumed)  ETA 14.0 s",
            SweepProgress.Format(12, 40, 2, 10, TimeSpan.FromSeconds(1)));
        Assert.Equal("[........................]  0/5 runs  0%  0.5 s  ETA --", SweepProgress.Format(0, 5, 0, 0, TimeSpan.FromSeconds(0.5)));
        Assert.Equal("[########################]  5/5 runs  100%  2:05", SweepProgress.Format(5, 5, 5, 0, TimeSpan.FromSeconds(125)));
    }
}
