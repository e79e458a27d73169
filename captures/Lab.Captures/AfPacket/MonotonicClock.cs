using Lab.Captures.Native;

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

    /// <summary>
    /// Above this much time left, <see cref="WaitUntil(long, CancellationToken, long)"/> waits on the
    /// cancellation token (a futex: no CPU, wakes at once on Ctrl-C, but only millisecond-precise).
    /// </summary>
    public const long CoarseMarginNanoseconds = 2_000_000;

    /// <summary>Returns once CLOCK_MONOTONIC has reached <paramref name="deadline"/>; returns the time it read last.</summary>
    public static long WaitUntil(long deadline, long spinNanoseconds = DefaultSpinNanoseconds)
    {
        long now = NowNanoseconds();
        long wake = deadline - spinNanoseconds;
        // A signal interrupts the sleep (EINTR): sleep again rather than spin out a long remainder.
        while (now < wake)
        {
            Libc.TimeSpec t = new() { Seconds = wake / 1_000_000_000L, Nanoseconds = wake % 1_000_000_000L };
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

    /// <summary>
    /// Like <see cref="WaitUntil(long, long)"/>, but a long wait ends as soon as <paramref name="cancellation"/>
    /// is cancelled: it waits on the token until <see cref="CoarseMarginNanoseconds"/> before the deadline,
    /// then sleeps precisely and spins the last <paramref name="spinNanoseconds"/> as before, so the
    /// precision is that of the plain wait. Returns false when cancelled before the deadline.
    /// </summary>
    public static bool WaitUntil(long deadline, CancellationToken cancellation, long spinNanoseconds = DefaultSpinNanoseconds)
    {
        if (cancellation.CanBeCanceled)
        {
            while (true)
            {
                long left = deadline - NowNanoseconds() - spinNanoseconds - CoarseMarginNanoseconds;
                if (left < 1_000_000) break;
                if (cancellation.WaitHandle.WaitOne(TimeSpan.FromTicks(Math.Min(left / 100, TimeSpan.FromDays(1).Ticks)))) return false;
            }
            if (cancellation.IsCancellationRequested) return false;
        }
        WaitUntil(deadline, spinNanoseconds);
        return true;
    }
}
