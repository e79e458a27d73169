using System.Diagnostics;
using Lab.Captures.Native;

namespace Lab.Captures.Tests;

/// <summary>The one thread-CPU-time reading (clock_gettime(CLOCK_THREAD_CPUTIME_ID) through Libc).</summary>
public sealed class ThreadCpuTimeTests
{
    [Fact]
    public void A_thread_busy_for_a_while_used_some_cpu_time_and_never_more_than_the_time_that_passed()
    {
        long cpu0 = ThreadCpuTime.Nanoseconds();
        var wall = Stopwatch.StartNew();
        long spins = 0;
        while (wall.ElapsedMilliseconds < 20) spins++;
        long cpu = ThreadCpuTime.Nanoseconds() - cpu0;
        long wallNs = wall.ElapsedTicks * 1_000_000_000L / Stopwatch.Frequency;
        Assert.True(spins > 0);
        // One thread cannot run longer than the wall time between the two readings; it ran for some of it.
        // (No lower bound in proportion to the wall time: on a loaded machine the thread may wait most of it.)
        Assert.InRange(cpu, 1, wallNs + 1_000_000);
    }
}
