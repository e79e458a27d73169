using Lab.Core;

namespace Lab.Netfilter.Conntrack;

/// <summary>Everything that sizes and parameterises one conntrack table (one network namespace).</summary>
public sealed record ConntrackConfig
{
    /// <summary>nf_conntrack_buckets (already rounded as the kernel rounds it).</summary>
    public int Buckets { get; init; } = 65536;

    /// <summary>nf_conntrack_max.</summary>
    public int Max { get; init; } = 65536;

    public KernelVersion Version { get; init; } = KernelVersion.Default;

    /// <summary>CONFIG_HZ: GC_SCAN_EXPIRED_MAX is 64000 / HZ and the GC re-arms after one jiffy. Debian builds with 250.</summary>
    public int Hz { get; init; } = DefaultHz;

    /// <summary>Debian's CONFIG_HZ_250.</summary>
    public const int DefaultHz = 250;

    public ConntrackTimeouts Timeouts { get; init; } = new();

    /// <summary>net.netfilter.nf_conntrack_tcp_loose (default 1): pick up established TCP connections mid-stream.</summary>
    public bool TcpLoose { get; init; } = true;

    /// <summary>Run seed and replication: the hash key and the random chain-length limit come from these.</summary>
    public long Seed { get; init; } = 1;

    public int Replication { get; init; }

    /// <summary>
    /// Whether the UDP stream timeout needs the 2-second rule, and ASSURED is set only when the
    /// stream timeout is granted (nf_conntrack_proto_udp.c after Florian Westphal's "udp: only
    /// extend timeout to stream mode after 2s" and Pablo Neira Ayuso's "set on IPS_ASSURED if flows
    /// enters internal stream state", both in the nf-next pull for 5.16). The VM check confirms
    /// Debian's 6.1 behaves so; an earlier cut-off in this model (6.2) was wrong.
    /// </summary>
    public bool UdpStreamNeedsTwoSeconds => Version.AtLeast(5, 16);

    /// <summary>
    /// The random hash-chain limit of __nf_conntrack_confirm, MIN_CHAINLEN + random(MAX_CHAINLEN):
    /// none before 5.15 (commit d7e7747ac5c2), 8 + random(24) from 5.15, 50 + random(30) after the 2023
    /// change "conntrack: adopt safer max chain length" (6.3 per our reading).
    /// </summary>
    public (int Min, int Range) ChainLimit =>
        !Version.AtLeast(5, 15) ? (int.MaxValue / 2, 1) : Version.AtLeast(6, 3) ? (50, 30) : (8, 24);

    /// <summary>A table sized as the kernel sizes it for a machine with this much RAM.</summary>
    public static ConntrackConfig ForMemory(long ramBytes, KernelVersion version, long seed = 1, int replication = 0)
    {
        var (b, m) = ConntrackSizing.Defaults(ramBytes, version);
        return new ConntrackConfig { Buckets = b, Max = m, Version = version, Seed = seed, Replication = replication };
    }

    public void Validate()
    {
        if (Buckets < 1) throw new LabInputException($"conntrack buckets must be at least 1, found {Buckets}");
        if (Max < 1) throw new LabInputException($"nf_conntrack_max must be at least 1, found {Max}");
        if (Hz is not (100 or 250 or 300 or 1000)) throw new LabInputException($"HZ must be 100, 250, 300 or 1000, found {Hz}");
    }
}
