using System.Globalization;
using Lab.KernelLab.ForwardValidation;
using Lab.Core;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Nat;
using Lab.Netfilter.Stages;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>
/// The device under test of a scenario whose path has a <c>forward</c> element: that element's
/// configuration, and the kernel configuration it implies (<see cref="ForwardDutConfig"/>). What the
/// kernels here cannot be given is refused with the element's file:line:column before anything runs.
/// </summary>
public sealed record ForwardDutSpec(string Element, ForwardStageConfig Model, Lab.Scenarios.Yaml.SourcePos Pos)
{
    /// <summary>Timeouts shorter than this are raised for the kernel when no entry expires in the model's trace: the replay is not timed and takes seconds to minutes.</summary>
    public const long MinKernelTimeoutSeconds = 600;

    /// <summary>Whether the scenario validates a forward element (and not esp_in).</summary>
    public static bool Applies(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var models = scenario.Path.OfType<ModelStageElement>().ToList();
        return models.Any(e => e.Type == "forward") && !models.Any(e => e.Type == "esp_in");
    }

    public static ForwardDutSpec From(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var elements = scenario.Path.OfType<ModelStageElement>().Where(e => e.Type == "forward").ToList();
        if (elements.Count == 0)
            throw ParameterException.Mentioning($"{scenario.SourceFile}: ", new CommandName("validate"), $": expected a forward path element, found none");
        if (elements.Count > 1)
            throw ParameterException.Mentioning($"{elements[1].Pos}: ", new CommandName("validate"), $" takes one forward element (the device under test), found {elements.Count}");
        var element = elements[0];
        var cfg = (ForwardStageConfig)element.Config;
        string where = element.Pos.ToString();
        var problems = new List<string>();
        if (cfg.HardwareOffload)
            problems.Add($"{where}: {element.Name}.hw_offload: the kernels here forward through veth and virtio, which have no NIC flow offload; validate a copy of the scenario without hw_offload");
        if (cfg.Snat is { } s)
        {
            if (s.Has(NatRangeFlags.ProtoOffset) || s.Has(NatRangeFlags.Netmap))
                problems.Add($"{where}: {element.Name}.snat: offset and netmap ranges have no nft statement here");
            foreach (var (net, bits, what) in Reserved)
            {
                uint first = net & (uint.MaxValue << (32 - bits)), last = first | (uint.MaxValue >> bits);
                if (s.MinIp <= last && s.MaxIp >= first)
                    problems.Add($"{where}: {element.Name}.snat: the pool {FlowTuple.FormatIp(s.MinIp.V4)}-{FlowTuple.FormatIp(s.MaxIp.V4)} overlaps {what} {FlowTuple.FormatIp(net)}/{bits.ToString(CultureInfo.InvariantCulture)}");
            }
        }
        if (problems.Count > 0) throw new LabInputException(problems);
        return new ForwardDutSpec(element.Name, cfg, element.Pos);
    }

    /// <summary>Networks the validation topology uses for itself or for the model's clients and servers.</summary>
    static readonly (uint Net, int Bits, string What)[] Reserved =
    [
        (FlowTuple.Ip(192, 0, 2, 0), 24, "the DUT's ingress link"),
        (FlowTuple.Ip(198, 51, 100, 0), 24, "the DUT's egress link"),
        (FlowTuple.Ip(10, 0, 0, 0), 8, "the clients"),
        (FlowTuple.Ip(198, 18, 0, 0), 15, "the servers"),
    ];

    /// <summary>
    /// The kernel's configuration. Timeouts are the scenario's in whole seconds (rounded up), raised to
    /// <see cref="MinKernelTimeoutSeconds"/> when <paramref name="raiseTimeouts"/> (nothing expired in the
    /// model's trace, so nothing may expire while the kernel replays it either).
    /// </summary>
    public ForwardDutConfig Kernel(long seed, int replication, bool raiseTimeouts)
    {
        var t = Model.Timeouts;
        var timeouts = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["nf_conntrack_udp_timeout"] = Seconds(t.UdpUnreplied),
            ["nf_conntrack_udp_timeout_stream"] = Seconds(t.UdpReplied),
            ["nf_flowtable_tcp_timeout"] = Seconds(t.FlowtableTcp),
            ["nf_flowtable_udp_timeout"] = Seconds(t.FlowtableUdp),
        };
        foreach (var (name, state) in TcpSysctls) timeouts["nf_conntrack_tcp_timeout_" + name] = Seconds(t.Tcp[(int)state]);
        if (raiseTimeouts)
            foreach (var k in timeouts.Keys.ToList()) timeouts[k] = Math.Max(timeouts[k], MinKernelTimeoutSeconds);
        return new ForwardDutConfig
        {
            Rules = Model.Rules.LinearRules,
            Flowtable = Model.Flowtable,
            FlowAdd = Model.Rules.FlowAdd,
            Snat = Model.Snat is { } s ? new ForwardSnat(s.MinIp.V4, s.MaxIp.V4, s.MinPort, s.MaxPort, s.Has(NatRangeFlags.ProtoSpecified),
                s.Has(NatRangeFlags.ProtoRandom), s.Has(NatRangeFlags.ProtoRandomFully), s.Has(NatRangeFlags.Persistent)) : null,
            ConntrackMax = Model.ConntrackConfig(seed, replication).Max,
            TcpLoose = Model.TcpLoose,
            Timeouts = timeouts,
        };
    }

    static long Seconds(long ps) => (ps + SimTime.Second - 1) / SimTime.Second;

    /// <summary>net.netfilter.nf_conntrack_tcp_timeout_* names (nf_conntrack_standalone.c) for the model's TCP states.</summary>
    static readonly (string Name, TcpState State)[] TcpSysctls =
    [
        ("syn_sent", TcpState.SynSent), ("syn_recv", TcpState.SynRecv), ("established", TcpState.Established),
        ("fin_wait", TcpState.FinWait), ("close_wait", TcpState.CloseWait), ("last_ack", TcpState.LastAck),
        ("time_wait", TcpState.TimeWait), ("close", TcpState.Close), ("unacknowledged", TcpState.Unack),
    ];
}
