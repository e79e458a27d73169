using System.Net;
using Lab.Captures.EspFrames;
using Lab.Captures.Pcap;

namespace Lab.Cli.Tests;

/// <summary>A pcap of real AES-GCM ESP frames (the lab's own builder, SPI 0x1234), 1 ms apart, with sequence numbers 1 2 4 5 3 6.</summary>
static class EspTestCapture
{
    public static readonly ulong[] Order = [1, 2, 4, 5, 3, 6];

    public static void Write(string path, long firstNanoseconds = 0)
    {
        var sa = new EspSecurityAssociation
        {
            Spi = 0x1234,
            KeyMaterial = Convert.FromHexString("00112233445566778899aabbccddeeff" + "deadbeef"),
            TunnelSource = IPAddress.Parse("198.51.100.1"),
            TunnelDestination = IPAddress.Parse("198.51.100.2"),
        };
        using var w = PcapWriter.Create(path);
        using var b = new EspFrameBuilder(sa);
        // A 40-byte IPv4/UDP inner packet (version 4, IHL 5, total length 40, TTL 64, protocol 17).
        var inner = new byte[40];
        inner[0] = 0x45;
        inner[3] = 40;
        inner[8] = 64;
        inner[9] = 17;
        var frame = new byte[200];
        for (int i = 0; i < Order.Length; i++)
        {
            int n = b.Build(frame, inner, Order[i]);
            w.Write(firstNanoseconds + i * 1_000_000L, frame.AsSpan(0, n));
        }
        w.Commit();
    }
}
