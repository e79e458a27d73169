using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Lab.Captures.Native;

namespace Lab.KernelLab.Vm;

/// <summary>
/// A raw AF_PACKET socket (packet(7)) on one of a <see cref="KernelVm"/>'s tap devices, made
/// inside the VM's namespace: <see cref="Send"/> delivers a whole Ethernet frame to the
/// guest's interface, <see cref="Receive"/> returns the frames the guest sent. Our own
/// transmissions are not looped back (PACKET_IGNORE_OUTGOING). Kept deliberately small:
/// the fast replayer (sendmmsg, TX ring) lives elsewhere in Lab.Captures.
/// </summary>
public sealed unsafe class TapPort : IDisposable
{
    private const int MaxFrame = 65536;
    private readonly byte[] _sendBuffer = new byte[MaxFrame];
    private int _fd;

    private TapPort(int fd, string netns, string interfaceName, int ifIndex)
    {
        _fd = fd;
        Netns = netns;
        Interface = interfaceName;
        IfIndex = ifIndex;
    }

    public string Netns { get; }

    public string Interface { get; }

    public int IfIndex { get; }

    /// <summary>Opens a socket bound to <paramref name="interfaceName"/> in namespace <paramref name="netns"/>.</summary>
    public static TapPort Open(string netns, string interfaceName) => NetnsThread.Run(netns, () =>
    {
        var index = (int)Libc.IfNameToIndex(interfaceName);
        if (index == 0)
            throw new VmException(Libc.Failed($"if_nametoindex {interfaceName} in {netns}"));
        var proto = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(Libc.ETH_P_ALL) : Libc.ETH_P_ALL;
        var fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, proto);
        if (fd < 0)
            throw new VmException(Libc.Failed("socket(AF_PACKET)"));
        try
        {
            var one = 1;
            if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, Libc.PACKET_IGNORE_OUTGOING, &one, sizeof(int)) != 0)
                throw new VmException(Libc.Failed("setsockopt PACKET_IGNORE_OUTGOING"));
            var addr = new Libc.SockaddrLl { Family = Libc.AF_PACKET, Protocol = proto, IfIndex = index };
            if (Libc.Bind(fd, &addr, sizeof(Libc.SockaddrLl)) != 0)
                throw new VmException(Libc.Failed($"bind AF_PACKET to {interfaceName}"));
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
        return new TapPort(fd, netns, interfaceName, index);
    });

    /// <summary>Sends one complete Ethernet frame (no FCS).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (frame.Length > MaxFrame)
            throw new ArgumentException($"frame of {frame.Length} bytes exceeds {MaxFrame}", nameof(frame));
        frame.CopyTo(_sendBuffer);
        nint n;
        fixed (byte* data = _sendBuffer)
            n = Libc.Send(_fd, data, (nuint)frame.Length, 0);
        if (n != frame.Length)
            throw new IOException(Libc.Failed($"send on {Interface}"));
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a frame from the guest and copies it into
    /// <paramref name="buffer"/>; returns its length (frames longer than the buffer are cut),
    /// or -1 when none arrived in time.
    /// </summary>
    public int Receive(byte[] buffer, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var left = deadline - Environment.TickCount64;
            if (left < 0)
                return -1;
            var poll = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
            var r = Libc.Poll(&poll, 1, (int)Math.Min(left, int.MaxValue));
            if (r < 0)
            {
                if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                    continue;
                throw new IOException(Libc.Failed("poll"));
            }
            if (r == 0)
                return -1;
            nint n;
            fixed (byte* data = buffer)
                n = Libc.Recv(_fd, data, (nuint)buffer.Length, 0);
            if (n >= 0)
                return (int)n;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR && errno != Libc.EAGAIN)
                throw new IOException(Libc.Failed($"recv on {Interface}"));
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
