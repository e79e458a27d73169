using System.Globalization;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// The tuples of the nat_attempt calibration windows, for a router that masquerades to a range of <see cref="Ports"/>
/// source ports (<c>masquerade to :RangeStart-(RangeStart+Ports-1)</c>, <see cref="RouterConfig.MasqueradePorts"/>).
/// Flows 0 .. Ports-1 (the start of the warm-up) come from one client with source ports RangeStart, RangeStart+1, ...:
/// each port is in the range and free, so get_unique_tuple keeps it (nf_nat_core.c, 6.x: "Only bother mapping if
/// it's not already in range and unique") and the range is then full towards <see cref="Destination"/>:443. Every
/// later flow comes from a client of its own with source port <see cref="ClashSourcePort"/>, outside the range, to the
/// same destination: find_appropriate_src finds no mapping of that source, the port is not kept (not in range, so not
/// checked), and nf_nat_l4proto_unique_tuple checks min(Ports, 128) = Ports tuples (NF_NAT_MAX_ATTEMPTS 128), finds every
/// one taken and returns; with no round after it ("attempts >= range_size"), the entry keeps a taken reply tuple and
/// __nf_conntrack_confirm drops the packet (a reply-direction clash: nf_ct_resolve_clash_harder returns -EBUSY). So
/// every window packet costs one new conntrack entry, one NAT setup with exactly Ports tuple checks, and a failed
/// confirm; the difference of two windows with different Ports is that many checks.
/// </summary>
public sealed class PortClashPlan : IMeterAddressPlan
{
    /// <summary>The first port of the masquerade range: well above the privileged classes, below the ephemeral range.</summary>
    public const ushort RangeStart = 20000;

    /// <summary>The clashing clients' source port: outside every range this plan is used with (at most 128 ports).</summary>
    public const ushort ClashSourcePort = 40000;

    /// <summary>The one destination, in the plan destinations the meter routes to its sink (198.18.0.0/15, RFC 2544).</summary>
    public const uint Destination = 198u << 24 | 18u << 16 | 1;

    public const ushort DestinationPort = 443;

    /// <summary>The client that holds the range: 10.0.0.2.</summary>
    public const uint HoldingClient = 10u << 24 | 2;

    /// <summary>The first clashing client, 10.1.0.1; flow k (k &gt;= Ports) comes from 10.1.0.1 + (k mod 60,000).</summary>
    public const uint FirstClashClient = 10u << 24 | 1u << 16 | 1;

    public PortClashPlan(int ports)
    {
        // 2 and up: a one-port range is kept unchecked (get_unique_tuple: "range->min_proto.all == range->max_proto.all").
        // 128 at most: beyond NF_NAT_MAX_ATTEMPTS the search halves its window and retries from a random offset.
        if (ports is < 2 or > 128) throw new ArgumentOutOfRangeException(nameof(ports), ports, "2 to 128 ports");
        Ports = ports;
    }

    public int Ports { get; }

    public MeterTuple Tuple(long flow) => flow < Ports
        ? new MeterTuple(HoldingClient, Destination, (ushort)(RangeStart + flow), DestinationPort)
        : new MeterTuple(FirstClashClient + (uint)(flow % 60_000), Destination, ClashSourcePort, DestinationPort);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Ports} ports {RangeStart}-{RangeStart + Ports - 1} held by 10.0.0.2, then new clients from 10.1.0.1 port {ClashSourcePort}, all to 198.18.0.1:{DestinationPort}");
}
