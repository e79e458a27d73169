using System.Globalization;
using Lab.Captures.Frames;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>Where a packet enters the forwarding box: from the clients (original direction) or from the servers (replies).</summary>
public enum ForwardSide : byte
{
    Client,
    Server,
}

/// <summary>What the model did with a packet (Lab.Netfilter's ForwardVerdict, without depending on it).</summary>
public enum ForwardPathTaken : byte
{
    /// <summary>Forwarded by the NIC (hardware flowtable).</summary>
    Hardware,
    /// <summary>Ingress flowtable hit: the later hooks, the forward chain among them, were skipped.</summary>
    Fast,
    /// <summary>Classic path on an existing conntrack entry.</summary>
    Classic,
    /// <summary>Classic path that created the conntrack entry (and the NAT binding).</summary>
    ClassicNew,
    Dropped,
}

/// <summary>
/// One packet that entered the forwarding box in the simulation, in arrival order, and what the
/// model made of it. Addresses are IPv4 or IPv6 (<see cref="WireAddress"/>; a packet's addresses share a family).
/// </summary>
/// <param name="Index">The packet's number within its point; it travels as the IPv4 identification or the IPv6 flow label, which forwarding, NAT and the flowtable leave alone.</param>
/// <param name="Side">Which link it enters on.</param>
/// <param name="Protocol">6 (TCP) or 17 (UDP).</param>
/// <param name="Source">IP source as it enters.</param>
/// <param name="Destination">IP destination as it enters (for a reply to a NATed flow: the model's public address).</param>
/// <param name="SourcePort">Transport source port as it enters.</param>
/// <param name="DestinationPort">Transport destination port as it enters.</param>
/// <param name="Tcp">TCP flags (SYN, ACK, FIN, RST) the model saw; None for UDP.</param>
/// <param name="AtNanoseconds">Simulated arrival time.</param>
/// <param name="Simulated">The model's path or drop.</param>
/// <param name="DropReason">For a drop, the counter it moved (conntrack -S name: insert_failed, drop, ...), else null.</param>
/// <param name="ForwardChain">Whether the packet passed the forward chain in the model (its rule counter counted it).</param>
/// <param name="Flow">The connection: equal for every packet of one conntrack entry (numbered in order of appearance).</param>
/// <param name="OutAddress">As it leaves in the model: for a client packet the source address after SNAT, for a server packet the destination after de-NAT.</param>
/// <param name="OutPort">Likewise for the port.</param>
public sealed record ForwardTracePacket(
    int Index,
    ForwardSide Side,
    byte Protocol,
    WireAddress Source,
    WireAddress Destination,
    ushort SourcePort,
    ushort DestinationPort,
    TcpFlags Tcp,
    long AtNanoseconds,
    ForwardPathTaken Simulated,
    string? DropReason,
    bool ForwardChain,
    int Flow,
    WireAddress OutAddress,
    ushort OutPort)
{
    public bool Forwarded => Simulated != ForwardPathTaken.Dropped;

    public bool Ipv6 => Source.Ipv6;

    public string Verdict => Simulated switch
    {
        ForwardPathTaken.Dropped => "drop " + DropReason,
        ForwardPathTaken.Fast => "fast",
        ForwardPathTaken.Hardware => "hw",
        ForwardPathTaken.ClassicNew => "classic new",
        _ => "classic",
    };

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{(Protocol == 6 ? "tcp" : "udp")} {Endpoint(Source, SourcePort)} -> {Endpoint(Destination, DestinationPort)}{(Protocol == 6 ? " [" + FlagsText(Tcp) + "]" : "")}");

    /// <summary>address:port, an IPv6 address in brackets (RFC 5952 section 6), as the scenario writes it.</summary>
    public static string Endpoint(WireAddress a, ushort port) =>
        (a.Ipv6 ? "[" + a + "]" : a.ToString()) + ":" + port.ToString(CultureInfo.InvariantCulture);

    public static string Ip(WireAddress a) => a.ToString();

    public static string Ip(uint a) => string.Create(CultureInfo.InvariantCulture, $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}");

    public static string FlagsText(TcpFlags f)
    {
        var parts = new List<string>(4);
        if ((f & TcpFlags.Syn) != 0) parts.Add("SYN");
        if ((f & TcpFlags.Fin) != 0) parts.Add("FIN");
        if ((f & TcpFlags.Rst) != 0) parts.Add("RST");
        if ((f & TcpFlags.Ack) != 0) parts.Add("ACK");
        return string.Join('/', parts);
    }
}

/// <summary>One conntrack entry of the model at the end of the trace, as <c>conntrack -L</c> would list it.</summary>
/// <param name="Flow">The trace's flow number.</param>
/// <param name="Protocol">6 or 17.</param>
/// <param name="Client">Original source address.</param>
/// <param name="ClientPort">Original source port.</param>
/// <param name="Server">Original destination address.</param>
/// <param name="ServerPort">Original destination port.</param>
/// <param name="TcpState">conntrack's name of the TCP state (ESTABLISHED, TIME_WAIT, ...), null for UDP or an offloaded entry (ctnetlink leaves it out).</param>
/// <param name="Assured">IPS_ASSURED.</param>
/// <param name="Unreplied">!IPS_SEEN_REPLY.</param>
/// <param name="Offload">IPS_OFFLOAD.</param>
public sealed record ForwardModelEntry(int Flow, byte Protocol, WireAddress Client, ushort ClientPort, WireAddress Server, ushort ServerPort,
    string? TcpState, bool Assured, bool Unreplied, bool Offload);

