using System.Runtime.InteropServices;

namespace Lab.Captures.Vm;

/// <summary>
/// The few libc calls the VM harness needs: entering a network namespace on one thread
/// (setns(2)) and a raw AF_PACKET socket (packet(7)) bound to the tap device there.
/// </summary>
internal static class VmNative
{
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOCK_NONBLOCK = 0x800;
    public const int CLONE_NEWNET = 0x40000000;
    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;
    public const int SOL_PACKET = 263;
    /// <summary>packet(7): do not loop our own transmitted frames back to this socket.</summary>
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const ushort ETH_P_ALL = 0x0003;
    public const short POLLIN = 0x001;
    public const int EINTR = 4;
    public const int EAGAIN = 11;

    /// <summary>struct sockaddr_ll (linux/if_packet.h), 20 bytes; protocol in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public ulong Addr;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [DllImport("libc", SetLastError = true)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int setns(int fd, int nstype);

    [DllImport("libc", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    public static extern int bind(int fd, ref SockaddrLl addr, int addrlen);

    [DllImport("libc", SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int optname, ref int optval, int optlen);

    [DllImport("libc", SetLastError = true)]
    public static extern uint if_nametoindex([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", SetLastError = true)]
    public static extern nint send(int fd, byte[] buf, nuint len, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern nint recv(int fd, byte[] buf, nuint len, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int poll([In, Out] PollFd[] fds, nuint nfds, int timeoutMs);



    public static string Errno(string what) =>
        $"{what} failed: {Marshal.GetLastPInvokeErrorMessage()} (errno {Marshal.GetLastPInvokeError()})";
}
