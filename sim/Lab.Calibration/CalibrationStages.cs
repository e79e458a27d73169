using Lab.KernelLab.Calibration;
using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>
/// One kind of measurement window: a router configuration, whether the traffic opens a new flow per packet (or per
/// pair), and the frame size (null: the calibration's <see cref="CalibrationOptions.FrameBytes"/>). With
/// <see cref="Addresses"/> the new flows take those tuples instead of the meter's own. <see cref="RouterDrops"/>: the
/// router drops every packet of the window by design (the nat_attempt windows), so it is costed per packet sent and a
/// window that delivers nothing is not a broken topology. <see cref="PacketCap"/>: at most this many window packets per
/// pass, for windows whose packets are slow and whose signal is large; <see cref="PacketShare"/>: this share of the
/// calibration's packets, for the same reason (the linear-rule window: 200 rules make a large, steady difference).
/// </summary>
public sealed record CalibrationWindow(string Name, RouterConfig Config, bool NewFlows = false, int PacketsPerNewFlow = 1, int? FrameBytes = null,
    IMeterAddressPlan? Addresses = null, bool RouterDrops = false, long? PacketCap = null, double PacketShare = 1)
{
    public override string ToString() => Name;
}

/// <summary>
/// A stage: (<see cref="Test"/> minus <see cref="Reference"/>) busy ns per packet, divided by <see cref="Divisor"/>
/// (rules per packet, ...), or <see cref="Test"/> alone for the baseline. With <see cref="LessTest"/> and
/// <see cref="LessReference"/> it is a double difference, (Test - Reference) - (LessTest - LessReference); with
/// <see cref="PerFrameByte"/> the divisor is the frame growth, <see cref="CalibrationStages.LargeFrame"/> minus the
/// calibration's frame. All windows run block by block in the same pass, so a stage's value per pass is a median of
/// paired differences and slow drift of the machine cancels.
/// </summary>
public sealed record CalibrationStage(string Name, string Description, CalibrationWindow Test, CalibrationWindow? Reference, double Divisor, string Unit,
    CalibrationWindow? LessTest = null, CalibrationWindow? LessReference = null, bool PerFrameByte = false);

/// <summary>The stages of <c>lab calibrate</c>, in the order of <see cref="CostProfileSchema.StageNames"/>.</summary>
public static class CalibrationStages
{
    /// <summary>Rules in the linear-rule window: enough that their cost stands well above the noise, few enough to keep the window short.</summary>
    public const int LinearRules = 200;

    /// <summary>
    /// The large frame of the per-byte stage (with FCS): 1400 B, as the held-out 1400 B timing scenario; 1514 B + FCS would
    /// be the Ethernet maximum, 1400 B stays clear of any MTU question on the veths.
    /// </summary>
    public const int LargeFrame = 1400;

    /// <summary>
    /// The two masquerade port ranges of the nat_attempt stage: a new connection checks every port of a full range
    /// (<see cref="PortClashPlan"/>), so the windows differ by <see cref="MoreAttempts"/> - <see cref="FewerAttempts"/>
    /// tuple checks per packet and nothing else. 128 is the most one search round checks (NF_NAT_MAX_ATTEMPTS); 2, the
    /// fewest a checked range has, keeps the reference's fixed work (conntrack creation, the failed confirm) while its few
    /// checks, which stay in the cache, weigh little in the slope: (128 cold - 2 warm) / 126 is within 2% of the
    /// difference between a cold and a warm check of the cold cost.
    /// </summary>
    public const int FewerAttempts = 2;

    /// <summary>Window packets per pass of the nat_attempt windows: with 128 cold checks a packet takes tens of microseconds.</summary>
    public const long ClashPackets = 40_000;

    /// <inheritdoc cref="FewerAttempts"/>
    public const int MoreAttempts = 128;

    /// <summary>Set-lookup rules in the set-lookup window.</summary>
    public const int SetLookups = 50;

    static readonly RouterConfig Ct = new() { Conntrack = true };
    static readonly RouterConfig Masq = new() { Conntrack = true, Masquerade = true };
    static readonly RouterConfig Ft = new() { Conntrack = true, Flowtable = true };
    static readonly RouterConfig FtAdd = new() { Conntrack = true, Flowtable = true, FlowAdd = true };