/// <summary>
/// The model's counters over the trace (from its first packet to its last): the forward chain's
/// rule counter, conntrack -S statistics and the live entries at the end, with their kernel names.
/// </summary>
public sealed record ForwardModelCounters(
    long ForwardChainPackets,
    long Insert,
    long InsertFailed,
    long Drop,
    long EarlyDrop,
    long Expired,
    IReadOnlyList<ForwardModelEntry> Entries);

/// <summary>The source NAT the DUT applies (nft <c>snat to</c>), as the model's NatRange has it.</summary>
/// <param name="MinAddress">First public address.</param>
/// <param name="MaxAddress">Last public address.</param>
/// <param name="MinPort">First port of the range, when <paramref name="PortsSpecified"/>.</param>
/// <param name="MaxPort">Last port of the range.</param>
/// <param name="PortsSpecified">NF_NAT_RANGE_PROTO_SPECIFIED: a port range was given.</param>
/// <param name="Random">NF_NAT_RANGE_PROTO_RANDOM (nft <c>random</c>).</param>
/// <param name="FullyRandom">NF_NAT_RANGE_PROTO_RANDOM_FULLY (nft <c>fully-random</c>).</param>
/// <param name="Persistent">NF_NAT_RANGE_PERSISTENT (nft <c>persistent</c>).</param>
public sealed record ForwardSnat(WireAddress MinAddress, WireAddress MaxAddress, ushort MinPort, ushort MaxPort, bool PortsSpecified,
    bool Random, bool FullyRandom, bool Persistent)
{
    /// <summary>
    /// The ports a moved source port may take: the given range, else nf_nat_l4proto_unique_tuple's
    /// default by the original port's class (1-511, 600-1023, 1024-65535).
    /// </summary>
    public (int Min, int Max) PortRangeFor(ushort originalPort) =>
        PortsSpecified ? (Math.Min(MinPort, MaxPort), Math.Max(MinPort, MaxPort))
        : originalPort < 512 ? (1, 511) : originalPort < 1024 ? (600, 1023) : (1024, 65535);

    public bool Ipv6 => MinAddress.Ipv6;

    /// <summary>The nft statement, with its family (<c>snat ip to</c>, <c>snat ip6 to</c>) as an inet table needs it; an IPv6 address with ports goes in brackets.</summary>
    public string Statement()
    {
        string addresses = MinAddress == MaxAddress ? ForwardTracePacket.Ip(MinAddress) : ForwardTracePacket.Ip(MinAddress) + "-" + ForwardTracePacket.Ip(MaxAddress);
        string ports = PortsSpecified ? string.Create(CultureInfo.InvariantCulture, $":{MinPort}-{MaxPort}") : "";
        if (Ipv6 && PortsSpecified) addresses = "[" + addresses.Replace("-", "]-[", StringComparison.Ordinal) + "]";
        var flags = new List<string>(3);
        if (Random) flags.Add("random");
        if (FullyRandom) flags.Add("fully-random");
        if (Persistent) flags.Add("persistent");
        return $"snat {(Ipv6 ? "ip6" : "ip")} to {addresses}{ports}" + (flags.Count > 0 ? " " + string.Join(',', flags) : "");
    }
}

/// <summary>
/// How the DUT is configured for a forward trace, from the scenario's <c>forward</c> element: the
/// forward chain (its rule count and <c>flow add @ft</c>), the flowtable, the source NAT, and the
/// conntrack sysctls (net.netfilter.*, whole seconds for timeouts).
/// </summary>
public sealed record ForwardDutConfig
{
    /// <summary>Rules in the forward chain that every classic-path packet passes (the scenario's <c>rules</c>).</summary>
    public int Rules { get; init; }

    public bool Flowtable { get; init; }

    public bool FlowAdd { get; init; } = true;

    public ForwardSnat? Snat { get; init; }

    /// <summary>The source NAT of IPv6 flows (nft <c>snat ip6 to</c>; masquerade's is the out interface's IPv6 address), or null: they pass untranslated.</summary>
    public ForwardSnat? Snat6 { get; init; }

    /// <summary>The NAT of a flow of the family.</summary>
    public ForwardSnat? SnatFor(bool ipv6) => ipv6 ? Snat6 : Snat;

    /// <summary>net.netfilter.nf_conntrack_max, or null to leave the kernel's.</summary>
    public int? ConntrackMax { get; init; }

    /// <summary>net.netfilter.nf_conntrack_tcp_loose.</summary>
    public bool TcpLoose { get; init; } = true;

    /// <summary>net.netfilter sysctl name (without the prefix) to seconds: nf_conntrack_udp_timeout, nf_conntrack_tcp_timeout_established, nf_flowtable_tcp_timeout, ...</summary>
    public IReadOnlyDictionary<string, long> Timeouts { get; init; } = new Dictionary<string, long>();
}

/// <summary>One sweep point's forward trace: its label, the packets, the model's counters and the DUT's configuration.</summary>
public sealed record ForwardTrace(string Check, IReadOnlyList<ForwardTracePacket> Packets, ForwardModelCounters Model, ForwardDutConfig Dut)
{
    public int Flows => Packets.Count == 0 ? 0 : Packets.Max(p => p.Flow) + 1;
}
