namespace Lab.KernelLab.Calibration;

/// <summary>
/// How the router under measurement is configured. Every switch maps to one nft construct in
/// <see cref="RouterRuleset"/>: conntrack is on only while a rule uses it (a <c>ct state</c> rule, or NAT),
/// because nf_conntrack registers its hooks in a namespace only for a ruleset that needs them
/// (nf_ct_netns_get, net/netfilter/nf_conntrack_proto.c).
/// </summary>
public sealed record RouterConfig
{
    /// <summary>False: the baseline, frames go from the injector straight into the sink (no router).</summary>
    public bool Forward { get; init; } = true;

    /// <summary>A <c>ct state invalid drop</c> rule in the forward chain (never matches): conntrack on.</summary>
    public bool Conntrack { get; init; }

    /// <summary><c>oifname OUT masquerade</c> in a postrouting nat chain (implies conntrack).</summary>
    public bool Masquerade { get; init; }

    /// <summary>
    /// With <see cref="Masquerade"/>: 0 for the whole port range, else <c>masquerade to :B-(B+N-1)</c> with
    /// B = <see cref="PortClashPlan.RangeStart"/>, a range of N ports (NF_NAT_RANGE_PROTO_SPECIFIED) that
    /// <see cref="PortClashPlan"/> fills so that every later connection's port search checks all N and fails.
    /// </summary>
    public int MasqueradePorts { get; init; }

    /// <summary>Forward-chain rules that evaluate meta l4proto (matches) and ip saddr (does not match), so none ever matches.</summary>
    public int LinearRules { get; init; }

    /// <summary>Forward-chain rules with one lookup each in a hash set (ip saddr @blocked) that never matches.</summary>
    public int SetLookups { get; init; }

    /// <summary>A flowtable on both router interfaces (its ingress hook sees every packet).</summary>
    public bool Flowtable { get; init; }

    /// <summary><c>flow add @ft</c> in the forward chain (needs <see cref="Flowtable"/>; implies conntrack).</summary>
    public bool FlowAdd { get; init; }

    public bool TracksConnections => Conntrack || Masquerade || FlowAdd;

    /// <summary>Forwarding with no ruleset at all.</summary>
    public bool IsPlainForwarding => Forward && !TracksConnections && LinearRules == 0 && SetLookups == 0 && !Flowtable;

    public static RouterConfig Baseline { get; } = new() { Forward = false };
    public static RouterConfig Plain { get; } = new();

    /// <summary>A short name for progress lines and errors, e.g. "forward+ct+masq+200 rules".</summary>
    public override string ToString()
    {
        if (!Forward) return "baseline";
        var parts = new List<string> { "forward" };
        if (Conntrack) parts.Add("ct");
        if (Masquerade) parts.Add(MasqueradePorts > 0 ? $"masq to {MasqueradePorts} ports" : "masq");
        if (LinearRules > 0) parts.Add($"{LinearRules} rules");
        if (SetLookups > 0) parts.Add($"{SetLookups} set lookups");
        if (Flowtable) parts.Add(FlowAdd ? "flowtable+flow add" : "flowtable");
        return string.Join('+', parts);
    }
}

/// <summary>
/// The traffic of one measurement: UDP over IPv4, <see cref="FrameBytes"/> per frame, cycling through
/// <see cref="Flows"/> flows, or a fresh 5-tuple every <see cref="PacketsPerNewFlow"/> packets.
/// </summary>
public sealed record MeterLoad
{
    /// <summary>Packets injected in the measured window (warm-up packets come on top).</summary>
    public long Packets { get; init; } = 100_000;

    /// <summary>Ethernet frame size including the 4-byte FCS, as traffic[].size counts it; the injected buffer is 4 bytes shorter. At least 64.</summary>
    public int FrameBytes { get; init; } = 64;

    /// <summary>Established flows the packets cycle through (ignored with <see cref="NewFlows"/>).</summary>
    public int Flows { get; init; } = 1000;

    /// <summary>A new connection every <see cref="PacketsPerNewFlow"/> packets instead of a fixed set of flows.</summary>
    public bool NewFlows { get; init; }

    /// <summary>With <see cref="NewFlows"/>: packets per new connection (1 = a new flow per packet; 2 lets the second be offloaded).</summary>
    public int PacketsPerNewFlow { get; init; } = 1;

    /// <summary>Before the window, answer each established flow once from the sink side so its conntrack entry is established (SEEN_REPLY).</summary>
    public bool Replies { get; init; } = true;

    /// <summary>Offered rate in packets per second; null = as fast as the sender can (top speed).</summary>
    public double? OfferedPps { get; init; }

    /// <summary>The CPU the injecting thread is pinned to; null = not pinned.</summary>
    public int? InjectorCpu { get; init; }

    /// <summary>Frames per sendmmsg call.</summary>
    public int Batch { get; init; } = 64;

    /// <summary>
    /// With <see cref="NewFlows"/>: the addresses and ports of each new flow (a scenario's address plan), numbered from the
    /// warm-up's first flow on; null: the meter's own tuples (10.0.0.2 to 198.51.100.2, a distinct port pair per flow).
    /// </summary>
    public IMeterAddressPlan? Addresses { get; init; }

    /// <summary>Throws for values the meter cannot produce.</summary>
    public void Validate()
    {
        if (Packets < 1) throw new ArgumentOutOfRangeException(nameof(Packets), Packets, "at least one packet");
        if (FrameBytes is < 64 or > 1518) throw new ArgumentOutOfRangeException(nameof(FrameBytes), FrameBytes, "64 to 1518 bytes (with FCS)");
        if (Flows is < 1 or > 60_000) throw new ArgumentOutOfRangeException(nameof(Flows), Flows, "1 to 60000 flows");
        if (PacketsPerNewFlow < 1) throw new ArgumentOutOfRangeException(nameof(PacketsPerNewFlow), PacketsPerNewFlow, "at least 1");
        if (OfferedPps is double r && !(r > 0 && double.IsFinite(r))) throw new ArgumentOutOfRangeException(nameof(OfferedPps), r, "a positive rate");
        if (Batch is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(Batch), Batch, "1 to 1024");
    }
}
