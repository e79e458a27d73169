using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Lab.Captures.Vm;

/// <summary>
/// A raw AF_PACKET socket (packet(7)) on one of a <see cref="KernelVm"/>'s tap devices, made
/// inside the VM's namespace: <see cref="Send"/> delivers a whole Ethernet frame to the
/// guest's interface, <see cref="Receive"/> returns the frames the guest sent. Our own
/// transmissions are not looped back (PACKET_IGNORE_OUTGOING). Kept deliberately small:
/// the fast replayer (sendmmsg, TX ring) lives elsewhere in Lab.Captures.
/// </summary>
public sealed class TapPort : IDisposable
{
    private const int MaxFrame = 65536;
    private readonly byte[] _sendBuffer = new byte[MaxFrame];
    private readonly VmNative.PollFd[] _poll = new VmNative.PollFd[1];
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
        var index = (int)VmNative.if_nametoindex(interfaceName);
        if (index == 0)
            throw new VmException(VmNative.Errno($"if_nametoindex {interfaceName} in {netns}"));
        var proto = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(VmNative.ETH_P_ALL) : VmNative.ETH_P_ALL;
        var fd = VmNative.socket(VmNative.AF_PACKET, VmNative.SOCK_RAW | VmNative.SOCK_CLOEXEC, proto);
        if (fd < 0)
            throw new VmException(VmNative.Errno("socket(AF_PACKET)"));
        try
        {
            var one = 1;
            if (VmNative.setsockopt(fd, VmNative.SOL_PACKET, VmNative.PACKET_IGNORE_OUTGOING, ref one, sizeof(int)) != 0)
                throw new VmException(VmNative.Errno("setsockopt PACKET_IGNORE_OUTGOING"));
            var addr = new VmNative.SockaddrLl { Family = VmNative.AF_PACKET, Protocol = proto, IfIndex = index };
            if (VmNative.bind(fd, ref addr, Marshal.SizeOf<VmNative.SockaddrLl>()) != 0)
                throw new VmException(VmNative.Errno($"bind AF_PACKET to {interfaceName}"));
        }
        catch
        {
            VmNative.close(fd);
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
        var n = VmNative.send(_fd, _sendBuffer, (nuint)frame.Length, 0);
        if (n != frame.Length)
            throw new IOException(VmNative.Errno($"send on {Interface}"));
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
            _poll[0] = new VmNative.PollFd { Fd = _fd, Events = VmNative.POLLIN };
            var r = VmNative.poll(_poll, 1, (int)Math.Min(left, int.MaxValue));
            if (r < 0)
            {
                if (Marshal.GetLastPInvokeError() == VmNative.EINTR)
                    continue;
                throw new IOException(VmNative.Errno("poll"));
            }
            if (r == 0)
                return -1;
            var n = VmNative.recv(_fd, buffer, (nuint)buffer.Length, 0);
            if (n >= 0)
                return (int)n;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != VmNative.EINTR && errno != VmNative.EAGAIN)
                throw new IOException(VmNative.Errno($"recv on {Interface}"));
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            VmNative.close(fd);
    }
}
