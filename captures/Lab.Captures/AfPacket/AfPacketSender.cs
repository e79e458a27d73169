using System.Runtime.InteropServices;
using Lab.Captures.Native;

namespace Lab.Captures.AfPacket;

/// <summary>
/// Batches frames into one native buffer and sends them with sendmmsg(2): one system call per
/// batch instead of one per frame. The socket is bound to the interface, so the messages need
/// no address. Frames are packed back to back (no fixed slot size), so a batch of small frames
/// touches little memory. Errors: EINTR, EAGAIN and ENOBUFS are retried; any other error
/// (EMSGSIZE for a frame above the MTU, ENETDOWN for a link that is down) skips the frame the
/// kernel refused and counts it in <see cref="Failed"/>, as tcpreplay's "Failed packets" does.
/// </summary>
public sealed unsafe class AfPacketSender : Replay.IFrameSink, IDisposable
{
    const int MaxRetriesPerFrame = 100_000;

    readonly AfPacketSocket _socket;
    readonly int _batchCapacity;
    readonly int _dataCapacity;
    byte* _data;
    Libc.MMsgHdr* _messages;
    Libc.IoVec* _iov;
    int _count;
    int _dataUsed;

    public long Sent { get; private set; }
    public long SentBytes { get; private set; }
    public long Failed { get; private set; }

    /// <summary>Times a batch was retried after EAGAIN/ENOBUFS/EINTR (back pressure).</summary>
    public long Retries { get; private set; }

    public long SendCalls { get; private set; }
    public int LastErrno { get; private set; }

    public int Count => _count;
    public int BatchCapacity => _batchCapacity;

    public AfPacketSender(AfPacketSocket socket, int batchSize = 64, int bufferBytes = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 1024); // UIO_MAXIOV
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 65536);
        _socket = socket;
        _batchCapacity = batchSize;
        _dataCapacity = bufferBytes;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)bufferBytes, 64);
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)batchSize, (nuint)sizeof(Libc.MMsgHdr));
        _iov = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)batchSize, (nuint)sizeof(Libc.IoVec));
        for (int i = 0; i < batchSize; i++)
        {
            _messages[i].Header.Iov = _iov + i;
            _messages[i].Header.IovLength = 1;
        }
    }

    /// <summary>Queues a copy of <paramref name="frame"/>; false when the batch is full (call <see cref="Flush"/>).</summary>
    public bool TryAdd(ReadOnlySpan<byte> frame)
    {
        if (_count == _batchCapacity || _dataCapacity - _dataUsed < frame.Length)
        {
            if (frame.Length > _dataCapacity) throw new ArgumentException($"frame of {frame.Length} bytes exceeds the send buffer", nameof(frame));
            return false;
        }
        byte* p = _data + _dataUsed;
        frame.CopyTo(new Span<byte>(p, frame.Length));
        _iov[_count].Base = p;
        _iov[_count].Length = (nuint)frame.Length;
        _count++;
        // Keep frames 8-byte aligned for the kernel's copy.
        _dataUsed += (frame.Length + 7) & ~7;
        return true;
    }

    /// <summary>Sends every queued frame; returns when all were sent or failed.</summary>
    public void Flush()
    {
        int i = 0;
        int retries = 0;
        while (i < _count)
        {
            SendCalls++;
            int n = Libc.SendMMsg(_socket.FileDescriptor, _messages + i, (uint)(_count - i), 0);
            if (n > 0)
            {
                for (int k = i; k < i + n; k++) SentBytes += (long)_iov[k].Length;
                Sent += n;
                i += n;
                retries = 0;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            LastErrno = errno;
            if ((errno is Libc.EINTR or Libc.EAGAIN or Libc.ENOBUFS) && retries < MaxRetriesPerFrame)
            {
                Retries++;
                retries++;
                Thread.Yield();
                continue;
            }
            Failed++;
            i++;
            retries = 0;
        }
        _count = 0;
        _dataUsed = 0;
    }

    public void Dispose()
    {
        if (_data is null) return;
        NativeMemory.AlignedFree(_data);
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iov);
        _data = null;
        _messages = null;
        _iov = null;
    }
}
