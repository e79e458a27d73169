namespace Lab.Captures.Replay;

/// <summary>Where the replayer puts frames: the AF_PACKET sender, or a recorder in tests.</summary>
public interface IFrameSink
{
    /// <summary>Queues a copy; false when the batch is full and must be flushed first.</summary>
    bool TryAdd(ReadOnlySpan<byte> frame);

    /// <summary>Sends everything queued.</summary>
    void Flush();

    int Count { get; }
    long Sent { get; }
    long SentBytes { get; }
    long Failed { get; }
}
