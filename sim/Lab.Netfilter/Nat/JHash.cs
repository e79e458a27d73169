using System.Buffers.Binary;
using System.Numerics;

namespace Lab.Netfilter.Nat;

/// <summary>
/// Bob Jenkins' lookup3 hash as the kernel has it (include/linux/jhash.h, jhash2, JHASH_INITVAL
/// 0xdeadbeef; unchanged from 3.x to 6.18). Unlike the conntrack table's siphash it has no boot-time
/// key, so whatever uses it (find_best_ips_proto) chooses the same on every kernel and every boot,
/// and the model can choose exactly as the kernel does.
/// </summary>
public static class JHash
{
    const uint InitVal = 0xdeadbeef;

    /// <summary>jhash2(k, length, initval) over 32-bit words.</summary>
    public static uint Hash2(ReadOnlySpan<uint> k, uint initval)
    {
        uint length = (uint)k.Length;
        uint a, b, c;
        a = b = c = InitVal + (length << 2) + initval;
        while (length > 3)
        {
            a += k[0];
            b += k[1];
            c += k[2];
            Mix(ref a, ref b, ref c);
            length -= 3;
            k = k[3..];
        }
        if (length == 0) return c;
        if (length == 3) c += k[2];
        if (length >= 2) b += k[1];
        a += k[0];
        Final(ref a, ref b, ref c);
        return c;
    }

    /// <summary>
    /// The word a little-endian CPU loads from a __be32 field (an IPv4 address in network order):
    /// what jhash2 and the initval of find_best_ips_proto see on x86 for host-order <paramref name="ip"/>.
    /// </summary>
    public static uint LoadBe32(uint ip) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(ip) : ip;

    static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    static void Final(ref uint a, ref uint b, ref uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
    }
}
