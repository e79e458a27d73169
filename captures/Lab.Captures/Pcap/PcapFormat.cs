namespace Lab.Captures.Pcap;

/// <summary>
/// The classic libpcap file format (draft-ietf-opsawg-pcap, section 4 and 5): a 24-byte file
/// header followed by records of a 16-byte header and the captured bytes. The magic number
/// tells both the byte order of the writer and the timestamp resolution.
/// </summary>
public static class PcapFormat
{
    /// <summary>Seconds + microseconds timestamps.</summary>
    public const uint MagicMicroseconds = 0xA1B2C3D4;

    /// <summary>Seconds + nanoseconds timestamps.</summary>
    public const uint MagicNanoseconds = 0xA1B23C4D;

    /// <summary>The first four bytes of a pcapng file: the Section Header Block's type (a palindrome).</summary>
    public const uint PcapNgBlockType = 0x0A0D0D0A;

    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    /// <summary>libpcap's MAXIMUM_SNAPLEN (pcap-int.h): the largest snapshot length it writes.</summary>
    public const int MaximumSnapLength = 262144;
}

/// <summary>Which of the two capture file formats a reader found.</summary>
public enum CaptureFileFormat
{
    /// <summary>Classic libpcap format (draft-ietf-opsawg-pcap).</summary>
    Pcap,

    /// <summary>pcapng (draft-ietf-opsawg-pcapng): blocks, several interfaces and sections.</summary>
    PcapNg,
}

/// <summary>
/// LINKTYPE_ values (tcpdump.org link-layer header types) the lab dissects itself; other values
/// are read too and dissected with PacketDotNet where it knows them (<see cref="Frames.LinkLayer"/>).
/// </summary>
public enum PcapLinkType : uint
{
    /// <summary>LINKTYPE_ETHERNET: IEEE 802.3 frames without FCS.</summary>
    Ethernet = 1,

    /// <summary>LINKTYPE_RAW: raw IPv4 or IPv6 packets, version from the first nibble.</summary>
    RawIp = 101,

    /// <summary>LINKTYPE_LINUX_SLL: Linux cooked capture v1, a 16-byte header (tcpdump -i any -y LINUX_SLL).</summary>
    LinuxSll = 113,

    /// <summary>LINKTYPE_IPV4: raw IPv4 only.</summary>
    RawIpv4 = 228,

    /// <summary>LINKTYPE_IPV6: raw IPv6 only.</summary>
    RawIpv6 = 229,

    /// <summary>LINKTYPE_LINUX_SLL2: Linux cooked capture v2, a 20-byte header (tcpdump -i any since libpcap 1.10).</summary>
    LinuxSll2 = 276,
}

/// <summary>One record's header, as read; the bytes are <see cref="PcapReader.Data"/>.</summary>
/// <param name="TimestampNanoseconds">Nanoseconds since the Unix epoch (microsecond files are scaled).</param>
/// <param name="CapturedLength">Bytes present in the file (incl_len).</param>
/// <param name="OriginalLength">Bytes on the wire (orig_len).</param>
/// <param name="FileOffset">Offset of the record header (pcapng: of the packet block) in the file, for error messages.</param>
/// <param name="LinkType">The link type of the record's interface (pcapng: per interface; classic pcap: the file's).</param>
/// <param name="InterfaceId">pcapng: the interface's number within its section; classic pcap: 0.</param>
public readonly record struct PcapRecord(long TimestampNanoseconds, int CapturedLength, int OriginalLength, long FileOffset,
    PcapLinkType LinkType = PcapLinkType.Ethernet, int InterfaceId = 0);
