namespace Lab.Captures.Frames;

/// <summary>EtherType values (IEEE 802 numbers) and IP protocol numbers (IANA) the builders use.</summary>
public static class EtherType
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Ipv6 = 0x86DD;

    /// <summary>IEEE 802.1Q customer VLAN tag (C-tag).</summary>
    public const ushort Vlan = 0x8100;

    /// <summary>IEEE 802.1ad service VLAN tag (S-tag, QinQ).</summary>
    public const ushort ServiceVlan = 0x88A8;

    /// <summary>The pre-standard QinQ S-tag some switches still send.</summary>
    public const ushort LegacyServiceVlan = 0x9100;

    /// <summary>Values below this are 802.3 lengths (or, in Linux cooked headers, other protocol families), not EtherTypes.</summary>
    public const ushort Minimum = 0x0600;

    public static bool IsVlanTag(ushort type) => type is Vlan or ServiceVlan or LegacyServiceVlan;
}

public static class IpProtocol
{
    /// <summary>IPv6 Hop-by-Hop Options header (RFC 8200 section 4.3).</summary>
    public const byte HopByHopOptions = 0;

    public const byte Ipv4InIp = 4;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6InIp = 41;

    /// <summary>IPv6 Routing header (RFC 8200 section 4.4).</summary>
    public const byte Routing = 43;

    /// <summary>IPv6 Fragment header (RFC 8200 section 4.5).</summary>
    public const byte Fragment = 44;

    public const byte Esp = 50;

    /// <summary>Authentication Header (RFC 4302); as an IPv6 extension header its length counts 4-byte words minus 2.</summary>
    public const byte Ah = 51;

    public const byte NoNextHeader = 59;

    /// <summary>IPv6 Destination Options header (RFC 8200 section 4.6).</summary>
    public const byte DestinationOptions = 60;
}
