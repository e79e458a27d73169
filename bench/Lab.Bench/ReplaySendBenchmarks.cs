using System.Globalization;
using System.Net;
using BenchmarkDotNet.Attributes;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Captures.Replay;
using Lab.KernelLab.Netns;

namespace Lab.Bench;

/// <summary>
/// The replayer's send loop against the host kernel: <see cref="Frames"/> UDP frames of
/// <see cref="FrameSize"/> bytes per invocation, over the lab's AF_PACKET sender (sendmmsg
/// batches of 64, PACKET_QDISC_BYPASS, a 16 MiB send buffer: what <c>lab replay</c> opens) on
/// one end of a veth pair in a network namespace the setup creates and the cleanup removes.
/// <see cref="SendBatch"/> is the sender alone (copy into the batch, sendmmsg,
/// packet_direct_xmit, veth_xmit); <see cref="Replay"/> is <c>lab replay --timing topspeed</c>'s
/// loop, <see cref="PcapReplayer"/> reading the frames from a pcap image in memory. The frames
/// are addressed to a MAC the peer does not have, so the peer drops them at the IP layer's first
/// check (PACKET_OTHERHOST, net/ipv4/ip_input.c ip_rcv_core) and the receive side adds little.
/// Needs root; the host leaves it out with the reason where namespaces cannot be built.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Io)]
[OperationUnit("packet")]
[RequiresNetns]
public class ReplaySendBenchmarks : IDisposable
{
    const int Frames = 1024;

    /// <summary>Not veth1's address: the receiving end drops the frames early.</summary>
    static readonly FlowAddresses Flow = new(MacAddress.Parse("02:00:00:00:00:0a"), MacAddress.Parse("02:00:00:00:00:0c"),
        IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), 40000, 9);

    /// <summary>Frame bytes without the FCS: the smallest Ethernet frame and the largest at a 1500-byte MTU.</summary>
    [Params(60, 1514)]
    public int FrameSize { get; set; }

    NetnsTopology? _topology;
    AfPacketSocket? _socket;
    AfPacketSender? _sender;
    MemoryStream? _image;
    PcapReader? _reader;
    byte[] _frame = [];

    [GlobalSetup]
    public void Setup()
    {
        try
        {
            Build();
        }
        catch
        {
            // BenchmarkDotNet does not run the cleanup after a failed setup: remove the namespace here.
            Dispose();
            throw;
        }
    }

    void Build()
    {
        _topology = new NetnsTopology();
        string ns = _topology.AddNamespace("bench");
        _topology.DisableIpv6(ns);
        _topology.AddVethPair(ns, "veth0", ns, "veth1", Flow.SourceMac, MacAddress.Parse("02:00:00:00:00:0b"));
        _socket = AfPacketSocket.Open("veth0", ns, new AfPacketOptions { QdiscBypass = true, SendBufferBytes = 16 << 20 });
        _sender = new AfPacketSender(_socket, batchSize: 64);

        int payload = FrameSize - PacketHeaders.EthernetLength - FrameBuilder.UdpPacketLength(Flow, 0);
        _frame = new byte[FrameSize];
        if (FrameBuilder.WriteUdpFrame(_frame, Flow, new byte[payload]) != FrameSize) throw new InvalidOperationException("frame size");
        _image = new MemoryStream();
        using (var w = new PcapWriter(_image, leaveOpen: true))
        {
            for (int i = 0; i < Frames; i++) w.Write(1_700_000_000_000_000_000 + i * 1000L, _frame);
        }
        _image.Position = 0;
        _reader = new PcapReader(_image, "replay-send-bench", leaveOpen: true);

        // One batch before measuring: every frame must leave the sender and reach the peer.
        SendBatch();
        if (_sender.Sent != Frames || _sender.Failed != 0)
            throw new InvalidOperationException($"replay send setup: {_sender.Sent} of {Frames} frames sent, {_sender.Failed} failed (last error: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(_sender.LastErrno)})");
        long received = long.Parse(_topology.Exec(ns, "cat", "/sys/class/net/veth1/statistics/rx_packets").Trim(), CultureInfo.InvariantCulture);
        if (received == 0) throw new InvalidOperationException("replay send setup: the veth peer received none of the frames");
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public long SendBatch()
    {
        var sender = _sender!;
        for (int i = 0; i < Frames; i++)
        {
            if (!sender.TryAdd(_frame))
            {
                sender.Flush();
                sender.TryAdd(_frame);
            }
        }
        sender.Flush();
        return sender.Sent;
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public long Replay()
    {
        _reader!.Rewind();
        var r = PcapReplayer.Run(_reader, _sender!, ReplayTiming.TopSpeed, loops: 1, count: 0, progress: null, CancellationToken.None);
        return r.Packets;
    }

    /// <summary>Closes the socket and removes the namespace (the kernel deletes its veth pair with it).</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _sender?.Dispose();
        _socket?.Dispose();
        _reader?.Dispose();
        _image?.Dispose();
        _topology?.Dispose();
        _sender = null;
        _socket = null;
        _reader = null;
        _image = null;
        _topology = null;
        GC.SuppressFinalize(this);
    }
}
