using System.Buffers.Binary;
using System.Net;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Validation;

/// <summary>
/// Injects frames into the DUT's ingress link over AF_PACKET (sendmmsg batches with
/// PACKET_QDISC_BYPASS, <see cref="AfPacketSender"/>) without ever overrunning it: after every
/// <see cref="Window"/> frames it sends an ICMP echo request to the DUT's ingress address and
/// waits for the reply. The DUT handles its receive queue in order on one CPU, so the reply
/// means every frame before the request has been through the receive path (ESP input with
/// synchronous crypto included); at most <see cref="Window"/> + 1 frames are ever queued,
/// far below the tap's 500-frame queue, virtio's 256-entry ring and netdev_max_backlog (1000).
/// Timing is not replayed: per-SA order, not time, decides replay verdicts.
/// </summary>
public sealed class BarrierInjector : IDisposable
{
    const ushort EchoId = 0x4c56; // "LV"
    static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);

    readonly IDeviceUnderTest _dut;
    readonly AfPacketSocket _socket;
    readonly AfPacketSender _sender;
    readonly TapPort _control;
    readonly byte[] _echo = new byte[PacketHeaders.EthernetLength + PacketHeaders.Ipv4Length + 16];
    readonly byte[] _reply = new byte[2048];
    readonly byte[] _frame = new byte[65536];
    int _pending;
    ushort _barrierSeq;

    public BarrierInjector(IDeviceUnderTest dut, int window = 32)
    {
        ArgumentNullException.ThrowIfNull(dut);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, 200);
        _dut = dut;
        Window = window;
        _socket = AfPacketSocket.Open(dut.InjectInterface, dut.InjectNamespace, new AfPacketOptions { QdiscBypass = true });
        try
        {
            _sender = new AfPacketSender(_socket, Math.Min(window, 64));
            _control = TapPort.Open(dut.InjectNamespace, dut.InjectInterface);
        }
        catch
        {
            _sender?.Dispose();
            _socket.Dispose();
            throw;
        }
    }

    public int Window { get; }

    /// <summary>Frames sent, barriers included.</summary>
    public long FramesSent { get; private set; }

    public long Barriers { get; private set; }

    /// <summary>Queues a copy of <paramref name="frame"/> with the ingress link's Ethernet addresses (the pcap's are placeholders).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < PacketHeaders.EthernetLength || frame.Length > _frame.Length)
            throw new ArgumentException($"a frame of {frame.Length} bytes cannot be injected", nameof(frame));
        frame.CopyTo(_frame);
        _dut.DutIngressMac.WriteTo(_frame);
        _dut.HostIngressMac.WriteTo(_frame.AsSpan(6));
        var f = _frame.AsSpan(0, frame.Length);
        if (!_sender.TryAdd(f))
        {
            Flush();
            _sender.TryAdd(f);
        }
        if (++_pending >= Window) Barrier();
    }

    /// <summary>Sends what is queued and waits until the DUT has taken all of it.</summary>
    public void Barrier()
    {
        Flush();
        _barrierSeq++;
        int n = EchoBarrierFrames.Write(_echo, _dut.HostIngressMac, _dut.DutIngressMac, IPAddress.Parse(DutAddresses.HostIngress4), IPAddress.Parse(DutAddresses.DutIngress4), EchoId, _barrierSeq, identification: _barrierSeq);
        _control.Send(_echo.AsSpan(0, n));
        FramesSent++;
        Barriers++;
        var deadline = DateTime.UtcNow + ReplyTimeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            int len = left <= TimeSpan.Zero ? -1 : _control.Receive(_reply, left);
            if (len < 0)
                throw new TimeoutException($"the DUT did not answer barrier echo {_barrierSeq} within {ReplyTimeout.TotalSeconds:0} s ({FramesSent} frames sent)");
            if (EchoBarrierFrames.IsReply(_reply.AsSpan(0, len), EchoId, _barrierSeq)) break;
        }
        _pending = 0;
    }

    void Flush()
    {
        long before = _sender.Sent;
        _sender.Flush();
        if (_sender.Failed > 0) throw new IOException($"AF_PACKET sendmmsg on {_dut.InjectInterface} refused {_sender.Failed} frames (errno {_sender.LastErrno})");
        FramesSent += _sender.Sent - before;
    }

    public void Dispose()
    {
        _control.Dispose();
        _sender.Dispose();
        _socket.Dispose();
    }
}
