using System.Globalization;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// The tuples of the nat_attempt calibration windows. The router has two masquerade rules (<see cref="RouterRuleset"/>
/// with <see cref="RouterConfig.MasqueradePorts"/> = N): connections from <see cref="HoldingClient"/> masquerade over the
/// whole port range, every other one to the N ports <c>RangeStart .. RangeStart+N-1</c>.
/// <para>
/// The warm-up first opens <see cref="HoldersPerDestination"/> connections from the holding client to each of
/// <see cref="Destinations"/> destinations, with source ports RangeStart, RangeStart+1, ...: each tuple is unique, so
/// get_unique_tuple keeps its port (nf_nat_core.c, 6.x) and the ports RangeStart .. RangeStart+127 are then taken towards
/// every destination, whatever N is: both windows of the stage have the same conntrack table.
/// </para>
/// <para>
/// Every later flow comes from a client of its own (10.1.0.1 + k mod 60,000) with source port <see cref="ClashSourcePort"/>,
/// outside the range, to the destinations in turn: find_appropriate_src finds no mapping of that source (a dropped
/// connection leaves none), the port is not in the range and so not kept unchecked, and nf_nat_l4proto_unique_tuple checks
/// min(N, NF_NAT_MAX_ATTEMPTS 128) = N tuples, all taken, and returns with no second round ("attempts &gt;= range_size");
/// the entry keeps a taken reply tuple and __nf_conntrack_confirm drops the packet (a reply-direction clash:
/// nf_ct_resolve_clash_harder returns -EBUSY). Each window packet thus costs a new conntrack entry, a NAT setup with
/// exactly N nf_nat_used_tuple checks and a failed confirm; two windows differ by their N and nothing else.
/// </para>
/// <para>
/// The checks visit the destinations in turn, so with 128 checks a connection's buckets were last touched 511
/// connections (65,000 entries) earlier and are as cold as a port search's random probes in a large churning table;
/// a check against a handful of entries that stay in the cache costs several times less (measured: about 44 ns).
/// </para>
/// </summary>
public sealed class PortClashPlan : IMeterAddressPlan
{
    /// <summary>The first port of the masquerade range: well above the privileged classes, below the ephemeral range.</summary>
    public const ushort RangeStart = 20000;

    /// <summary>Ports taken towards each destination: the most one search round checks (NF_NAT_MAX_ATTEMPTS).</summary>
    public const int HoldersPerDestination = 128;

    /// <summary>Destinations: 512 x 128 = 65,536 taken tuples, the size of the churn scenario's table, far beyond the caches.</summary>
    public const int Destinations = 512;

    /// <summary>Clashing connections in the warm-up after the holders, so that the window's code path is hot.</summary>
    public const int ClashWarmup = 4096;

    /// <summary>The clashing clients' source port: outside every range this plan is used with.</summary>
    public const ushort ClashSourcePort = 40000;

    /// <summary>The first destination, 198.18.0.1, in the plan destinations the meter routes to its sink (198.18.0.0/15, RFC 2544).</summary>
    public const uint FirstDestination = 198u << 24 | 18u << 16 | 1;

    public const ushort DestinationPort = 443;

    /// <summary>The client that holds the ranges: 10.0.0.2, masqueraded by a rule of its own over the whole port range.</summary>
    public const uint HoldingClient = 10u << 24 | 2;

    /// <summary>The first clashing client, 10.1.0.1.</summary>
    public const uint FirstClashClient = 10u << 24 | 1u << 16 | 1;

    public const int Holders = HoldersPerDestination * Destinations;

    public PortClashPlan(int ports)
    {
        // 2 and up: a one-port range is kept unchecked (get_unique_tuple: "range->min_proto.all == range->max_proto.all").
        // 128 at most: beyond NF_NAT_MAX_ATTEMPTS the search halves its window and retries from a random offset.
        if (ports is < 2 or > HoldersPerDestination) throw new ArgumentOutOfRangeException(nameof(ports), ports, $"2 to {HoldersPerDestination} ports");
        Ports = ports;
    }

    public int Ports { get; }

    /// <summary>The holders and the clashing warm-up.</summary>
    public long? WarmupFlows => Holders + ClashWarmup;

    public MeterTuple Tuple(long flow)
    {
        if (flow < Holders)
            return new MeterTuple(HoldingClient, FirstDestination + (uint)(flow % Destinations), (ushort)(RangeStart + flow / Destinations), DestinationPort);
        long k = flow - Holders;
        return new MeterTuple(FirstClashClient + (uint)(k % 60_000), FirstDestination + (uint)(k % Destinations), ClashSourcePort, DestinationPort);
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"ports {RangeStart}-{RangeStart + HoldersPerDestination - 1} held by 10.0.0.2 towards {Destinations} destinations, then new clients from 10.1.0.1 port {ClashSourcePort} masqueraded to {Ports} of them");
}
