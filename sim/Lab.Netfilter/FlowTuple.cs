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
/// One direction of a connection as <c>struct nf_conntrack_tuple</c> holds it: source and destination
/// as <c>union nf_inet_addr</c> (<see cref="InetAddr"/>: IPv4 in the low 32 bits, or IPv6), ports,
/// protocol, and the layer-3 protocol (<c>src.l3num</c>, <see cref="Family"/>), which is part of the
/// key as in nf_ct_tuple_equal. Zones are not modelled: all entries are in the default zone. Both the
/// conntrack table and the flowtable key on this (flow_offload_tuple carries l3proto the same way).
/// </summary>
public readonly record struct FlowTuple(InetAddr SrcIp, InetAddr DstIp, ushort SrcPort, ushort DstPort, IpProto Proto, L3Family Family = L3Family.Ipv4)
{
    /// <summary>nf_ct_invert_tuple: swap source and destination.</summary>
    public FlowTuple Invert() => new(DstIp, SrcIp, DstPort, SrcPort, Proto, Family);

    public FlowTuple WithSource(InetAddr ip, ushort port) => this with { SrcIp = ip, SrcPort = port };

    public bool IsIpv6 => Family == L3Family.Ipv6;

    public static uint Ip(byte a, byte b, byte c, byte d) => (uint)a << 24 | (uint)b << 16 | (uint)c << 8 | d;

    /// <summary>nf_ct_tuple_equal: addresses, ports, protocol and l3num.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(FlowTuple other) =>
        SrcIp.Lo == other.SrcIp.Lo && DstIp.Lo == other.DstIp.Lo && SrcPort == other.SrcPort && DstPort == other.DstPort
        && Proto == other.Proto && Family == other.Family && SrcIp.Hi == other.SrcIp.Hi && DstIp.Hi == other.DstIp.Hi;

    /// <summary>The same test as <see cref="Equals(FlowTuple)"/> on references: chain walks compare 40-byte tuples without copying them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Same(in FlowTuple a, in FlowTuple b) =>
        a.SrcIp.Lo == b.SrcIp.Lo && a.DstIp.Lo == b.DstIp.Lo && a.SrcPort == b.SrcPort && a.DstPort == b.DstPort
        && a.Proto == b.Proto && a.Family == b.Family && a.SrcIp.Hi == b.SrcIp.Hi && a.DstIp.Hi == b.DstIp.Hi;

    public override int GetHashCode() => (int)TupleHash.Hash(this, 0);

    public override string ToString() =>
        $"{Proto.ToString().ToLowerInvariant()} src={SrcIp.Format(Family)} dst={DstIp.Format(Family)} sport={SrcPort} dport={DstPort}";

    /// <summary>The source address as conntrack prints it (<see cref="InetAddr.Format"/>).</summary>
    public string SrcText => SrcIp.Format(Family);

    public string DstText => DstIp.Format(Family);

    public static string FormatIp(uint ip) => ((InetAddr)ip).Format(L3Family.Ipv4);
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
        ulong x = (t.SrcIp.Lo << 32 | t.DstIp.Lo) ^ key;
        // IPv6 (l3num is part of the key): the remaining address bits; IPv4 hashes as it always did
        if (t.Family == L3Family.Ipv6) x = Mix(Mix(Mix(t.SrcIp.Hi ^ key) ^ t.SrcIp.Lo ^ x) ^ t.DstIp.Hi) ^ t.DstIp.Lo;
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
