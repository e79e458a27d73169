using Lab.Netfilter.Nat;

namespace Lab.Netfilter.Tests;

/// <summary>
/// find_best_ips_proto's address choice (nf_nat_core.c): jhash2 over the source address, initval the
/// destination address unless PERSISTENT, reciprocal_scale onto the range. The expected values come
/// from a C program with include/linux/jhash.h's jhash2 and the kernel function's arithmetic, compiled
/// with gcc on x86-64 (the addresses as struct in_addr, network order), and, where marked, from a real
/// kernel's choice.
/// </summary>
public sealed class NatAddressChoiceTests
{
    static uint Ip(string s) => System.Net.IPAddress.Parse(s).GetAddressBytes() is var b ? FlowTuple.Ip(b[0], b[1], b[2], b[3]) : 0;

    [Fact]
    public void Jhash2_matches_the_kernels_lookup3()
    {
        // a = b = c = 0xdeadbeef + 16 + initval; one mix of words 0..2, then word 3 and the final mix (jhash.h).
        Assert.Equal(0xbaf9078cu, JHash.Hash2([0, 0, 0, 0], 0));
        Assert.Equal(0xf83bdd1eu, JHash.Hash2([1, 2, 3, 4], 0x1234));
        // The hash find_best_ips_proto computes for 10.0.0.2 -> 198.18.0.2 (bytes 0a 00 00 02 loaded as 0x0200000a).
        Assert.Equal(0x5c4652dbu, JHash.Hash2([0x0200000a, 0, 0, 0], 0x020012c6));
    }

    [Theory]
    // The Debian 6.1 guest chose 203.0.113.1 for both (scenarios/fuzz/fuzz-20261206-24, fully-random, ports 5000-5000):
    // j = 0x5c4652db and 0x370b2af4, both below 2^31, so reciprocal_scale(j, 2) = 0 -> .1. The model used to pick .2.
    [InlineData("10.0.0.2", "198.18.0.2", "203.0.113.1", "203.0.113.2", false, "203.0.113.1")]
    [InlineData("10.0.0.1", "198.18.0.1", "203.0.113.1", "203.0.113.2", false, "203.0.113.1")]
    // PERSISTENT: initval 0, j = 0xfa270fa5 >= 2^31 -> .2.
    [InlineData("10.0.0.2", "198.18.0.2", "203.0.113.1", "203.0.113.2", true, "203.0.113.2")]
    // Four addresses: j = 0xbec17095 -> (j * 4) >> 32 = 2 -> .6; j = 0x370b2af4 -> 0 -> .4.
    [InlineData("10.0.0.3", "198.18.0.1", "198.51.100.4", "198.51.100.7", false, "198.51.100.6")]
    [InlineData("10.0.0.1", "198.18.0.1", "198.51.100.4", "198.51.100.7", false, "198.51.100.4")]
    public void The_address_is_the_kernels_choice(string src, string dst, string min, string max, bool persistent, string expected)
    {
        var range = new NatRange(Ip(min), Ip(max), 0, 0, NatRangeFlags.MapIps | (persistent ? NatRangeFlags.Persistent : NatRangeFlags.None));
        var orig = new FlowTuple(Ip(src), Ip(dst), 5000, 80, IpProto.Udp);
        Assert.Equal(expected, NatPortAllocator.BestIp(orig, range).Format(L3Family.Ipv4));
    }

    [Theory]
    // Expected values from a C program with jhash.h's jhash2 and find_best_ips_proto's loop for IPv6 (max = 3: initval
    // the destination's last word; word by word, j ^= the destination's word; after the first word below the maximum's,
    // minip 0 and dist ~0), compiled with gcc on x86-64 over struct in6_addr in network order.
    [InlineData("2001:db8:1::2", "2001:db8:2::2", "2001:db8:ffff::1", "2001:db8:ffff::8", false, "2001:db8:ffff::3")]
    [InlineData("2001:db8:1::1", "2001:db8:2::1", "2001:db8:ffff::1", "2001:db8:ffff::8", false, "2001:db8:ffff::6")]
    [InlineData("2001:db8:1::2", "2001:db8:2::2", "2001:db8:ffff::1", "2001:db8:ffff::8", true, "2001:db8:ffff::8")]
    [InlineData("2001:db8:1::3", "2001:db8:2::1", "2001:db8:ffff::1", "2001:db8:ffff::2", false, "2001:db8:ffff::2")]
    // A range across a word boundary: word 3 of the minimum is not the maximum's, so the words after take any value
    // and the kernel's choice lies outside the range (its arithmetic, imitated as is).
    [InlineData("2001:db8:1::2", "2001:db8:2::2", "2001:db8:ffff::ff00", "2001:db8:ffff:1::ff", false, "2001:db8:ffff:0:4c88:f636:4c88:f636")]
    // One address: taken as is.
    [InlineData("fd00::1", "fd00:1::1", "2001:db8:ffff::1", "2001:db8:ffff::1", false, "2001:db8:ffff::1")]
    public void The_ipv6_address_is_the_kernels_choice(string src, string dst, string min, string max, bool persistent, string expected)
    {
        static InetAddr A(string s) => InetAddr.From(System.Net.IPAddress.Parse(s), out _);
        var range = NatRange.Snat6(A(min), A(max), persistent ? NatRangeFlags.Persistent : NatRangeFlags.None);
        var orig = new FlowTuple(A(src), A(dst), 5000, 80, IpProto.Udp, L3Family.Ipv6);
        Assert.Equal(expected, NatPortAllocator.BestIp(orig, range).Format(L3Family.Ipv6));
    }
}
