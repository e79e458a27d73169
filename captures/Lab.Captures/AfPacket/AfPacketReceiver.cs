using System.Runtime.InteropServices;
using Lab.Captures.Native;

namespace Lab.Captures.AfPacket;

/// <summary>Called for every received frame with the kernel's receive time (CLOCK_REALTIME ns, 0 if none).</summary>
public delegate void FrameHandler(ReadOnlySpan<byte> frame, long kernelTimestampNanoseconds);

/// <summary>
/// Receives the frames arriving on an interface with recvmsg(2) on an AF_PACKET socket
/// (ETH_P_ALL), with SO_TIMESTAMPNS receive times. Frames the host itself sends
/// (sll_pkttype PACKET_OUTGOING) are skipped: only what arrives from the wire counts.
/// </summary>
public sealed unsafe class AfPacketReceiver : IDisposable
{
    const int FrameBufferBytes = 65536 + 64;
    const int ControlBytes = 128;

    readonly AfPacketSocket _socket;
    readonly byte[] _frame = new byte[FrameBufferBytes];
    readonly byte[] _control = new byte[ControlBytes];

    public AfPacketSocket Socket => _socket;

    public AfPacketReceiver(AfPacketSocket socket) => _socket = socket;

    /// <summary>Opens a receiving socket on <paramref name="iface"/> (in <paramref name="netns"/> if given).</summary>
    public static AfPacketReceiver Open(string iface, string? netns) =>
        new(AfPacketSocket.Open(iface, netns, new AfPacketOptions
        {
            Protocol = Libc.ETH_P_ALL,
            ReceiveBufferBytes = 64 << 20,
            ReceiveTimestamps = true,
            ReceiveTimeout = TimeSpan.FromMilliseconds(20),
        }));

    /// <summary>Receives until cancelled; returns the number of frames handed to <paramref name="handler"/>.</summary>
    public long Run(FrameHandler handler, CancellationToken cancellation)
    {
        long frames = 0;
        fixed (byte* frame = _frame)
        fixed (byte* control = _control)
        {
            Libc.SockaddrLl from;
            Libc.IoVec iov = new() { Base = frame, Length = FrameBufferBytes };
            while (!cancellation.IsCancellationRequested)
            {
                Libc.MsgHdr msg = new()
                {
                    Name = &from,
                    NameLength = sizeof(Libc.SockaddrLl),
                    Iov = &iov,
                    IovLength = 1,
                    Control = control,
                    ControlLength = ControlBytes,
                };
                nint n = Libc.RecvMsg(_socket.FileDescriptor, &msg, 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno is Libc.EAGAIN or Libc.EINTR) continue;
                    throw new InvalidOperationException($"AF_PACKET recvmsg on {_socket.Interface}: {Libc.ErrorText(errno)}");
                }
                if (from.PktType == Libc.PACKET_OUTGOING) continue;
                handler(new ReadOnlySpan<byte>(frame, (int)Math.Min(n, FrameBufferBytes)), Timestamp(&msg));
                frames++;
            }
        }
        return frames;
    }

    /// <summary>The SCM_TIMESTAMPNS control message (a struct timespec), if present.</summary>
    static long Timestamp(Libc.MsgHdr* msg)
    {
        byte* c = (byte*)msg->Control;
        nuint total = msg->ControlLength;
        nuint off = 0;
        while (off + 16 <= total)
        {
            nuint len = *(nuint*)(c + off);
            int level = *(int*)(c + off + 8);
            int type = *(int*)(c + off + 12);
            if (len < 16) break;
            if (level == Libc.SOL_SOCKET && type == Libc.SO_TIMESTAMPNS && len >= 32)
            {
                var ts = (Libc.TimeSpec*)(c + off + 16);
                return ts->Seconds * 1_000_000_000L + ts->Nanoseconds;
            }
            off += (len + 7) & ~(nuint)7;
        }
        return 0;
    }

    public void Dispose() => _socket.Dispose();
}
