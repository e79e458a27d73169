using System.Buffers.Binary;
using System.Net;
using Lab.Captures.EspFrames;
using Lab.Captures.Frames;
using Lab.Captures.Tests.Support;

namespace Lab.Captures.Tests;

public sealed class EspFrameTests
{
    static readonly byte[] Key = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10" + "a1a2a3a4");

    static EspSecurityAssociation Sa(EspMode mode, bool v6, bool encap, bool esn) => new()
    {
        Spi = 0x0000c0de,
        KeyMaterial = Key,
        Mode = mode,
        Esn = esn,
        TunnelSource = IPAddress.Parse(v6 ? "2001:db8:ffff::1" : "198.51.100.1"),
        TunnelDestination = IPAddress.Parse(v6 ? "2001:db8:ffff::2" : "198.51.100.2"),
        EncapSourcePort = encap ? (ushort)4500 : null,
        EncapDestinationPort = encap ? (ushort)4500 : null,
    };

    static byte[] InnerUdp(bool v6, int payloadLength, ulong index)
    {
        var flow = TestFrames.Flow with
        {
            Source = IPAddress.Parse(v6 ? "2001:db8::1" : "192.0.2.1"),
            Destination = IPAddress.Parse(v6 ? "2001:db8::2" : "192.0.2.2"),
        };
        var payload = new byte[payloadLength];
        PacketIndex.Write(payload, index);
        var buf = new byte[2000];
        return buf[..FrameBuilder.WriteUdpPacket(buf, flow, payload)];
    }

    [Theory]
    [InlineData(0, "01020204")]   // 0 + 2 -> 4: two pad bytes
    [InlineData(1, "010104")]     // 1 + 2 -> 4: one pad byte
    [InlineData(2, "0004")]       // 2 + 2 -> 4: no padding
    [InlineData(3, "0102030304")] // 3 + 2 -> 8: three pad bytes
    public void Trailer_pads_payload_plus_two_to_four_bytes_like_linux(int payload, string expected)
    {
        var t = new byte[8];
        int n = EspTrailer.Write(t, payload, 4);
        Assert.Equal(expected, Convert.ToHexStringLower(t.AsSpan(0, n)));
        Assert.Equal(n, EspTrailer.Length(payload));
    }

    [Fact]
    public void Nat_t_tunnel_of_a_1438_byte_inner_packet_is_exactly_1500_bytes()
    {
        // Issue 3's worked example: 20 (IPv4) + 8 (UDP) + 8 (SPI, seq) + 8 (IV) + 1438 + 2 (trailer,
        // 1440 is already a multiple of 4) + 16 (ICV) = 1500.
        Assert.Equal(1500, EspFrameBuilder.OuterPacketLength(Sa(EspMode.Tunnel, false, true, false), false, 1438, 20));
    }

    public static TheoryData<EspMode, bool, bool, bool> Variants()
    {
        var d = new TheoryData<EspMode, bool, bool, bool>();
        foreach (var mode in new[] { EspMode.Tunnel, EspMode.Transport })
            foreach (bool v6 in new[] { false, true })
                foreach (bool encap in new[] { false, true })
                    foreach (bool esn in new[] { false, true })
                        d.Add(mode, v6, encap, esn);
        return d;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Frames_round_trip_with_exact_sizes_and_headers(EspMode mode, bool v6, bool encap, bool esn)
    {
        var sa = Sa(mode, v6, encap, esn);
        byte[] inner = InnerUdp(v6, 33, 77);
        ulong seq = esn ? 0x1_0000_0005UL : 5UL;
        var frame = new byte[2000];
        using var builder = new EspFrameBuilder(sa);
        int n = builder.Build(frame, inner, seq);

        int innerHeader = v6 ? 40 : 20;
        int outerHeader = v6 ? 40 : 20;
        int udp = encap ? 8 : 0;
        int encrypted = mode == EspMode.Tunnel ? inner.Length : inner.Length - innerHeader;
        int trailer = ((encrypted + 2 + 3) & ~3) - encrypted;
        Assert.Equal(14 + outerHeader + udp + 16 + encrypted + trailer + 16, n);

        var ip = frame.AsSpan(14, n - 14);
        if (v6)
        {
            Assert.Equal(n - 14 - 40, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
            Assert.Equal(encap ? 17 : 50, ip[6]);
        }
        else
        {
            Assert.Equal(n - 14, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
            Assert.Equal(encap ? 17 : 50, ip[9]);
            Assert.Equal(0, InternetChecksum.Compute(ip[..20]));
        }
        if (encap)
        {
            var u = ip.Slice(outerHeader, n - 14 - outerHeader);
            Assert.Equal(4500, BinaryPrimitives.ReadUInt16BigEndian(u));
            Assert.Equal(4500, BinaryPrimitives.ReadUInt16BigEndian(u[2..]));
            Assert.Equal(u.Length, BinaryPrimitives.ReadUInt16BigEndian(u[4..]));
            if (v6)
                Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeader(ip[8..24], ip[24..40], 17, u.Length), u)));
            else
                Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(u[6..])); // RFC 3948 2.1
        }

