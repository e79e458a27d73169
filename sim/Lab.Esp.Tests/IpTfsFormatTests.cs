using Lab.Esp.IpTfs;
using Lab.Esp.Sa;
using Lab.Esp.Wire;

namespace Lab.Esp.Tests;

/// <summary>RFC 9347 section 6.1 formats and the sizes of xfrm_iptfs.c.</summary>
public sealed class IpTfsFormatTests
{
    [Fact]
    public void Basic_header_is_four_octets_subtype_reserved_block_offset()
    {
        var b = new byte[Aggfrag.BasicHeaderBytes];
        new AggfragBasicHeader(2000).Write(b);
        // 2000 = 0x07D0, network order.
        Assert.Equal(new byte[] { 0, 0, 0x07, 0xD0 }, b);
        Assert.Equal(2000, AggfragBasicHeader.Read(b).BlockOffset);
        Assert.Equal(4, Aggfrag.HeaderBytes(false));
    }

    [Fact]
    public void Basic_header_with_reserved_bits_set_is_rejected()
    {
        // iptfs_input_ordered: flags != 0 -> XfrmInHdrError.
        Assert.Throws<FormatException>(() => AggfragBasicHeader.Read([0, 1, 0, 0]));
        Assert.Throws<FormatException>(() => AggfragBasicHeader.Read([2, 0, 0, 0]));
    }

    [Fact]
    public void Congestion_header_is_24_octets_with_22_21_21_bit_fields()
    {
        var b = new byte[Aggfrag.CongestionHeaderBytes];
        new AggfragCcHeader(600, Ecn: true, Probing: false, LossEventRate: 100, RttUs: 1, EchoDelayUs: 0, TransmitDelayUs: 0, TVal: 0xA1B2C3D4, TEcho: 7).Write(b);
        Assert.Equal(24, b.Length);
        Assert.Equal(1, b[0]);
        Assert.Equal(Aggfrag.FlagE, b[1]);
        Assert.Equal(new byte[] { 0x02, 0x58 }, b[2..4]);
        Assert.Equal(new byte[] { 0, 0, 0, 100 }, b[4..8]);
        // RTT occupies the top 22 bits of the 64-bit word: RTT 1 = 1 << 42 = 0x0000_0400_0000_0000.
        Assert.Equal(new byte[] { 0, 0, 0x04, 0, 0, 0, 0, 0 }, b[8..16]);
        Assert.Equal(new byte[] { 0xA1, 0xB2, 0xC3, 0xD4 }, b[16..20]);
        Assert.Equal(new byte[] { 0, 0, 0, 7 }, b[20..24]);
    }

    [Fact]
    public void Congestion_header_clamps_rtt_and_delays_to_their_widths()
    {
        var b = new byte[Aggfrag.CongestionHeaderBytes];
        new AggfragCcHeader(0, false, true, 0, RttUs: 5_000_000, EchoDelayUs: 3_000_000, TransmitDelayUs: 1234, TVal: 1, TEcho: 2).Write(b);
        var h = AggfragCcHeader.Read(b);
        Assert.Equal(0x3FFFFFu, h.RttUs);
        Assert.Equal(0x1FFFFFu, h.EchoDelayUs);
        Assert.Equal(1234u, h.TransmitDelayUs);
        Assert.True(h.Probing);
        Assert.False(h.Ecn);
    }

    [Fact]
    public void Data_block_length_comes_from_the_inner_ip_header()
    {
        // IPv4: version 4, IHL 5, Total Length 750 (0x02EE).
        Assert.Equal(750, Aggfrag.DataBlockLength([0x45, 0, 0x02, 0xEE]));
        // IPv6: Payload Length 1460 (0x05B4) + the 40-octet header.
        Assert.Equal(1500, Aggfrag.DataBlockLength([0x60, 0, 0, 0, 0x05, 0xB4]));
        Assert.Equal(-1, Aggfrag.DataBlockLength([0x00, 0xFF]));
        Assert.Throws<FormatException>(() => Aggfrag.DataBlockLength([0x50, 0, 0, 0]));
        Assert.Equal(4, Aggfrag.LengthFieldEnd(Aggfrag.Ipv4Block));
        Assert.Equal(6, Aggfrag.LengthFieldEnd(Aggfrag.Ipv6Block));
    }

