namespace Lab.Netfilter.Nat;

/// <summary>NF_NAT_RANGE_* flags (include/uapi/linux/netfilter/nf_nat.h), with the kernel's values.</summary>
[Flags]
public enum NatRangeFlags : ushort
{
    None = 0,
    MapIps = 1,
    ProtoSpecified = 2,
    ProtoRandom = 4,
    Persistent = 8,
    ProtoRandomFully = 16,
    ProtoOffset = 32,
    Netmap = 64,
    ProtoRandomAll = ProtoRandom | ProtoRandomFully,
}

/// <summary>
/// struct nf_nat_range2 for a source NAT of one family (<see cref="Family"/>; nft's inet family writes an
/// <c>snat ip to</c> and an <c>snat ip6 to</c> rule, a masquerade serves both with one range each): the address range and, with
/// <see cref="NatRangeFlags.ProtoSpecified"/>, the port range. <c>masquerade</c> and <c>snat to ADDR</c>
/// without ports give MapIps with one address; <c>random</c>, <c>fully-random</c> and
/// <c>persistent</c> add the flags. With <see cref="NatRangeFlags.ProtoOffset"/> (xt_nat revision 2's
/// shifted port map, <c>--to-source A:MIN-MAX/BASE</c>), <see cref="BaseProto"/> is base_proto: the
/// search starts at MIN + (original port - BASE) mod the range size.
/// </summary>
public sealed record NatRange(InetAddr MinIp, InetAddr MaxIp, ushort MinPort, ushort MaxPort, NatRangeFlags Flags)
{
    /// <summary>The family of the tuples the range applies to (its addresses are of that family).</summary>
    public L3Family Family { get; init; }

    /// <summary>nf_nat_inet_in_range's address test: MIN &lt;= address &lt;= MAX (ipv6_addr_cmp for IPv6).</summary>
    public bool ContainsAddress(in InetAddr a) => a >= MinIp && a <= MaxIp;

    /// <summary>
    /// range->base_proto.all of struct nf_nat_range2: nf_nat_l4proto_unique_tuple takes
    /// off = port - base_proto when NF_NAT_RANGE_PROTO_OFFSET is set; read only then.
    /// </summary>
    public ushort BaseProto { get; init; }

    /// <summary>A shifted port map: ports MIN-MAX, the original port minus <paramref name="baseProto"/> as the offset into them.</summary>
    public NatRange WithPortOffset(ushort min, ushort max, ushort baseProto) =>
        WithPorts(min, max) with { BaseProto = baseProto, Flags = Flags | NatRangeFlags.ProtoSpecified | NatRangeFlags.ProtoOffset };

    /// <summary>masquerade / snat to one address, no port range.</summary>
    public static NatRange Snat(uint ip, NatRangeFlags extra = NatRangeFlags.None) =>
        new(ip, ip, 0, 0, NatRangeFlags.MapIps | extra);

    /// <summary>masquerade / snat to one IPv6 address, no port range (nf_nat_masquerade_ipv6's range).</summary>
    public static NatRange Snat6(InetAddr ip, NatRangeFlags extra = NatRangeFlags.None) =>
        new(ip, ip, 0, 0, NatRangeFlags.MapIps | extra) { Family = L3Family.Ipv6 };

    /// <summary>snat to the IPv6 addresses FIRST-LAST (nft <c>snat ip6 to A-B</c>).</summary>
    public static NatRange Snat6(InetAddr first, InetAddr last, NatRangeFlags extra = NatRangeFlags.None) =>
        new(first, last, 0, 0, NatRangeFlags.MapIps | extra) { Family = L3Family.Ipv6 };

    /// <summary>snat to a contiguous block of <paramref name="count"/> public addresses (a CGNAT pool).</summary>
    public static NatRange SnatPool(uint firstIp, int count, NatRangeFlags extra = NatRangeFlags.None) =>
        new(firstIp, firstIp + (uint)(count - 1), 0, 0, NatRangeFlags.MapIps | extra);

    /// <summary>The same port range, flags and base on another family's addresses (masquerade's IPv6 range beside its IPv4 one).</summary>
    public NatRange ForAddresses(InetAddr min, InetAddr max, L3Family family) => this with { MinIp = min, MaxIp = max, Family = family };

    public NatRange WithPorts(ushort min, ushort max) =>
        this with { MinPort = min, MaxPort = max, Flags = Flags | NatRangeFlags.ProtoSpecified };

    public bool Has(NatRangeFlags f) => (Flags & f) != 0;
}