        var info = EspFrameParser.Parse(frame.AsSpan(0, n));
        Assert.Equal(encap ? EspFrameKind.UdpEncapsulatedEsp : EspFrameKind.Esp, info.Kind);
        Assert.Equal(0x0000c0deu, info.Spi);
        Assert.Equal(5u, info.SequenceLow);

        using var decryptor = new EspFrameDecryptor(sa);
        var output = new byte[2000];
        var r = decryptor.Open(frame.AsSpan(0, n), output, sequenceHigh: esn ? 1u : 0u);
        Assert.Equal(EspOpenStatus.Ok, r.Status);
        Assert.Equal(mode == EspMode.Transport ? 17 : v6 ? 41 : 4, r.NextHeader);
        Assert.Equal(trailer - 2, r.PadLength);
        Assert.True(r.PaddingMonotonic);
        // Transport mode gives back the original packet too: protocol, length and checksum restored.
        Assert.Equal(inner, output[..r.InnerLength]);
        Assert.True(PacketIndex.TryReadFromIpPacket(output.AsSpan(0, r.InnerLength), out ulong index));
        Assert.Equal(77UL, index);

        if (esn)
            Assert.Equal(EspOpenStatus.IntegrityFailed, decryptor.Open(frame.AsSpan(0, n), output, sequenceHigh: 0).Status);
        frame[n - 20] ^= 1; // a ciphertext bit
        Assert.Equal(EspOpenStatus.IntegrityFailed, decryptor.Open(frame.AsSpan(0, n), output, sequenceHigh: esn ? 1u : 0u).Status);
    }

    [Fact]
    public void Other_spi_is_not_this_sa()
    {
        var sa = Sa(EspMode.Tunnel, false, false, false);
        using var builder = new EspFrameBuilder(sa with { Spi = 0x99 });
        var frame = new byte[2000];
        int n = builder.Build(frame, InnerUdp(false, 12, 1), 1);
        using var d = new EspFrameDecryptor(sa);
        Assert.Equal(EspOpenStatus.WrongSpi, d.Open(frame.AsSpan(0, n), new byte[2000]).Status);
    }

    [Fact]
    public void Keepalive_and_ike_on_port_4500_are_told_apart_from_esp()
    {
        var flow = TestFrames.Flow with { SourcePort = 4500, DestinationPort = 4500 };
        var buf = new byte[200];
        int n = FrameBuilder.WriteUdpFrame(buf, flow, [0xFF]);
        Assert.Equal(EspFrameKind.NatKeepalive, EspFrameParser.Parse(buf.AsSpan(0, n)).Kind);
        n = FrameBuilder.WriteUdpFrame(buf, flow, new byte[40]);
        Assert.Equal(EspFrameKind.IkeNonEspMarker, EspFrameParser.Parse(buf.AsSpan(0, n)).Kind);
        n = FrameBuilder.WriteUdpFrame(buf, flow with { DestinationPort = 53 }, new byte[40]);
        Assert.Equal(EspFrameKind.NotEsp, EspFrameParser.Parse(buf.AsSpan(0, n)).Kind);
    }

    [Fact]
    public void Ethernet_padding_is_not_taken_for_esp_bytes()
    {
        // A minimum-size frame arrives padded to 60 bytes; the IP length bounds the ESP packet.
        var sa = Sa(EspMode.Tunnel, false, false, false);
        using var b = new EspFrameBuilder(sa);
        var frame = new byte[200];
        int n = b.Build(frame, InnerUdp(false, 12, 3), 9);
        var padded = frame[..(n + 10)];
        using var d = new EspFrameDecryptor(sa);
        var r = d.Open(padded, new byte[200]);
        Assert.Equal(EspOpenStatus.Ok, r.Status);
        Assert.Equal(n - 14 - 20, r.Frame.EspLength);
    }
}
