using System.Runtime.ExceptionServices;
using Lab.Results;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// Decides which runs a sweep needs and hands them to worker threads. Every point starts with
/// one batch of replications 0..B-1; with sequential stopping, a point whose batch has all
/// finished is judged on replications 0..n-1 and may get the next batch. Runs already on disk
/// are never queued again. Which runs exist at the end depends only on run results, never on
/// the number of workers or on the order they finish in.
/// </summary>
public sealed class SweepScheduler
{
    readonly object _gate = new(); // a monitor: workers wait on it for runs to be queued
    readonly int _batch;
    readonly ShardSpec _shard;
    readonly Precision? _precision;
    readonly int[] _planned;
    readonly Dictionary<int, ReplicationResult>[] _results;
    readonly Queue<RunKey> _queue = new();
    readonly HashSet<RunKey> _queued = [];
    int _inFlight;
    Exception? _failure;

    public SweepScheduler(int points, int batch, ShardSpec shard, Precision? precision, IEnumerable<KeyValuePair<RunKey, ReplicationResult>> found)
    {
        if (precision is not null && !shard.IsWhole) throw new ArgumentException("sequential stopping needs every replication of a point in one place", nameof(shard));
        _batch = batch;
        _shard = shard;
        _precision = precision;
        _planned = new int[points];
        _results = new Dictionary<int, ReplicationResult>[points];
        for (int p = 0; p < points; p++) _results[p] = [];
        foreach (var (k, v) in found)
        {
            if (k.Point < points) _results[k.Point][k.Replication] = v;
        }
        for (int p = 0; p < points; p++)
        {
            Extend(p, batch);
            Advance(p);
        }
        Found = Done;
    }

    /// <summary>Runs this sweep (or shard) needs so far, finished or not.</summary>
    public int Total { get; private set; }

    /// <summary>Of <see cref="Total"/>, the runs finished (found on disk or executed now).</summary>
    public int Done { get; private set; }

    /// <summary>Of <see cref="Done"/>, those found on disk when the sweep started.</summary>
    public int Found { get; }

    public int Executed { get; private set; }

    /// <summary>How many replications each point has (its final count once <see cref="Run"/> has returned).</summary>
    public IReadOnlyList<int> Planned => _planned;

    public bool Owns(RunKey key) => _shard.Owns((long)key.Point * _batch + key.Replication);

    /// <summary>Runs queued now, in order (before <see cref="Run"/>: the runs this process will execute first).</summary>
    public IReadOnlyList<RunKey> Queued
    {
        get
        {
            lock (_gate) return [.. _queue];
        }
    }

    /// <summary>The first <see cref="Planned"/> replications of a point, in order, or null if one is missing.</summary>
    public PointResult? Point(int index, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        var reps = new List<ReplicationResult>();
        for (int r = 0; r < _planned[index]; r++)
        {
            if (!_results[index].TryGetValue(r, out var res)) return null;
            reps.Add(res);
        }
        return new PointResult(index, parameters, reps);
    }

    /// <summary>Results on disk beyond a point's final count (from an earlier sweep with more replications).</summary>
    public int Unused()
    {
        int n = 0;
        for (int p = 0; p < _planned.Length; p++)
        {
            foreach (var r in _results[p].Keys) if (r >= _planned[p]) n++;
        }
        return n;
    }

    void Extend(int point, int to)
    {
        for (int r = _planned[point]; r < to; r++)
        {
            if (!Owns(new RunKey(point, r))) continue;
            Total++;
            if (_results[point].ContainsKey(r)) Done++;
        }
        _planned[point] = to;
    }

    /// <summary>Queues a point's missing runs; once its batch is complete, applies the stopping rule.</summary>
    void Advance(int point)
    {
        while (true)
        {
            int n = _planned[point];
            bool missing = false;
            for (int r = 0; r < n; r++)
            {
                var key = new RunKey(point, r);
                if (!Owns(key) || _results[point].ContainsKey(r)) continue;
                missing = true;
                if (_queued.Add(key)) _queue.Enqueue(key);
            }
            if (missing || _precision is null) return;
            int next = _precision.Next(n, metric => ValuesOf(point, n, metric), point);
            if (next == n) return;
            Extend(point, next);
        }
    }

    List<double>? ValuesOf(int point, int n, string metric)
    {
        var values = new List<double>(n);
        for (int r = 0; r < n; r++)
        {
            bool seen = false;
            foreach (var m in _results[point][r].Metrics)
            {
                if (m.Name != metric) continue;
                values.Add(m.Value);
                seen = true;
                break;
            }
            if (!seen) return null;
        }
        return values;
    }

    /// <summary>
    /// Executes every needed run on <paramref name="jobs"/> threads; <paramref name="execute"/> must
    /// store the run (it is called outside the scheduler's lock). Returns false when cancelled
    /// (the runs that finished are kept; runs in progress are abandoned when
    /// <paramref name="execute"/> throws <see cref="OperationCanceledException"/> for it); rethrows the first failure of a run.
    /// </summary>
    public bool Run(int jobs, Func<RunKey, ReplicationResult> execute, Action<SweepScheduler>? progress, CancellationToken cancel)
    {
        using var wake = cancel.Register(() =>
        {
            lock (_gate) Monitor.PulseAll(_gate);
        });
        var threads = new Thread[jobs];
        for (int i = 0; i < jobs; i++)
        {
            threads[i] = new Thread(() => Work(execute, progress, cancel)) { IsBackground = true, Name = $"sweep-{i}" };
            threads[i].Start();
        }
        foreach (var t in threads) t.Join();
        if (_failure is not null) ExceptionDispatchInfo.Capture(_failure).Throw();
        return _queue.Count == 0 && Done == Total;
    }

    void Work(Func<RunKey, ReplicationResult> execute, Action<SweepScheduler>? progress, CancellationToken cancel)
    {
        while (true)
        {
            RunKey key;
            lock (_gate)
            {
                while (_queue.Count == 0 && _inFlight > 0 && _failure is null && !cancel.IsCancellationRequested) Monitor.Wait(_gate);
                if (_queue.Count == 0 || _failure is not null || cancel.IsCancellationRequested)
                {
                    Monitor.PulseAll(_gate);
                    return;
                }
                key = _queue.Dequeue();
                _inFlight++;
            }
            try
            {
                var result = execute(key);
                lock (_gate)
                {
                    _inFlight--;
                    _results[key.Point][key.Replication] = result;
                    Done++;
                    Executed++;
                    Advance(key.Point);
                    Monitor.PulseAll(_gate);
                }
                progress?.Invoke(this);
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _inFlight = Math.Max(0, _inFlight - 1);
                    // A run abandoned for Ctrl-C is not a failure: it is simply not done (its file was never written).
                    if (!(ex is OperationCanceledException && cancel.IsCancellationRequested)) _failure ??= ex;
                    Monitor.PulseAll(_gate);
                }
                return;
            }
        }
    }
}
