using System.Runtime.InteropServices;

namespace Lab.Captures.Native;

/// <summary>
/// The lab's one P/Invoke surface: the few libc calls the AF_PACKET replayer, network namespaces,
/// the VM's tap ports and calibration need, with x86-64 Linux layouts (see packet(7), sendmmsg(2),
/// recvmsg(2), poll(2), setns(2), clock_nanosleep(2); constants from the uapi headers). Internal:
/// Lab.KernelLab sees it through InternalsVisibleTo.
/// </summary>
internal static unsafe partial class Libc
{
    const string Lib = "libc";

    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;
    public const int SOL_SOCKET = 1;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_RCVTIMEO = 20;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_TIMESTAMPNS = 35;
    public const int SOL_PACKET = 263;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_QDISC_BYPASS = 20;
    /// <summary>packet(7): do not loop our own transmitted frames back to this socket.</summary>
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const byte PACKET_OUTGOING = 4;
    public const uint SIOCGIFINDEX = 0x8933;
    public const uint SIOCGIFHWADDR = 0x8927;
    public const int CLONE_NEWNET = 0x40000000;
    public const int CLOCK_MONOTONIC = 1;
    public const int TIMER_ABSTIME = 1;
    public const int MSG_DONTWAIT = 0x40;
    public const short POLLIN = 0x001;

    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENODEV = 19;
    public const int EMSGSIZE = 90;
    public const int ENOBUFS = 105;

    /// <summary>struct sockaddr_ll (linux/if_packet.h), 20 bytes; protocol in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;   // network byte order
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public ulong Addr;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public int NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TpacketStats
    {
        public uint Packets;
        public uint Drops;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IfReq
    {
        public fixed byte Name[16];
        public int IfIndex;
        public fixed byte Pad[20];
    }

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, SockaddrLl* address, int length);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    public const int SC_CLK_TCK = 2;

    [LibraryImport(Lib, EntryPoint = "sysconf")]
    public static partial long SysConf(int name);

    /// <summary>sched_setaffinity(2) with pid 0: the calling thread only.</summary>
    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport(Lib, EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int SchedGetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);

    [LibraryImport(Lib, EntryPoint = "clock_gettime")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvSuppressGCTransition)])]
    public static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>Returns the error number itself (not -1 and errno).</summary>
    [LibraryImport(Lib, EntryPoint = "clock_nanosleep")]
    public static partial int ClockNanoSleep(int clock, int flags, TimeSpec* request, TimeSpec* remain);

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno) + $" (errno {errno})";

    /// <summary>"WHAT failed: MESSAGE (errno N)" for the last call's errno.</summary>
    public static string Failed(string what) => $"{what} failed: {ErrorText(Marshal.GetLastPInvokeError())}";
}
