using Lab.Captures.Native;
using Perfolizer.Horology;

namespace Lab.Bench;

/// <summary>
/// BenchmarkDotNet clock for quick runs on shared machines: the calling thread's CPU time
/// (clock_gettime(CLOCK_THREAD_CPUTIME_ID)), so time slices given to other tenants do not count,
/// rescaled by the machine's momentary speed, so that what does count (a core or cache shared
/// with other work, at times at half speed) is divided out. Each reading measures the reference
/// workload (<see cref="ReferenceWork"/>, a slice of it) right there on the benchmark's thread; the
/// interval since the previous reading is scaled by (fastest slice seen at start-up) / (mean of
/// the slices at both ends). The unit stays nanoseconds: "at the machine's best observed speed".
/// The reference benchmark measured with it is then nearly constant, and ratios to it compare
/// runs taken minutes apart under different load. The slices run outside the measured interval.
/// </summary>
public sealed class SpeedNormalizedClock : IClock
{
    const int SliceSteps = 8192;        // about 15 us: long against the clock read, short against an iteration

    sealed class ThreadState
    {
        public long LastCpu;
        public double LastSlice;
        public double Normalized;
    }

    [ThreadStatic]
    static ThreadState? _state;

    readonly double _nominalSlice;

    public static readonly SpeedNormalizedClock Instance = new();

    SpeedNormalizedClock()
    {
        // The fastest of many slices: the machine at its least disturbed.
        double best = double.MaxValue;
        for (int i = 0; i < 200; i++) best = Math.Min(best, Slice());
        _nominalSlice = best;
    }

    public string Title => "thread CPU time at nominal speed";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => Frequency.FromHz(1e9);

    /// <summary>The thread's CPU nanoseconds, through the lab's one P/Invoke surface (captures/Lab.Captures/Native).</summary>
    public static long CpuNow() => ThreadCpuTime.Nanoseconds();

    /// <summary>CPU nanoseconds of one reference slice now (the least of three, to shed a clock tick landing in one).</summary>
    static double Slice()
    {
        double best = double.MaxValue;
        for (int k = 0; k < 3; k++)
        {
            long a = CpuNow();
            ReferenceWork.Run(SliceSteps);
            best = Math.Min(best, CpuNow() - a);
        }
        return best;
    }

    public long GetTimestamp()
    {
        long now = CpuNow();
        double slice = Slice();
        var s = _state;
        if (s is null)
        {
            _state = s = new ThreadState();
        }
        else
        {
            double speed = (s.LastSlice + slice) / 2;
            s.Normalized += (now - s.LastCpu) * _nominalSlice / speed;
        }
        s.LastSlice = slice;
        s.LastCpu = CpuNow();
        return (long)s.Normalized;
    }
}
