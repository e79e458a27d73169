namespace Lab.Captures.Native;

/// <summary>
/// The calling thread's CPU time, clock_gettime(CLOCK_THREAD_CPUTIME_ID), through the lab's one P/Invoke
/// surface (<see cref="Libc"/>): the calibration's injector and the benchmarks' speed-normalised clock read it.
/// </summary>
public static unsafe class ThreadCpuTime
{
    /// <summary>CLOCK_THREAD_CPUTIME_ID, include/uapi/linux/time.h.</summary>
    const int ClockThreadCpuTimeId = 3;

    /// <summary>Nanoseconds of CPU time this thread has used.</summary>
    public static long Nanoseconds()
    {
        Libc.TimeSpec t;
        if (Libc.ClockGetTime(ClockThreadCpuTimeId, &t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return t.Seconds * 1_000_000_000L + t.Nanoseconds;
    }
}