    [Fact]
    public void Header_len_and_inner_mtu_match_rfc_9347_appendix_c()
    {
        var g = IpTfsGeometry.Ipv4Gcm();
        // ESP 8 + IV 8 + outer IPv4 20 + AGGFRAG 4.
        Assert.Equal(40, g.HeaderLen);
        // Appendix C: PSize 518, 1442, 8942 for MTU 576, 1500, 9000: ((mtu - 40 - 16) & ~3) - 2.
        Assert.Equal(518, g.KernelInnerMtu(576));
        Assert.Equal(1442, g.KernelInnerMtu(1500));
        Assert.Equal(8942, g.KernelInnerMtu(9000));
        // A full outer packet is exactly the MTU: 20 + 8 + 8 + (4 + 1442 + 2) + 16.
        Assert.Equal(1500, g.OuterPacketBytes(1442));
        Assert.Equal(1442, g.FixedDataCapacity(1500));
    }

    [Fact]
    public void Cbc_sha256_pads_to_16_and_carries_16_octet_iv()
    {
        var g = new IpTfsGeometry(new EspSaGeometry(XfrmMode.Tunnel, IpFamily.Ipv4, IpFamily.Ipv4, EspEncap.None, EspCipher.CbcSha256));
        Assert.Equal(48, g.HeaderLen);
        // (1500 - 48 - 16) = 1436, down to a multiple of 16 = 1424, minus the trailer: 1422.
        Assert.Equal(1422, g.KernelInnerMtu(1500));
    }

    [Fact]
    public void Kernel_pkt_size_excludes_trailer_and_icv_so_outer_packets_exceed_it()
    {
        var g = IpTfsGeometry.Ipv4Gcm();
        // payload_mtu = pkt_size - header_len = 1400 - 40 = 1360 < 1442 (path MTU bound).
        Assert.Equal(1360, g.KernelDataCapacity(1400, 1500));
        // 1360 data: ESP payload 4 + 1360 + 2 = 1366, padded to 1368; 20 + 8 + 8 + 1368 + 16 = 1420 > 1400.
        Assert.Equal(1420, g.OuterPacketBytes(1360));
        Assert.Equal(1442, g.KernelDataCapacity(0, 1500));
    }

    [Fact]
    public void Congestion_header_takes_twenty_more_octets_from_each_outer_packet()
    {
        Assert.Equal(1422, IpTfsGeometry.Ipv4Gcm(cc: true).FixedDataCapacity(1500));
        Assert.Equal(1500, IpTfsGeometry.Ipv4Gcm(cc: true).OuterPacketBytes(1422));
    }

    [Theory]
    // Inner IP packets of n octets in one 1500-octet outer packet (1442 data octets), whole ones only.
    [InlineData(46, 31)]     // 64 B frames: 31 x 46 = 1426, 16 octets left
    [InlineData(576, 2)]     // IMIX middle size
    [InlineData(1382, 1)]    // 1400 B frames
    [InlineData(1442, 1)]
    [InlineData(1443, 0)]    // must be fragmented
    public void Whole_inner_packets_per_outer_packet(int inner, int expected) =>
        Assert.Equal(expected, IpTfsGeometry.Ipv4Gcm().FixedDataCapacity(1500) / inner);

    [Theory]
    // Plain tunnel mode: 20 + 8 + 8 + ALIGN(n + 2, 4) + 16, + 18 Ethernet + 20 preamble and gap.
    [InlineData(46, 138)]    // 46 + 2 = 48
    [InlineData(576, 670)]   // 578 -> 580
    [InlineData(1382, 1474)] // 1384
    public void Tunnel_wire_bytes(int inner, int wire) => Assert.Equal(wire, IpTfsGeometry.Ipv4Gcm().TunnelWireBytes(inner));
}
