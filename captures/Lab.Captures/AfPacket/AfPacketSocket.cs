using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Lab.Captures.Frames;
using Lab.Captures.Native;
using Lab.Captures.Netns;
using Lab.Core;

namespace Lab.Captures.AfPacket;

/// <summary>Socket options for <see cref="AfPacketSocket.Open"/>.</summary>
public sealed record AfPacketOptions
{
    /// <summary>EtherType to receive (host order); 0 receives nothing (a send-only socket, so no copy of every frame is queued to it).</summary>
    public ushort Protocol { get; init; }

    /// <summary>PACKET_QDISC_BYPASS: hand frames straight to the driver (packet_direct_xmit), as pktgen and trafgen do.</summary>
    public bool QdiscBypass { get; init; }

    public int? SendBufferBytes { get; init; }
    public int? ReceiveBufferBytes { get; init; }

    /// <summary>SO_TIMESTAMPNS: the kernel's receive time of each frame in a control message.</summary>
    public bool ReceiveTimestamps { get; init; }

    /// <summary>SO_RCVTIMEO, so that a receive loop can look at its cancellation token.</summary>
    public TimeSpan? ReceiveTimeout { get; init; }
}

/// <summary>
/// A raw AF_PACKET socket (packet(7)) bound to one interface, optionally created inside a
/// named network namespace (the socket stays in that namespace; see <see cref="NetworkNamespace"/>).
/// </summary>
public sealed unsafe class AfPacketSocket : IDisposable
{
    int _fd;

    public int FileDescriptor => _fd;
    public string Interface { get; }
    public string? Namespace { get; }
    public int InterfaceIndex { get; }

    AfPacketSocket(int fd, string iface, string? ns, int ifindex, MacAddress hardwareAddress)
    {
        _fd = fd;
        Interface = iface;
        Namespace = ns;
        InterfaceIndex = ifindex;
        HardwareAddress = hardwareAddress;
    }

    /// <summary>The interface's own MAC address (SIOCGIFHWADDR); zero for devices without one.</summary>
    public MacAddress HardwareAddress { get; }

    public static AfPacketSocket Open(string iface, string? netns, AfPacketOptions options)
    {
        if (iface.Length is 0 or > 15)
            throw new LabInputException($"--iface: expected an interface name of 1 to 15 characters, found '{iface}'");
        return NetworkNamespace.Run(netns, () => OpenHere(iface, netns, options));
    }

    static AfPacketSocket OpenHere(string iface, string? netns, AfPacketOptions o)
    {
        ushort protoBe = BinaryPrimitives.ReverseEndianness(o.Protocol);
        int fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protoBe);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new LabInputException($"cannot open an AF_PACKET socket: {Libc.ErrorText(errno)}" +
                (errno == Libc.EPERM ? "; it needs CAP_NET_RAW (run as root)" : ""));
        }
        try
        {
            Libc.IfReq req = default;
            byte[] name = Encoding.ASCII.GetBytes(iface);
            for (int i = 0; i < name.Length; i++) req.Name[i] = name[i];
            if (Libc.Ioctl(fd, Libc.SIOCGIFINDEX, &req) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                string where = netns is null ? "this network namespace" : $"network namespace '{netns}'";
                throw new LabInputException(errno == Libc.ENODEV
                    ? $"--iface: no interface '{iface}' in {where}"
                    : $"--iface: cannot look up '{iface}' in {where}: {Libc.ErrorText(errno)}");
            }
            var sa = new Libc.SockaddrLl { Family = Libc.AF_PACKET, Protocol = protoBe, IfIndex = req.IfIndex };
            Check(Libc.Bind(fd, &sa, sizeof(Libc.SockaddrLl)), $"bind to {iface}");
            if (o.QdiscBypass) SetInt(fd, Libc.SOL_PACKET, Libc.PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            // The FORCE variants (root) ignore net.core.wmem_max/rmem_max; fall back to the plain ones.
            if (o.SendBufferBytes is int sb && !TrySetInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, sb))
                SetInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, sb, "SO_SNDBUF");
            if (o.ReceiveBufferBytes is int rb && !TrySetInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, rb))
                SetInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, rb, "SO_RCVBUF");
            if (o.ReceiveTimestamps) SetInt(fd, Libc.SOL_SOCKET, Libc.SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
            if (o.ReceiveTimeout is TimeSpan t)
            {
                long* tv = stackalloc long[2];
                tv[0] = (long)t.TotalSeconds;
                tv[1] = (long)(t.TotalMicroseconds % 1_000_000);
                Check(Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, tv, 16), "SO_RCVTIMEO");
            }
            // SIOCGIFHWADDR fills ifr_hwaddr, a struct sockaddr after the 16-byte name: family, then the address.
            Libc.IfReq hw = req;
            var mac = default(MacAddress);
            if (Libc.Ioctl(fd, Libc.SIOCGIFHWADDR, &hw) == 0)
                mac = MacAddress.Read(new ReadOnlySpan<byte>((byte*)&hw + 18, 6));
            return new AfPacketSocket(fd, iface, netns, req.IfIndex, mac);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    /// <summary>PACKET_STATISTICS: frames queued to and dropped by this socket since the last call (the kernel resets them).</summary>
    public (uint Packets, uint Drops) ReadStatistics()
    {
        Libc.TpacketStats s;
        int len = sizeof(Libc.TpacketStats);
        Check(Libc.GetSockOpt(_fd, Libc.SOL_PACKET, Libc.PACKET_STATISTICS, &s, &len), "PACKET_STATISTICS");
        return (s.Packets, s.Drops);
    }

    static void SetInt(int fd, int level, int name, int value, string what) => Check(Libc.SetSockOpt(fd, level, name, &value, sizeof(int)), what);

    static bool TrySetInt(int fd, int level, int name, int value) => Libc.SetSockOpt(fd, level, name, &value, sizeof(int)) == 0;

    static void Check(int rc, string what)
    {
        if (rc != 0) throw new InvalidOperationException($"AF_PACKET {what}: {Libc.ErrorText(Marshal.GetLastPInvokeError())}");
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.Close(fd);
    }
}
