using System.Buffers.Binary;

namespace Lab.Captures.Tests.Vm;

/// <summary>
/// Minimal Ethernet/IPv4 frames for the harness tests (the lab's real frame builder lives in
/// Lab.Captures proper). Checksums per RFC 1071; header layouts per RFC 791, 792 and 4303.
/// </summary>
internal static class TestFrames
{
    public const int EthernetHeader = 14;
    public const int Ipv4Header = 20;

    public static byte[] Ipv4(byte[] dstMac, byte[] srcMac, byte[] srcIp, byte[] dstIp, byte protocol, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[EthernetHeader + Ipv4Header + payload.Length];
        dstMac.CopyTo(frame, 0);
        srcMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(EthernetHeader, Ipv4Header);
        ip[0] = 0x45;                                                      // version 4, IHL 5
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4Header + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x4c41);             // identification
        ip[8] = 64;                                                        // TTL
        ip[9] = protocol;
        srcIp.CopyTo(ip[12..]);
        dstIp.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        payload.CopyTo(frame.AsSpan(EthernetHeader + Ipv4Header));
        return frame;
    }

    /// <summary>ICMP echo request (type 8, code 0) with identifier, sequence and data.</summary>
    public static byte[] IcmpEcho(ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        var icmp = new byte[8 + data.Length];
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), seq);
        data.CopyTo(icmp.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Checksum(icmp));
        return icmp;
    }

    /// <summary>
    /// An ESP packet (RFC 4303 section 2) whose ciphertext and ICV are not genuine: SPI,
    /// sequence number, an 8-byte IV (RFC 4106 section 3.1), 16 bytes of "ciphertext" and a
    /// 16-byte ICV. The kernel finds the SA, runs the replay check and then fails the ICV.
    /// </summary>
    public static byte[] BogusEsp(uint spi, uint seq)
    {
        var esp = new byte[8 + 8 + 16 + 16];
        BinaryPrimitives.WriteUInt32BigEndian(esp, spi);
        BinaryPrimitives.WriteUInt32BigEndian(esp.AsSpan(4), seq);
        for (var i = 8; i < esp.Length; i++)
            esp[i] = (byte)(0xa5 ^ i);
        return esp;
    }

    /// <summary>RFC 1071 Internet checksum over the bytes (with the checksum field zero).</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0)
            sum += (uint)(data[^1] << 8);
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