    public static readonly CalibrationWindow Baseline = new("baseline", RouterConfig.Baseline);
    public static readonly CalibrationWindow Plain = new("forward", RouterConfig.Plain);
    public static readonly CalibrationWindow PlainNew = new("forward, new flows", RouterConfig.Plain, NewFlows: true);
    public static readonly CalibrationWindow Conntrack = new("conntrack", Ct);
    public static readonly CalibrationWindow ConntrackNew = new("conntrack, new flows", Ct, NewFlows: true);
    public static readonly CalibrationWindow Masquerade = new("masquerade", Masq);
    public static readonly CalibrationWindow MasqueradeNew = new("masquerade, new flows", Masq, NewFlows: true);
    // A quarter of the packets: 200 rules cost about 2.7 us a packet, the slowest established window, and the stage's
    // interval was the narrowest (5.7% over 20 quiet passes of 1,000,000 packets).
    public static readonly CalibrationWindow Rules = new($"{LinearRules} rules", new RouterConfig { LinearRules = LinearRules }, PacketShare: 0.25);
    public static readonly CalibrationWindow Sets = new($"{SetLookups} set lookups", new RouterConfig { SetLookups = SetLookups });
    public static readonly CalibrationWindow FastPath = new("flowtable", FtAdd);
    public static readonly CalibrationWindow FlowPairs = new("flowtable, new flow pairs", Ft, NewFlows: true, PacketsPerNewFlow: 2);
    public static readonly CalibrationWindow BaselineLarge = new($"baseline, {LargeFrame}B", RouterConfig.Baseline, FrameBytes: LargeFrame);
    public static readonly CalibrationWindow PlainLarge = new($"forward, {LargeFrame}B", RouterConfig.Plain, FrameBytes: LargeFrame);
    public static readonly CalibrationWindow ClashFew = Clash(FewerAttempts);
    public static readonly CalibrationWindow ClashMany = Clash(MoreAttempts);
    public static readonly CalibrationWindow FlowPairsAdd = new("flowtable+flow add, new flow pairs", FtAdd, NewFlows: true, PacketsPerNewFlow: 2);

    static CalibrationWindow Clash(int ports) => new($"masquerade, {ports} taken ports", Masq with { MasqueradePorts = ports },
        NewFlows: true, Addresses: new PortClashPlan(ports), RouterDrops: true, PacketCap: ClashPackets);

    public static readonly IReadOnlyList<CalibrationStage> All =
    [
        new("baseline", "injection, veth and the sink's ingress drop (subtracted from the others)", Baseline, null, 1, "ns/packet"),
        new("forward", "router: receive, routing, forward chain, transmit", Plain, Baseline, 1, "ns/packet"),
        // The router's part only: the injection, veth and sink's per-byte work is in both baselines and cancels.
        new("forward_per_byte", $"router forwarding, per byte of frame beyond the calibration's frame ({LargeFrame}B against it, each less its baseline)",
            PlainLarge, BaselineLarge, 1, "ns/byte", Plain, Baseline, PerFrameByte: true),
        new("conntrack_lookup", "conntrack lookup of an established entry (ct state rule)", Conntrack, Plain, 1, "ns/packet"),
        new("conntrack_new", "conntrack creation and confirm, a new flow per packet", ConntrackNew, PlainNew, 1, "ns/packet"),
        new("nat_established", "masquerade on an established entry, beyond conntrack", Masquerade, Conntrack, 1, "ns/packet"),
        new("nat_setup", "a new masqueraded connection, beyond conntrack_new", MasqueradeNew, ConntrackNew, 1, "ns/packet"),
        // nf_nat_l4proto_unique_tuple checking every port of a full range: 128 checks against 2, per check.
        new("nat_attempt", $"one tuple check of the NAT port search (nf_nat_used_tuple), new connections that find every port of a full range taken ({MoreAttempts} checks against {FewerAttempts})",
            ClashMany, ClashFew, MoreAttempts - FewerAttempts, "ns/attempt"),
        new("linear_rule", $"one non-matching rule ({LinearRules} rules against none)", Rules, Plain, LinearRules, "ns/rule"),
        new("set_lookup", $"one rule with a hash-set lookup ({SetLookups} rules against none)", Sets, Plain, SetLookups, "ns/lookup"),
        new("flowtable_fast_path", "a packet on the flowtable fast path (offloaded flows), router part", FastPath, Baseline, 1, "ns/packet"),
        // Two packets per flow: the second is offloaded in the test window; per flow = per two packets.
        new("flow_offload_add", "flow add @ft offloading a connection, per flow", FlowPairsAdd, FlowPairs, 0.5, "ns/flow"),
    ];

    public static CalibrationStage? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>The ESP stages of the profile, which need the kernel's ESP (INET_ESP, rfc4106(gcm(aes))).</summary>
    public static IReadOnlyList<string> EspStageNames => [.. CostProfileSchema.StageNames.Where(n => n.StartsWith("esp_", StringComparison.Ordinal))];
}
