using Lab.Captures.AfPacket;
using Lab.Captures.Pcap;

namespace Lab.Captures.Replay;

/// <summary>
/// Replays a capture into a frame sink at the requested timing. Packets that are due are
/// batched (one sendmmsg for all of them); when the next packet is not yet due, what is queued
/// goes out and the replayer waits for the next deadline on CLOCK_MONOTONIC (a long gap on the
/// cancellation token, so Ctrl-C ends it at once, then a precise sleep, then a short spin:
/// <see cref="MonotonicClock.WaitUntil(long, CancellationToken, long)"/>). Deadlines are absolute (start + due), so lateness
/// never accumulates. Nothing is allocated per packet: frames are copied from the reader's
/// buffer into the sink's. Records without an Ethernet header go through
/// <see cref="EthernetFramer"/> (which skips those it cannot frame).
/// </summary>
public static class PcapReplayer
{
    const long ProgressIntervalNanoseconds = 500_000_000;

    /// <param name="loops">Passes over the capture; 0 repeats until cancelled.</param>
    /// <param name="count">Stop after this many packets (all passes together); 0 for no limit.</param>
    /// <param name="framer">Makes Ethernet frames of other link types; default: broadcast destination, the cooked header's source.</param>
    public static ReplayResult Run(PcapReader reader, IFrameSink sink, ReplayTiming timing, int loops, long count,
        Action<ReplayProgress>? progress, CancellationToken cancellation, EthernetFramer? framer = null)
    {
        framer ??= new EthernetFramer(reader.Name, default);
        var schedule = new ReplaySchedule(timing);
        bool timed = timing.Kind != ReplayTimingKind.TopSpeed;
        long start = 0;             // monotonic time of packet 0's deadline
        long firstFlush = -1, lastFlush = 0, end = 0;
        long queued = 0;            // packets handed to the sink
        long batches = 0;
        long batchFirstDue = 0, batchSumDue = 0, batchCount = 0;
        double sumLateness = 0;
        long maxLateness = 0;
        long nextProgress = 0;
        int loop = 0;
        int passes = 0;
        bool cancelled = false;

        void Flush()
        {
            if (sink.Count == 0) return;
            long now = MonotonicClock.NowNanoseconds();
            if (firstFlush < 0) firstFlush = now;
            lastFlush = now;
            if (timed)
            {
                long late = now - (start + batchFirstDue);
                if (late > maxLateness) maxLateness = late;
                sumLateness += (double)batchCount * (now - start) - batchSumDue;
            }
            sink.Flush();
            batches++;
            batchCount = 0;
            batchSumDue = 0;
            end = MonotonicClock.NowNanoseconds();
            if (progress is not null && end >= nextProgress)
            {
                nextProgress = end + ProgressIntervalNanoseconds;
                progress(new ReplayProgress(sink.Sent, sink.SentBytes, end - firstFlush, loop));
            }
        }

        for (; loops == 0 || loop < loops; loop++)
        {
            if (loop > 0)
            {
                reader.Rewind();
                schedule.StartNextLoop();
            }
            passes = loop + 1;
            bool any = false;
            while (reader.TryReadNext(out var record))
            {
                any = true;
                if (count > 0 && queued >= count) goto Done;
                if (cancellation.IsCancellationRequested)
                {
                    cancelled = true;
                    goto Done;
                }
                if (!framer.TryFrame(record, reader.Data, out var frame)) continue;
                long due = schedule.Next(record.TimestampNanoseconds, frame.Length);
                if (timed)
                {
                    if (queued == 0) start = MonotonicClock.NowNanoseconds();
                    long deadline = start + due;
                    long now = MonotonicClock.NowNanoseconds();
                    if (deadline > now)
                    {
                        Flush();
                        if (!MonotonicClock.WaitUntil(deadline, cancellation))
                        {
                            cancelled = true;
                            goto Done;
                        }
                    }
                }
                if (!sink.TryAdd(frame))
                {
                    Flush();
                    sink.TryAdd(frame);
                }
                if (batchCount == 0) batchFirstDue = due;
                batchCount++;
                batchSumDue += due;
                queued++;
            }
            if (!any) break;
            if (cancellation.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }
        }
    Done:
        Flush();
        if (firstFlush < 0) firstFlush = end = lastFlush = MonotonicClock.NowNanoseconds();
        return new ReplayResult
        {
            Packets = sink.Sent,
            Bytes = sink.SentBytes,
            Failed = sink.Failed,
            Loops = passes,
            Batches = batches,
            ScheduledNanoseconds = schedule.LastDue,
            SendSpanNanoseconds = lastFlush - firstFlush,
            ElapsedNanoseconds = end - firstFlush,
            MeanLatenessNanoseconds = timed && queued > 0 ? sumLateness / queued : 0,
            MaxLatenessNanoseconds = timed ? maxLateness : 0,
            Cancelled = cancelled,
            Skipped = framer.Skipped,
        };
    }
}
