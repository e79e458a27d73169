using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lab.Captures.Frames;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of
/// 16-bit big-endian words. Summing 32-bit words into a 64-bit accumulator and folding the
/// carries at the end gives the same result (RFC 1071 section 2(B), "parallel summation").
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running (unfolded) sum; odd lengths pad with a zero byte.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 4 <= data.Length; i += 4) sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    /// <summary>Folds the carries and complements: the value to put in a checksum field.</summary>
    public static ushort Finish(ulong sum)
    {
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>
    /// The sum of the UDP/TCP pseudo-header: RFC 768 / RFC 793 for IPv4 (addresses, zero,
    /// protocol, length), RFC 8200 section 8.1 for IPv6 (addresses, 32-bit length, next header).
    /// </summary>
    public static ulong PseudoHeader(IPAddress source, IPAddress destination, byte protocol, int length)
    {
        Span<byte> a = stackalloc byte[16];
        ulong sum = 0;
        source.TryWriteBytes(a, out int n);
        sum = Add(sum, a[..n]);
        destination.TryWriteBytes(a, out n);
        sum = Add(sum, a[..n]);
        return sum + protocol + (ulong)(uint)length;
    }

    /// <summary>The pseudo-header sum from address bytes already in a packet (4 or 16 bytes each).</summary>
    public static ulong PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length) =>
        Add(Add(0, source), destination) + protocol + (ulong)(uint)length;

    internal static int AddressLength(IPAddress a) => a.AddressFamily == AddressFamily.InterNetworkV6 ? 16 : 4;
}
