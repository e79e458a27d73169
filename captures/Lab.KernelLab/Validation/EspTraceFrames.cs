using System.Net;
using Lab.Captures.EspFrames;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;

namespace Lab.KernelLab.Validation;

/// <summary>
/// Turns a validation plan into the frames the kernel receives and writes them as a pcap, SA
/// after SA in plan order: each inner packet is a UDP datagram whose payload starts with the
/// packet's index (<see cref="PacketIndex"/>), padded to the simulated inner length, encrypted
/// with real AES-GCM for its SA (<see cref="EspFrameBuilder"/>: RFC 4106 nonce and AAD, the
/// full sequence number in the AAD with ESN). The explicit IV is the packet index, unique per
/// key within a run, so that a duplicate (the same sequence number sent twice) is still a
/// well-formed frame of its own.
/// </summary>
public static class EspTraceFrames
{
    /// <summary>Inner packets are kept at or below this, so that every outer packet fits a 1500-byte MTU
    /// (IPv6 tunnel with UDP encapsulation adds at most 40 + 8 + 16 + 5 + 16 = 85 bytes).</summary>
    public const int MaxInnerLength = 1400;

    /// <summary>The smallest inner packet that carries an index: IP header, UDP header, 12 bytes.</summary>
    public static int MinInnerLength(bool ipv6) => (ipv6 ? PacketHeaders.Ipv6Length : PacketHeaders.Ipv4Length) + PacketHeaders.UdpLength + PacketIndex.Length;

    /// <summary>The inner length actually sent for a requested one.</summary>
    public static int InnerLengthFor(EspValidationSa sa, int requested) =>
        Math.Clamp(requested, MinInnerLength(sa.DecryptedIpv6), MaxInnerLength);

    /// <summary>Ethernet source of the frames in the pcap (the injector puts the real link's addresses in).</summary>
    public static readonly MacAddress SenderMac = MacAddress.Parse("02:00:00:00:00:01");

    /// <summary>Ethernet destination of the frames in the pcap.</summary>
    public static readonly MacAddress DutMac = MacAddress.Parse("02:00:00:00:00:02");

    /// <summary>Writes every frame of the plans to <paramref name="path"/> (atomically), plan after plan; returns how many inner lengths were clamped.</summary>
    public static int WritePcap(string path, params IReadOnlyList<EspValidationPlan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        using var w = PcapWriter.Create(path);
        int clamped = 0;
        var frame = new byte[2048];
        long last = 0;
        foreach (var t in plans.SelectMany(p => p.Traces))
        {
            using var builder = new EspFrameBuilder(t.Sa.ForFrames(SenderMac, DutMac));
            long offset = last;
            foreach (var p in t.Packets)
            {
                int n = Build(builder, t.Sa, p, frame, out bool wasClamped);
                if (wasClamped) clamped++;
                // SA after SA on one time line: each SA's simulated times, shifted past the previous SA.
                long ts = Math.Max(last, offset + p.TimestampNanoseconds);
                w.Write(ts, frame.AsSpan(0, n));
                last = ts;
            }
            last += 1_000_000;
        }
        w.Commit();
        return clamped;
    }

    /// <summary>Builds one ESP frame; returns its length.</summary>
    public static int Build(EspFrameBuilder builder, EspValidationSa sa, in EspTracePacket packet, Span<byte> frame, out bool clamped)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sa);
        int length = InnerLengthFor(sa, packet.InnerLength);
        clamped = length != packet.InnerLength;
        Span<byte> inner = stackalloc byte[MaxInnerLength];
        int n = WriteInner(inner, sa, packet.Index, length);
        return builder.Build(frame, inner[..n], packet.Sequence, iv: packet.Index);
    }

    /// <summary>The inner IP packet: UDP to the discard port, index first, then zeros up to <paramref name="length"/>.</summary>
    public static int WriteInner(Span<byte> inner, EspValidationSa sa, ulong index, int length)
    {
        ArgumentNullException.ThrowIfNull(sa);
        bool v6 = sa.DecryptedIpv6;
        IPAddress src, dst;
        if (sa.Mode == EspMode.Tunnel)
        {
            src = IPAddress.Parse(DutAddresses.InnerSource(sa.InnerIpv6, sa.OuterIpv6));
            dst = IPAddress.Parse(v6 ? DutAddresses.InnerDestination6 : DutAddresses.InnerDestination4);
        }
        else
        {
            src = IPAddress.Parse(v6 ? DutAddresses.HostIngress6 : DutAddresses.HostIngress4);
            dst = IPAddress.Parse(v6 ? DutAddresses.DutIngress6 : DutAddresses.DutIngress4);
        }
        var flow = new FlowAddresses(default, default, src, dst, DutAddresses.InnerSourcePort, DutAddresses.InnerDestinationPort);
        int payloadLength = length - MinInnerLength(v6) + PacketIndex.Length;
        Span<byte> payload = stackalloc byte[payloadLength];
        payload.Clear();
        PacketIndex.Write(payload, index);
        return FrameBuilder.WriteUdpPacket(inner, flow, payload, (ushort)index);
    }
}
