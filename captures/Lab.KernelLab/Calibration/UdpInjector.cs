using System.Net;
using System.Runtime.InteropServices;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.Captures.Native;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// Sends UDP frames of one size through the lab's AF_PACKET sendmmsg sender (qdisc bypass), patching the
/// ports of one template per packet. Every load does the same per-packet work (patch four bytes, copy,
/// send), so the injector's own cost is the same in every configuration and cancels in a differential.
/// UDP checksums are zero (allowed over IPv4, RFC 768), so a port change needs no checksum update.
/// </summary>
public sealed unsafe class UdpInjector : IDisposable
{
    /// <summary>First source port of the tuples; established flow f uses BasePort + f.</summary>
    public const ushort BasePort = 1024;
    const int PortSpan = 64_000;
    const int UdpPortsOffset = PacketHeaders.EthernetLength + PacketHeaders.Ipv4Length;
    const int IpOffset = PacketHeaders.EthernetLength;

    readonly AfPacketSender _sender;
    readonly byte[] _frame;

    /// <param name="source">Where the frames come from (10.0.0.2 in the meter).</param>
    /// <param name="frameBytes">With FCS, as <see cref="MeterLoad.FrameBytes"/>.</param>
    public UdpInjector(AfPacketSocket socket, MacAddress sourceMac, MacAddress destinationMac, IPAddress source, IPAddress destination,
        int frameBytes, int batch)
    {
        _sender = new AfPacketSender(socket, batch);
        int length = frameBytes - 4;
        _frame = new byte[length];
        int payload = length - PacketHeaders.EthernetLength - PacketHeaders.Ipv4Length - PacketHeaders.UdpLength;
        var flow = new FlowAddresses(sourceMac, destinationMac, source, destination, BasePort, 9);
        int n = FrameBuilder.WriteUdpFrame(_frame, flow, new byte[payload]);
        if (n != length) throw new InvalidOperationException($"built a {n}-byte frame, expected {length}");
        _frame[UdpPortsOffset + 6] = 0; // UDP checksum 0: not computed
        _frame[UdpPortsOffset + 7] = 0;
    }

    public long Sent => _sender.Sent;
    public long Failed => _sender.Failed;

    /// <summary>sendmmsg calls retried after EAGAIN, ENOBUFS or EINTR (back pressure: the send buffer full, or the device refusing).</summary>
    public long Retries => _sender.Retries;

    /// <summary>The ports of packet <paramref name="index"/> of a load: flow index into (source, destination) port.</summary>
    public static (ushort Source, ushort Destination) Ports(MeterLoad load, long index, int destinationBase = 10_000)
    {
        if (!load.NewFlows) return ((ushort)(BasePort + index % load.Flows), 9);
        long flow = index / load.PacketsPerNewFlow;
        return ((ushort)(BasePort + flow % PortSpan), (ushort)(destinationBase + flow / PortSpan));
    }

    /// <summary>The most new flows one pass can have before the destination ports run out.</summary>
    public static long MaxNewFlows(int destinationBase = 10_000) => (long)(65_535 - destinationBase) * PortSpan;

    /// <summary>
    /// Sends packets <paramref name="first"/> .. first+count-1 of <paramref name="load"/>, paced to its offered rate when it
    /// has one (absolute deadlines per batch, sleeping only: a spin would add busy time), then returns.
    /// </summary>
    public void Send(MeterLoad load, long first, long count, int destinationBase, CancellationToken ct)
    {
        var frame = _frame.AsSpan();
        long start = MonotonicClock.NowNanoseconds();
        double nsPerPacket = load.OfferedPps is double pps ? 1e9 / pps : 0;
        long sentHere = 0;
        var plan = load.NewFlows ? load.Addresses : null;
        for (long i = first; i < first + count; i++)
        {
            ushort sp, dp;
            if (plan is null) (sp, dp) = Ports(load, i, destinationBase);
            else
            {
                // The scenario's tuple of this flow: addresses change too, and with them the IP header checksum.
                var t = plan.Tuple(i / load.PacketsPerNewFlow);
                (sp, dp) = (t.SourcePort, t.DestinationPort);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame[(IpOffset + 12)..], t.Source);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame[(IpOffset + 16)..], t.Destination);
                PacketHeaders.FixIpv4Checksum(frame[IpOffset..]);
            }
            frame[UdpPortsOffset] = (byte)(sp >> 8);
            frame[UdpPortsOffset + 1] = (byte)sp;
            frame[UdpPortsOffset + 2] = (byte)(dp >> 8);
            frame[UdpPortsOffset + 3] = (byte)dp;
            if (!_sender.TryAdd(frame))
            {
                Flush(ref sentHere, start, nsPerPacket, ct);
                _sender.TryAdd(frame);
            }
        }
        Flush(ref sentHere, start, nsPerPacket, ct);
    }

    void Flush(ref long sentHere, long start, double nsPerPacket, CancellationToken ct)
    {
        int n = _sender.Count;
        if (n == 0) return;
        ct.ThrowIfCancellationRequested();
        if (nsPerPacket > 0) MonotonicClock.WaitUntil(start + (long)(sentHere * nsPerPacket), spinNanoseconds: 0);
        _sender.Flush();
        sentHere += n;
    }

    /// <summary>Runs <paramref name="action"/> on a new thread pinned to <paramref name="cpu"/> (when given) and waits for it.</summary>
    public static void OnThread(int? cpu, Action action)
    {
        Exception? failure = null;
        var t = new Thread(() =>
        {
            try
            {
                if (cpu is int c) Pin(c);
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "lab injector" };
        t.Start();
        t.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    static void Pin(int cpu)
    {
        if (cpu is < 0 or >= 64) throw new ArgumentOutOfRangeException(nameof(cpu), cpu, "CPU 0 to 63");
        ulong mask = 1UL << cpu;
        if (Libc.SchedSetAffinity(0, sizeof(ulong), &mask) != 0)
            throw new InvalidOperationException($"cannot pin the injector to CPU {cpu}: {Libc.ErrorText(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>
    /// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID: the scheduler's exact runtime, steal excluded). Without
    /// IRQ_TIME_ACCOUNTING it includes the softirqs that run in the thread's context, which is where veth's receive
    /// and the router's forwarding run when the thread injects.
    /// </summary>
    public static long ThreadCpuNanoseconds() => ThreadCpuTime.Nanoseconds();

    /// <summary>The CPUs this process may run on (sched_getaffinity).</summary>
    public static IReadOnlyList<int> AllowedCpus()
    {
        ulong mask = 0;
        if (Libc.SchedGetAffinity(0, sizeof(ulong), &mask) != 0) return [.. Enumerable.Range(0, Environment.ProcessorCount)];
        var list = new List<int>();
        for (int i = 0; i < 64; i++) if ((mask & (1UL << i)) != 0) list.Add(i);
        return list;
    }

    public void Dispose() => _sender.Dispose();
}
