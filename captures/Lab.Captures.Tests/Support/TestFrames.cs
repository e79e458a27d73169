using System.Net;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;

namespace Lab.Captures.Tests.Support;

/// <summary>Indexed UDP frames and pcaps of them.</summary>
public static class TestFrames
{
    public static readonly MacAddress SenderMac = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress ReceiverMac = MacAddress.Parse("02:00:00:00:00:0b");

    public static readonly FlowAddresses Flow = new(SenderMac, ReceiverMac,
        IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), 40000, 9);

    /// <summary>A UDP frame whose payload starts with the packet index, padded to <paramref name="payloadLength"/>.</summary>
    public static byte[] Indexed(ulong index, int payloadLength = 18)
    {
        var payload = new byte[payloadLength];
        PacketIndex.Write(payload, index);
        var frame = new byte[PacketHeaders.EthernetLength + FrameBuilder.UdpPacketLength(Flow, payloadLength)];
        int n = FrameBuilder.WriteUdpFrame(frame, Flow, payload, (ushort)index);
        return frame[..n];
    }

    /// <summary>Writes <paramref name="count"/> indexed frames spaced <paramref name="gapNanoseconds"/> apart.</summary>
    public static void WritePcap(string path, int count, long gapNanoseconds, long startNanoseconds = 1_700_000_000_000_000_000)
    {
        using var w = PcapWriter.Create(path);
        for (int i = 0; i < count; i++) w.Write(startNanoseconds + i * gapNanoseconds, Indexed((ulong)i));
        w.Commit();
    }
}
