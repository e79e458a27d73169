using Lab.Captures.EspFrames;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Captures.Tests.Support;
using Lab.KernelLab.Validation;
using Lab.Esp;
using Lab.Esp.Replay;
using Lab.Core;

namespace Lab.Captures.Tests.Validation;

public sealed class EspTraceFramesTests
{
    static readonly byte[] Key = Convert.FromHexString("00112233445566778899aabbccddeeff01020304");

    static EspValidationSa Sa(uint spi, EspMode mode, bool outer6, bool inner6, bool udp, XfrmReplayMode replay) => new()
    {
        Check = $"sa{spi}",
        Spi = spi,
        Key = Key,
        Mode = mode,
        OuterIpv6 = outer6,
        InnerIpv6 = inner6,
        UdpEncapsulation = udp,
        Replay = replay,
        Window = 64,
    };

    [Fact]
    public void Pcap_holds_one_real_esp_frame_per_packet_sa_after_sa_each_decrypting_to_its_index()
    {
        using var tmp = new TempDirectory();
        var tunnel = Sa(0x10, EspMode.Tunnel, false, true, false, XfrmReplayMode.Bmp);
        var transport = Sa(0x11, EspMode.Transport, true, true, true, XfrmReplayMode.Esn);
        EspTracePacket P(ulong index, ulong seq, int inner) => new(index, seq, inner, DropReason.None, (long)index * 100);
        var plan = new EspValidationPlan([
            new EspSaTrace(tunnel, [P(0, 1, 46), P(1, 3, 500), P(2, 2, 5000)], default),
            new EspSaTrace(transport, [P(3, 0x7_00000001, 200)], default),
        ]);

        int clamped = EspTraceFrames.WritePcap(tmp.File("f.pcap"), plan);

        // 46 B is below the 60 B an IPv6 packet with an index needs; 5000 B above the 1400 B cap.
        Assert.Equal(2, clamped);
        using var reader = PcapReader.Open(tmp.File("f.pcap"));
        using var d1 = new EspFrameDecryptor(tunnel.ForFrames(EspTraceFrames.SenderMac, EspTraceFrames.DutMac));
        using var d2 = new EspFrameDecryptor(transport.ForFrames(EspTraceFrames.SenderMac, EspTraceFrames.DutMac));
        var inner = new byte[2048];
        var expected = new (EspFrameDecryptor D, uint SeqHi, ulong Index, uint Seq, int Length)[]
        {
            (d1, 0, 0, 1, 60), (d1, 0, 1, 3, 500), (d1, 0, 2, 2, 1400), (d2, 7, 3, 1, 200),
        };
        foreach (var e in expected)
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.Equal(EspTraceFrames.DutMac, MacAddress.Read(reader.Data));
            var r = e.D.Open(reader.Data, inner, e.SeqHi);
            Assert.Equal(EspOpenStatus.Ok, r.Status);
            Assert.Equal(e.Seq, r.Frame.SequenceLow);
            Assert.Equal(e.Length, r.InnerLength);
            Assert.True(PacketIndex.TryReadFromIpPacket(inner.AsSpan(0, r.InnerLength), out ulong index));
            Assert.Equal(e.Index, index);
        }
        Assert.False(reader.TryReadNext(out _));
    }

    [Fact]
    public void Esn_frames_authenticate_the_high_half_of_the_sequence_number()
    {
        // RFC 4303 appendix A / RFC 4106 section 5: seq_hi is in the AAD, not on the wire, so a
        // receiver that infers the wrong block fails the ICV; this is what the kernel's ESN
        // window relies on when it takes an old packet for the next block.
        var sa = Sa(0x20, EspMode.Tunnel, false, false, false, XfrmReplayMode.Esn);
        var frame = new byte[2048];
        var inner = new byte[2048];
        using var builder = new EspFrameBuilder(sa.ForFrames(EspTraceFrames.SenderMac, EspTraceFrames.DutMac));
        int n = EspTraceFrames.Build(builder, sa, new EspTracePacket(9, 0x5_00000010, 100, DropReason.None, 0), frame, out _);
        using var d = new EspFrameDecryptor(sa.ForFrames(EspTraceFrames.SenderMac, EspTraceFrames.DutMac));

        Assert.Equal(EspOpenStatus.Ok, d.Open(frame.AsSpan(0, n), inner, sequenceHigh: 5).Status);
        Assert.Equal(EspOpenStatus.IntegrityFailed, d.Open(frame.AsSpan(0, n), inner, sequenceHigh: 6).Status);
    }

    [Theory]
    [InlineData(false, 40)]  // 20 IPv4 + 8 UDP + 12 index
    [InlineData(true, 60)]   // 40 IPv6 + 8 UDP + 12 index
    public void Smallest_inner_packet_holds_the_headers_and_the_index(bool v6, int expected) =>
        Assert.Equal(expected, EspTraceFrames.MinInnerLength(v6));

    [Fact]
    public void Plan_refuses_reused_spis_and_indices_and_long_sequences_without_esn()
    {
        var sa = Sa(0x30, EspMode.Tunnel, false, false, false, XfrmReplayMode.Bmp);
        var p = new EspTracePacket(1, 0x1_00000000, 64, DropReason.None, 0);
        var plan = new EspValidationPlan([new EspSaTrace(sa, [p], default), new EspSaTrace(sa, [p], default)]);

        var e = Assert.Throws<Lab.Core.LabInputException>(plan.Validate);

        Assert.Equal([
            "sa48: packet 1 has sequence number 0x100000000, above 32 bits on an SA without ESN",
            "sa48: SPI 0x00000030 is used by another SA of the same run",
            "sa48: packet index 1 is not unique",
            "sa48: packet 1 has sequence number 0x100000000, above 32 bits on an SA without ESN",
        ], e.Problems);
    }
}
