using System.Diagnostics;
using Lab.Captures.AfPacket;
using Lab.Captures.Pcap;
using Lab.Captures.Replay;
using Lab.Captures.Tests.Support;

namespace Lab.Captures.Tests.Cleanup;

/// <summary>A long gap between packets: waited out without a busy core, and ended at once by cancellation.</summary>
public sealed class ReplayGapTests
{
    [Fact]
    public void Cancelling_during_a_long_gap_ends_the_replay_at_once_after_the_packets_before_it()
    {
        using var dir = new TempDirectory();
        string path = dir.File("gap.pcap");
        // 2 frames 60 s apart: the replay sends frame 0, then waits 60 s for frame 1.
        TestFrames.WritePcap(path, 2, 60_000_000_000);
        using var reader = PcapReader.Open(path);
        var sink = new ReplayScheduleTests.RecordingSink(8);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        var r = PcapReplayer.Run(reader, sink, ReplayTiming.Original, loops: 1, count: 0, progress: null, cts.Token);
        clock.Stop();
        Assert.True(r.Cancelled);
        Assert.Equal(1, r.Packets);
        Assert.Equal(TestFrames.Indexed(0), sink.Sent_[0]);
        // Not the 60 s of the gap (a generous bound: the machine is shared).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_long_cancellable_wait_sleeps_instead_of_spinning()
    {
        long deadline = MonotonicClock.NowNanoseconds() + 60_000_000_000;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        long cpu = ThreadCpuTicks();
        var clock = Stopwatch.StartNew();
        bool reached = MonotonicClock.WaitUntil(deadline, cts.Token);
        clock.Stop();
        long used = ThreadCpuTicks() - cpu;
        Assert.False(reached);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(10));
        // This thread's CPU time in clock ticks (100 per second): a spinning wait burns about 150
        // of them in 1.5 s (less only if the shared machine preempts it), a sleeping one about 0.
        Assert.True(used < 30, $"{used} ticks of CPU in a {clock.Elapsed.TotalSeconds:0.000} s wait");
    }

    /// <summary>utime + stime of the calling thread (fields 14 and 15 of /proc/thread-self/stat, proc(5)).</summary>
    static long ThreadCpuTicks()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // f[0] is field 3, so fields 14 and 15 are f[11] and f[12].
        return long.Parse(f[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(f[12], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_short_cancellable_wait_still_ends_on_its_deadline()
    {
        // 5 ms: past the coarse margin (2 ms + the 0.2 ms spin), so both phases run; never early.
        long deadline = MonotonicClock.NowNanoseconds() + 5_000_000;
        using var cts = new CancellationTokenSource();
        Assert.True(MonotonicClock.WaitUntil(deadline, cts.Token));
        Assert.True(MonotonicClock.NowNanoseconds() >= deadline);
    }
}
