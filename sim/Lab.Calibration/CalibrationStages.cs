using Lab.KernelLab.Calibration;
using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>One kind of measurement window: a router configuration and whether the traffic opens a new flow per packet (or per pair).</summary>
public sealed record CalibrationWindow(string Name, RouterConfig Config, bool NewFlows = false, int PacketsPerNewFlow = 1)
{
    public override string ToString() => Name;
}

/// <summary>
/// A stage: (<see cref="Test"/> minus <see cref="Reference"/>) busy ns per packet, divided by <see cref="Divisor"/>
/// (rules per packet, ...), or <see cref="Test"/> alone for the baseline. Both windows run in the same pass, so a
/// stage's value per pass is a paired difference and slow drift of the machine cancels.
/// </summary>
public sealed record CalibrationStage(string Name, string Description, CalibrationWindow Test, CalibrationWindow? Reference, double Divisor, string Unit);

/// <summary>The stages of <c>lab calibrate</c>, in the order of <see cref="CostProfileSchema.StageNames"/>.</summary>
public static class CalibrationStages
{
    /// <summary>Rules in the linear-rule window: enough that their cost stands well above the noise, few enough to keep the window short.</summary>
    public const int LinearRules = 200;

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
    public static readonly CalibrationWindow Rules = new($"{LinearRules} rules", new RouterConfig { LinearRules = LinearRules });
    public static readonly CalibrationWindow Sets = new($"{SetLookups} set lookups", new RouterConfig { SetLookups = SetLookups });
    public static readonly CalibrationWindow FastPath = new("flowtable", FtAdd);
    public static readonly CalibrationWindow FlowPairs = new("flowtable, new flow pairs", Ft, NewFlows: true, PacketsPerNewFlow: 2);
    public static readonly CalibrationWindow FlowPairsAdd = new("flowtable+flow add, new flow pairs", FtAdd, NewFlows: true, PacketsPerNewFlow: 2);

    public static readonly IReadOnlyList<CalibrationStage> All =
    [
        new("baseline", "injection, veth and the sink's ingress drop (subtracted from the others)", Baseline, null, 1, "ns/packet"),
        new("forward", "router: receive, routing, forward chain, transmit", Plain, Baseline, 1, "ns/packet"),
        new("conntrack_lookup", "conntrack lookup of an established entry (ct state rule)", Conntrack, Plain, 1, "ns/packet"),
        new("conntrack_new", "conntrack creation and confirm, a new flow per packet", ConntrackNew, PlainNew, 1, "ns/packet"),
        new("nat_established", "masquerade on an established entry, beyond conntrack", Masquerade, Conntrack, 1, "ns/packet"),
        new("nat_setup", "a new masqueraded connection, beyond conntrack_new", MasqueradeNew, ConntrackNew, 1, "ns/packet"),
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
