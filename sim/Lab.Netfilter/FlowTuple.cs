using System.Runtime.CompilerServices;

namespace Lab.Netfilter;

/// <summary>IP protocol numbers the models track (include/uapi/linux/in.h).</summary>
public enum IpProto : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
    /// <summary>ESP: tracked by the generic protocol tracker (no ports; NAT changes the address only).</summary>
    Esp = 50,
}

/// <summary>
/// One direction of a connection as <c>struct nf_conntrack_tuple</c> holds it (IPv4 only:
/// addresses are host-order <see cref="uint"/>s; zones are not modelled, all entries are in the
/// default zone). Both the conntrack table and the flowtable key on this.
/// </summary>
public readonly record struct FlowTuple(uint SrcIp, uint DstIp, ushort SrcPort, ushort DstPort, IpProto Proto)
{
    /// <summary>nf_ct_invert_tuple: swap source and destination.</summary>
    public FlowTuple Invert() => new(DstIp, SrcIp, DstPort, SrcPort, Proto);

    public FlowTuple WithSource(uint ip, ushort port) => this with { SrcIp = ip, SrcPort = port };

    public static uint Ip(byte a, byte b, byte c, byte d) => (uint)a << 24 | (uint)b << 16 | (uint)c << 8 | d;

    public override string ToString() =>
        $"{Proto.ToString().ToLowerInvariant()} src={FormatIp(SrcIp)} dst={FormatIp(DstIp)} sport={SrcPort} dport={DstPort}";

    public static string FormatIp(uint ip) => $"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}";
}

/// <summary>
/// The keyed tuple hash. The kernel uses siphash with a boot-time random key
/// (hash_conntrack_raw, nf_conntrack_core.c, since 5.15) and reciprocal_scale to pick a bucket;
/// the model uses a SplitMix64-style mix keyed by a seed from the run's random stream, which has
/// the property that matters (uniform, seed-dependent bucket choice) and is deterministic.
/// </summary>
public static class TupleHash
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(in FlowTuple t, ulong key)
    {
        ulong x = ((ulong)t.SrcIp << 32 | t.DstIp) ^ key;
        x = Mix(x) ^ ((ulong)t.SrcPort << 24 | (ulong)t.DstPort << 8 | (byte)t.Proto);
        return (uint)(Mix(x) >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>reciprocal_scale(hash, size): maps a 32-bit hash onto [0, size) without a division.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Scale(uint hash, int size) => (int)(((ulong)hash * (uint)size) >> 32);
}
