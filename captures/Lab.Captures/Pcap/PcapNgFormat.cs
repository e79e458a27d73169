namespace Lab.Captures.Pcap;

/// <summary>
/// The pcapng file format (draft-ietf-opsawg-pcapng-02, sections 3 and 4): a sequence of
/// blocks, each "type, total length, body, total length" with lengths a multiple of 4. A
/// section starts with a Section Header Block whose byte-order magic sets the byte order of
/// the section; Interface Description Blocks number the section's interfaces from 0.
/// </summary>
public static class PcapNgFormat
{
    public const uint SectionHeaderBlock = PcapFormat.PcapNgBlockType;
    public const uint InterfaceDescriptionBlock = 0x00000001;

    /// <summary>The obsolete Packet Block (appendix A): like the EPB with a 16-bit interface id.</summary>
    public const uint PacketBlock = 0x00000002;

    public const uint SimplePacketBlock = 0x00000003;
    public const uint NameResolutionBlock = 0x00000004;
    public const uint InterfaceStatisticsBlock = 0x00000005;
    public const uint EnhancedPacketBlock = 0x00000006;

    /// <summary>Written 1a2b3c4d in the writer's byte order.</summary>
    public const uint ByteOrderMagic = 0x1A2B3C4D;

    /// <summary>Block type, total length and the trailing total length.</summary>
    public const int BlockOverhead = 12;

    /// <summary>SHB: overhead, byte-order magic, version 1.0, 64-bit section length.</summary>
    public const int MinimumSectionHeaderLength = 28;

    /// <summary>IDB: overhead, link type, reserved, snap length.</summary>
    public const int MinimumInterfaceDescriptionLength = 20;

    /// <summary>EPB (and the obsolete PB): overhead, interface, 64-bit timestamp, captured and original length.</summary>
    public const int MinimumEnhancedPacketLength = 32;

    /// <summary>SPB: overhead and the original length.</summary>
    public const int MinimumSimplePacketLength = 16;

    public const ushort OptionEnd = 0;

    /// <summary>if_tsresol: one byte; high bit clear 10^-n seconds, set 2^-n seconds; default 10^-6.</summary>
    public const ushort OptionTimestampResolution = 9;

    /// <summary>if_tsoffset: signed 64-bit seconds added to every timestamp of the interface.</summary>
    public const ushort OptionTimestampOffset = 14;

    public static string BlockName(uint type) => type switch
    {
        SectionHeaderBlock => "Section Header Block",
        InterfaceDescriptionBlock => "Interface Description Block",
        PacketBlock => "Packet Block",
        SimplePacketBlock => "Simple Packet Block",
        NameResolutionBlock => "Name Resolution Block",
        InterfaceStatisticsBlock => "Interface Statistics Block",
        EnhancedPacketBlock => "Enhanced Packet Block",
        _ => $"block of type 0x{type:x8}",
    };
}
