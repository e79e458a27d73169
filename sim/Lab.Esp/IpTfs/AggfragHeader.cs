using System.Buffers.Binary;

namespace Lab.Esp.IpTfs;

/// <summary>
/// The AGGFRAG_PAYLOAD formats of RFC 9347 section 6.1 (ESP Next Header 144, IPPROTO_AGGFRAG).
/// Sub-type 0 (section 6.1.1, <c>struct ip_iptfs_hdr</c> in include/uapi/linux/ip.h): sub-type,
/// reserved, BlockOffset: 4 octets. Sub-type 1 (section 6.1.2, <c>struct ip_iptfs_cc_hdr</c>):
/// sub-type, 6 reserved bits and the P and E flags, BlockOffset, LossEventRate (32), RTT (22 bits),
/// Echo Delay (21 bits), Transmit Delay (21 bits), TVal (32), TEcho (32): 24 octets.
/// </summary>
public static class Aggfrag
{
    /// <summary>ESP Next Header value AGGFRAG_PAYLOAD (RFC 9347 section 7.1).</summary>
    public const byte NextHeader = 144;
    public const byte SubTypeBasic = 0;
    public const byte SubTypeCongestionControl = 1;
    public const int BasicHeaderBytes = 4;
    public const int CongestionHeaderBytes = 24;

    /// <summary>Data block type nibbles (RFC 9347 section 6.1.3): pad, IPv4, IPv6.</summary>
    public const int PadBlock = 0x0;
    public const int Ipv4Block = 0x4;
    public const int Ipv6Block = 0x6;

    public const uint RttMax = 0x3F_FFFF;
    public const uint DelayMax = 0x1F_FFFF;

    /// <summary>E flag: the LossEventRate counts ECN CE marks (section 6.1.2); P flag: PLMTUD probing.</summary>
    public const byte FlagE = 0x01;
    public const byte FlagP = 0x02;

    public static int HeaderBytes(bool congestionControl) => congestionControl ? CongestionHeaderBytes : BasicHeaderBytes;

    /// <summary>
    /// Bytes of a data block needed to read its length (kernel <c>__input_process_payload</c>): IPv4's Total
    /// Length ends at octet 4, IPv6's Payload Length at octet 6. A block start with fewer bytes left in the
    /// payload is a "runt" the receiver keeps until the next payload.
    /// </summary>
    public static int LengthFieldEnd(int typeNibble) => typeNibble == Ipv6Block ? 6 : 4;

    /// <summary>The length of the inner packet a data block starts (kernel <c>__iptfs_iplen</c>), or -1 for a pad block.</summary>
    public static int DataBlockLength(ReadOnlySpan<byte> block)
    {
        int type = block[0] >> 4;
        return type switch
        {
            Ipv4Block => BinaryPrimitives.ReadUInt16BigEndian(block[2..]),
            Ipv6Block => BinaryPrimitives.ReadUInt16BigEndian(block[4..]) + 40,
            PadBlock => -1,
            _ => throw new FormatException($"data block type {type} is neither pad (0), IPv4 (4) nor IPv6 (6)"),
        };
    }
}

/// <summary>The sub-type 0 header (RFC 9347 section 6.1.1).</summary>
public readonly record struct AggfragBasicHeader(ushort BlockOffset)
{
    public void Write(Span<byte> dst)
    {
        dst[0] = Aggfrag.SubTypeBasic;
        dst[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(dst[2..], BlockOffset);
    }

    /// <summary>Reads a header as <c>iptfs_input_ordered</c> validates it: sub-type 0 and flags 0, else <see cref="FormatException"/>.</summary>
    public static AggfragBasicHeader Read(ReadOnlySpan<byte> src)
    {
        if (src[0] != Aggfrag.SubTypeBasic) throw new FormatException($"sub-type {src[0]} is not 0");
        if (src[1] != 0) throw new FormatException("reserved octet is not zero (XfrmInHdrError)");
        return new AggfragBasicHeader(BinaryPrimitives.ReadUInt16BigEndian(src[2..]));
    }
}

/// <summary>
/// The sub-type 1 header (RFC 9347 section 6.1.2). Times are in microseconds; RTT is clamped to
/// 0x3FFFFF and the delays to 0x1FFFFF as the RFC requires. The kernel reads the 64-bit word
/// holding RTT, Echo Delay and Transmit Delay as one field (<c>rtt_adelay_xdelay</c>).
/// </summary>
public readonly record struct AggfragCcHeader(
    ushort BlockOffset, bool Ecn, bool Probing, uint LossEventRate, uint RttUs, uint EchoDelayUs, uint TransmitDelayUs, uint TVal, uint TEcho)
{
    public void Write(Span<byte> dst)
    {
        dst[0] = Aggfrag.SubTypeCongestionControl;
        dst[1] = (byte)((Ecn ? Aggfrag.FlagE : 0) | (Probing ? Aggfrag.FlagP : 0));
        BinaryPrimitives.WriteUInt16BigEndian(dst[2..], BlockOffset);
        BinaryPrimitives.WriteUInt32BigEndian(dst[4..], LossEventRate);
        ulong rtt = Math.Min(RttUs, Aggfrag.RttMax), echo = Math.Min(EchoDelayUs, Aggfrag.DelayMax), tx = Math.Min(TransmitDelayUs, Aggfrag.DelayMax);
        BinaryPrimitives.WriteUInt64BigEndian(dst[8..], rtt << 42 | echo << 21 | tx);
        BinaryPrimitives.WriteUInt32BigEndian(dst[16..], TVal);
        BinaryPrimitives.WriteUInt32BigEndian(dst[20..], TEcho);
    }

    public static AggfragCcHeader Read(ReadOnlySpan<byte> src)
    {
        if (src[0] != Aggfrag.SubTypeCongestionControl) throw new FormatException($"sub-type {src[0]} is not 1");
        ulong word = BinaryPrimitives.ReadUInt64BigEndian(src[8..]);
        return new AggfragCcHeader(
            BinaryPrimitives.ReadUInt16BigEndian(src[2..]),
            (src[1] & Aggfrag.FlagE) != 0,
            (src[1] & Aggfrag.FlagP) != 0,
            BinaryPrimitives.ReadUInt32BigEndian(src[4..]),
            (uint)(word >> 42),
            (uint)(word >> 21) & Aggfrag.DelayMax,
            (uint)word & Aggfrag.DelayMax,
            BinaryPrimitives.ReadUInt32BigEndian(src[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(src[20..]));
    }
}
