using System.Net;
using Lab.Captures.Frames;
using Lab.Captures.Tests.Support;

namespace Lab.Captures.Tests;

public sealed class FrameBuilderTests
{
    [Fact]
    public void Checksum_matches_the_RFC_1071_worked_example()
    {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is its complement.
        Assert.Equal(0x220d, InternetChecksum.Compute(Convert.FromHexString("0001f203f4f5f6f7")));
        // Odd length pads with a zero byte: 0x0001 + 0xf200 = 0xf201 -> ~ = 0x0dfe.
        Assert.Equal(0x0dfe, InternetChecksum.Compute(Convert.FromHexString("0001f2")));
    }

    // The inner packets of draft-mcgrew-gcm-test-01 (section 4) are real IPv4 packets whose
    // IPv4, UDP and TCP checksums someone else computed: rebuilding them byte for byte checks
    // header layout and checksums against an independent source.
    [Fact]
    public void Rebuilds_the_draft_mcgrew_udp_packet_exactly()
    {
        byte[] expected = Convert.FromHexString(
            "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265726369747902646b0000010001");
        var flow = new FlowAddresses(default, default, IPAddress.Parse("192.168.1.2"), IPAddress.Parse("192.168.1.1"), 0x0a98, 53) { Ttl = 0x80 };
        var buf = new byte[200];
        int n = FrameBuilder.WriteUdpPacket(buf, flow, expected.AsSpan(28), identification: 0x698f);
        Assert.Equal(expected, buf[..n]);
    }

    [Fact]
    public void Rebuilds_the_draft_mcgrew_tcp_syn_with_options_exactly()
    {
        byte[] expected = Convert.FromHexString(
            "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b401010402");
        var flow = new FlowAddresses(default, default, IPAddress.Parse("192.168.1.2"), IPAddress.Parse("147.137.21.94"), 0x0a9e, 0x008b)
        { Ttl = 0x80, DontFragment = true };
        var buf = new byte[200];
        int n = FrameBuilder.WriteTcpPacket(buf, flow, 0x2dc57ee0, 0, TcpFlags.Syn, 0x4000, [],
            options: Convert.FromHexString("020405b401010402"), identification: 0x69a6);
        Assert.Equal(expected, buf[..n]);
    }

    [Fact]
    public void Ipv6_udp_checksum_verifies_over_the_pseudo_header()
    {
        var flow = new FlowAddresses(TestFrames.SenderMac, TestFrames.ReceiverMac,
            IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::2"), 1234, 4321);
        var buf = new byte[200];
        int n = FrameBuilder.WriteUdpFrame(buf, flow, "hello"u8);
        Assert.Equal(14 + 40 + 8 + 5, n);
        Assert.Equal(new byte[] { 0x86, 0xdd }, buf[12..14]);
        var ip = buf.AsSpan(14, n - 14);
        Assert.Equal(13, ip[5]);          // payload length 8 + 5
        Assert.Equal(17, ip[6]);
        // A correct checksum makes the sum over pseudo-header + segment fold to 0xffff (complement 0).
        ulong sum = InternetChecksum.PseudoHeader(ip[8..24], ip[24..40], 17, 13);
        Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(sum, ip[40..])));
    }

    [Fact]
    public void Ethernet_header_and_ipv4_header_checksum()
    {
        byte[] f = TestFrames.Indexed(7);
        Assert.Equal(Convert.FromHexString("02000000000b" + "02000000000a" + "0800"), f[..14]);
        Assert.Equal(0, InternetChecksum.Compute(f.AsSpan(14, 20)));
        Assert.Equal(14 + 20 + 8 + 18, f.Length);
    }

    [Fact]
    public void Packet_index_round_trips_and_ignores_other_traffic()
    {
        Assert.True(PacketIndex.TryReadFromFrame(TestFrames.Indexed(0xDEADBEEF01), out ulong i));
        Assert.Equal(0xDEADBEEF01UL, i);
        var flow = TestFrames.Flow with { Source = IPAddress.Parse("2001:db8::1"), Destination = IPAddress.Parse("2001:db8::2") };
        var payload = new byte[12];
        PacketIndex.Write(payload, 42);
        var buf = new byte[100];
        int n = FrameBuilder.WriteUdpFrame(buf, flow, payload);
        Assert.True(PacketIndex.TryReadFromFrame(buf.AsSpan(0, n), out i));
        Assert.Equal(42UL, i);
        n = FrameBuilder.WriteUdpFrame(buf, flow, new byte[12]); // no marker
        Assert.False(PacketIndex.TryReadFromFrame(buf.AsSpan(0, n), out _));
    }

    [Fact]
    public void Mac_address_parses_and_prints()
    {
        var m = MacAddress.Parse("02:AB:cd:00:00:01");
        Assert.Equal(0x02abcd000001UL, m.Value);
        Assert.Equal("02:ab:cd:00:00:01", m.ToString());
        Assert.False(MacAddress.TryParse("02:ab:cd:00:00", out _));
    }
}
