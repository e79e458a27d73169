namespace Lab.Captures.AfPacket;

/// <summary>
/// CLOCK_MONOTONIC in nanoseconds, and an absolute-deadline wait that sleeps with
/// clock_nanosleep(TIMER_ABSTIME) until shortly before the deadline and spins for the rest:
/// the sleep costs no CPU but wakes up to tens of microseconds late (timer slack, scheduling),
/// the spin is exact to the clock read (tens of nanoseconds). Absolute deadlines keep errors
/// from accumulating across packets.
/// </summary>
public static unsafe class MonotonicClock
{
    /// <summary>How long before a deadline to stop sleeping and start spinning.</summary>
    public const long DefaultSpinNanoseconds = 200_000;

    public static long NowNanoseconds()
    {
        Libc.TimeSpec t;
        Libc.ClockGetTime(Libc.CLOCK_MONOTONIC, &t);
        return t.Seconds * 1_000_000_000L + t.Nanoseconds;
    }

    /// <summary>Returns once CLOCK_MONOTONIC has reached <paramref name="deadline"/>; returns the time it read last.</summary>
    public static long WaitUntil(long deadline, long spinNanoseconds = DefaultSpinNanoseconds)
    {
        long now = NowNanoseconds();
        if (deadline - now > spinNanoseconds)
        {
            long wake = deadline - spinNanoseconds;
            Libc.TimeSpec t = new() { Seconds = wake / 1_000_000_000L, Nanoseconds = wake % 1_000_000_000L };
            // EINTR: the loop below finishes the wait.
            Libc.ClockNanoSleep(Libc.CLOCK_MONOTONIC, Libc.TIMER_ABSTIME, &t, null);
            now = NowNanoseconds();
        }
        while (now < deadline)
        {
            Thread.SpinWait(8);
            now = NowNanoseconds();
        }
        return now;
    }
}
