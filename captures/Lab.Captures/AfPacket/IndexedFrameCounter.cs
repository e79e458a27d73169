using Lab.Captures.Frames;

namespace Lab.Captures.AfPacket;

/// <summary>
/// Counts received frames by the <see cref="PacketIndex"/> they carry: how often each index
/// arrived, how many frames carried none, and the kernel receive times of the first and last
/// indexed frame. Runs on a background thread while the sender works on another; read the
/// results after <see cref="Capture.Stop"/>.
/// </summary>
public sealed class IndexedFrameCounter
{
    readonly int[] _counts;

    public IndexedFrameCounter(int indexCapacity) => _counts = new int[indexCapacity];

    public long IndexedFrames { get; private set; }
    public long OtherFrames { get; private set; }
    public long OutOfRangeIndices { get; private set; }
    public long Bytes { get; private set; }
    public long FirstTimestampNanoseconds { get; private set; }
    public long LastTimestampNanoseconds { get; private set; }

    /// <summary>Frames that arrived with this index.</summary>
    public int CountOf(ulong index) => index < (ulong)_counts.Length ? _counts[index] : 0;

    public int IndexCapacity => _counts.Length;

    public void OnFrame(ReadOnlySpan<byte> frame, long timestamp)
    {
        if (!PacketIndex.TryReadFromFrame(frame, out ulong index))
        {
            OtherFrames++;
            return;
        }
        if (index >= (ulong)_counts.Length) OutOfRangeIndices++;
        else _counts[index]++;
        if (IndexedFrames == 0) FirstTimestampNanoseconds = timestamp;
        LastTimestampNanoseconds = timestamp;
        IndexedFrames++;
        Bytes += frame.Length;
    }

    /// <summary>
    /// Receives on <paramref name="iface"/> in <paramref name="netns"/> on a background thread
    /// until <see cref="Capture.Stop"/>. The socket is open when this returns, so nothing sent
    /// afterwards is missed.
    /// </summary>
    public Capture StartCapture(string iface, string? netns) => new(this, AfPacketReceiver.Open(iface, netns));

    public sealed class Capture : IDisposable
    {
        readonly AfPacketReceiver _receiver;
        readonly CancellationTokenSource _stop = new();
        readonly Thread _thread;
        Exception? _failure;
        long _lastFrameTicks = Environment.TickCount64;

        internal Capture(IndexedFrameCounter counter, AfPacketReceiver receiver)
        {
            _receiver = receiver;
            _thread = new Thread(() =>
            {
                try
                {
                    receiver.Run((f, ts) =>
                    {
                        counter.OnFrame(f, ts);
                        Volatile.Write(ref _lastFrameTicks, Environment.TickCount64);
                    }, _stop.Token);
                }
                catch (Exception e)
                {
                    _failure = e;
                }
            }) { IsBackground = true, Name = "af_packet capture" };
            _thread.Start();
        }

        /// <summary>Frames the socket's queue dropped (PACKET_STATISTICS) after <see cref="Stop"/>.</summary>
        public uint KernelDrops { get; private set; }

        /// <summary>
        /// Waits until no frame has arrived for <paramref name="quiet"/> (at most
        /// <paramref name="maxWait"/>), then stops receiving.
        /// </summary>
        public void Stop(TimeSpan quiet, TimeSpan maxWait)
        {
            long deadline = Environment.TickCount64 + (long)maxWait.TotalMilliseconds;
            while (Environment.TickCount64 < deadline && Environment.TickCount64 - Volatile.Read(ref _lastFrameTicks) < quiet.TotalMilliseconds)
                Thread.Sleep(10);
            _stop.Cancel();
            _thread.Join();
            KernelDrops = _receiver.Socket.ReadStatistics().Drops;
            if (_failure is not null) throw new InvalidOperationException("capture failed: " + _failure.Message, _failure);
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested)
            {
                _stop.Cancel();
                _thread.Join();
            }
            _receiver.Dispose();
            _stop.Dispose();
        }
    }
}
