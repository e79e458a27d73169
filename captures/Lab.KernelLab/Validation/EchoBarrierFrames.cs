using System.Buffers.Binary;
using System.Net;
using Lab.Captures.Frames;

namespace Lab.KernelLab.Validation;

/// <summary>
/// The barrier a validator sends after a batch of frames: an ICMP echo request (RFC 792) to the
/// device under test, whose reply on the same link says the kernel has handled everything sent
/// before it. Each validator has its own echo identifier, so replies to another never count.
/// </summary>
public static class EchoBarrierFrames
{
    /// <summary>Writes the request (Ethernet, IPv4 with TTL 1, 16 bytes of ICMP) and returns its length.</summary>
    public static int Write(Span<byte> frame, MacAddress source, MacAddress destination, IPAddress sourceIp, IPAddress destinationIp,
        ushort echoId, ushort sequence, ushort identification)
    {
        int at = PacketHeaders.WriteEthernet(frame, destination, source, EtherType.Ipv4);
        at += PacketHeaders.WriteIpv4(frame[at..], sourceIp, destinationIp, 1, 16, identification: identification);
        var icmp = frame.Slice(at, 16);
        icmp.Clear();
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], echoId);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        "barrier!"u8.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return at + 16;
    }

    /// <summary>Whether <paramref name="f"/> is the echo reply to request <paramref name="sequence"/> of <paramref name="echoId"/>.</summary>
    public static bool IsReply(ReadOnlySpan<byte> f, ushort echoId, ushort sequence)
    {
        const int ip = PacketHeaders.EthernetLength;
        if (f.Length < ip + PacketHeaders.Ipv4Length + 8 || BinaryPrimitives.ReadUInt16BigEndian(f[12..]) != EtherType.Ipv4 || f[ip + 9] != 1) return false;
        var icmp = f[(ip + (f[ip] & 0x0F) * 4)..];
        return icmp.Length >= 8 && icmp[0] == 0 && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == echoId
            && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == sequence;
    }
}
