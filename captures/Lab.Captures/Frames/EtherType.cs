namespace Lab.Captures.Frames;

/// <summary>EtherType values (IEEE 802 numbers) and IP protocol numbers (IANA) the builders use.</summary>
public static class EtherType
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Ipv6 = 0x86DD;
}

public static class IpProtocol
{
    public const byte Ipv4InIp = 4;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6InIp = 41;
    public const byte Esp = 50;
}
