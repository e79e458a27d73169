namespace Lab.Captures.Replay;

/// <summary>What one replay did. Times are CLOCK_MONOTONIC nanoseconds.</summary>
public sealed record ReplayResult
{
    public long Packets { get; init; }
    public long Bytes { get; init; }
    public long Failed { get; init; }
    public int Loops { get; init; }
    public long Batches { get; init; }

    /// <summary>When the last packet was due after the first (the duration the timing asked for).</summary>
    public long ScheduledNanoseconds { get; init; }

    /// <summary>From handing the first batch to the kernel to handing it the last.</summary>
    public long SendSpanNanoseconds { get; init; }

    /// <summary>From handing the first batch to the kernel until the last send returned.</summary>
    public long ElapsedNanoseconds { get; init; }

    /// <summary>Mean of (send time - due time) over packets; 0 for topspeed.</summary>
    public double MeanLatenessNanoseconds { get; init; }

    public long MaxLatenessNanoseconds { get; init; }
    public bool Cancelled { get; init; }

    /// <summary>Records that could not be made into Ethernet frames (<see cref="EthernetFramer"/>), all passes together.</summary>
    public long Skipped { get; init; }

    public double PacketsPerSecond => ElapsedNanoseconds > 0 ? Packets * 1e9 / ElapsedNanoseconds : 0;
    public double BitsPerSecond => ElapsedNanoseconds > 0 ? Bytes * 8e9 / ElapsedNanoseconds : 0;
}

/// <summary>A snapshot for a progress line.</summary>
public readonly record struct ReplayProgress(long Packets, long Bytes, long ElapsedNanoseconds, int Loop);
