using BenchmarkDotNet.Attributes;
using Lab.Engine;
using Lab.Core;

namespace Lab.Bench;

/// <summary>
/// The classic hold model (Jones 1986; used by ns-3 and OMNeT++ to compare schedulers): with N
/// events pending, pop the earliest and schedule one new event an exponential time later.
/// Issue 2's targets: at least 25 M events/s at 1,000 pending and 4 M at 1,000,000, 0 B per event.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Engine)]
[OperationUnit("event")]
public class EngineHoldBenchmarks
{
    const int EventsPerInvoke = 1_000_000;

    [Params(1_000, 100_000, 1_000_000)]
    public int Pending { get; set; }

    Simulator _sim = null!;
    HoldTarget _target = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sim = new Simulator(Pending * 2);
        _target = new HoldTarget(_sim, new RandomStream(1));
        for (int i = 0; i < Pending; i++) _sim.Schedule(_target.NextDelay(), _target.Id);
        // Warm the buckets so that the measured phase allocates nothing.
        // Each of the radix heap's 2,048 buckets keeps the largest array it has needed; they reach
        // their working size once the clock has crossed a top-level bucket (2^24 ps of simulated
        // time), which takes about 20 M events at a million pending. After that nothing allocates.
        _target.Remaining = Math.Max(Pending * 4L, 20_000_000L);
        _sim.RunUntil(long.MaxValue);
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long Hold()
    {
        _target.Remaining = EventsPerInvoke;
        _sim.RunUntil(long.MaxValue);
        return _sim.Now;
    }

    sealed class HoldTarget : IEventTarget
    {
        readonly Simulator _sim;
        readonly long[] _delays = new long[1 << 16];
        int _next;
        public long Remaining;
        public readonly int Id;

        public HoldTarget(Simulator sim, RandomStream rng)
        {
            _sim = sim;
            Id = sim.Register(this);
            // Exponential delays with a mean of 1 us, drawn once: the benchmark measures the
            // scheduler, not the logarithm.
            for (int i = 0; i < _delays.Length; i++) _delays[i] = 1 + (long)rng.Exponential(SimTime.Microsecond);
        }

        public long NextDelay() => _delays[_next++ & (_delays.Length - 1)];

        public void OnEvent(int kind, int arg, long data)
        {
            _sim.ScheduleIn(NextDelay(), Id);
            if (--Remaining == 0) _sim.Stop();
        }
    }
}

/// <summary>Schedule followed by cancel: the cost of a timer that is rearmed before it fires (keepalive, GC).</summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Engine)]
[OperationUnit("timer")]
public class EngineTimerBenchmarks : IEventTarget
{
    Simulator _sim = null!;
    int _id;

    [GlobalSetup]
    public void Setup()
    {
        _sim = new Simulator(4096);
        _id = _sim.Register(this);
        for (int i = 0; i < 1000; i++) _sim.Schedule(SimTime.Second + i, _id);
        ScheduleAndCancel();
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public void ScheduleAndCancel()
    {
        for (int i = 0; i < 1000; i++)
        {
            var h = _sim.ScheduleTimer(_sim.Now + SimTime.Millisecond + i, _id);
            _sim.Cancel(h);
        }
        // A cancelled timer leaves its entry in the queue until its time comes (lazy deletion):
        // run past them, so the cost of skipping them is measured and their slots are reused.
        _sim.RunUntil(_sim.Now + 2 * SimTime.Millisecond);
    }

    public void OnEvent(int kind, int arg, long data) { }
}
