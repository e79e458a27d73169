using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Xunit;

namespace Lab.Captures.Tests;

/// <summary>PacketDotNet parses lazily and throws on headers it does not implement; the dissector must not.</summary>
public sealed class PacketDotNetLinkLayerTests
{
    [Fact]
    public void A_bsd_loopback_record_with_address_family_0_is_not_ip_and_does_not_throw()
    {
        // Found by the scenario fuzzer (seed 84VQEId1Opa3): LINKTYPE_NULL (0) carries a 4-byte host-order address
        // family; family 0 is none PacketDotNet knows, and its NullPacket threw NotImplementedException on Extract.
        byte[] record = [0, 0, 0, 0, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        Assert.False(PacketDotNetLinkLayer.TryFindIp((PcapLinkType)0, record, out _));
    }

    [Fact]
    public void A_bsd_loopback_record_with_address_family_2_is_ipv4_after_the_4_byte_header()
    {
        // AF_INET = 2 in host order (little-endian here): the IPv4 header starts at offset 4.
        byte[] record = [2, 0, 0, 0, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        Assert.True(PacketDotNetLinkLayer.TryFindIp((PcapLinkType)0, record, out int offset));
        Assert.Equal(4, offset);
    }
}
