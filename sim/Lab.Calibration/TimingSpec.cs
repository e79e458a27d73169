using System.Globalization;
using Lab.KernelLab.TimingValidation;
using Lab.Core;
using Lab.Netfilter;
using Lab.Netfilter.Stages;
using Lab.Scenarios;

namespace Lab.Calibration;

/// <summary>
/// What <c>lab validate --timing</c> drives into the kernel for a scenario: its forward element and its one
/// traffic generator as a <see cref="TimingWorkload"/>. What the kernel meter cannot drive (TCP, a size mix,
/// a churn other than a new flow per packet, a NAT pool, hardware offload) is refused with file:line:column.
/// </summary>
public sealed record TimingSpec(string Element, string Traffic, TimingWorkload Workload)
{
    /// <summary>Flow lengths below this mean (with the Pareto draw rounded to whole packets) make every packet a new flow.</summary>
    public const double NewFlowMeanPackets = 1.5;

    public static TimingSpec From(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var elements = scenario.Path.OfType<ModelStageElement>().Where(e => e.Type == "forward").ToList();
        if (elements.Count != 1)
            throw new LabInputException(elements.Count == 0
                ? $"{scenario.SourceFile}: a timing validation: expected a forward path element (the router whose timing is validated), found none"
                : $"{elements[1].Pos}: a timing validation takes one forward element, found {elements.Count}");
        if (scenario.Traffic.Count != 1)
            throw new LabInputException($"{scenario.Traffic[^1].Pos}: a timing validation: expected one traffic generator (the kernel meter drives one stream), found {scenario.Traffic.Count}");
        var element = elements[0];
        var cfg = (ForwardStageConfig)element.Config;
        var t = scenario.Traffic[0];
        string at = element.Pos.ToString(), tat = t.Pos.ToString();
        var problems = new List<string>();
        if (cfg.Addresses.Proto != IpProto.Udp)
            problems.Add($"{at}: {element.Name}.protocol: the kernel meter sends UDP; found tcp (set protocol: udp for a timing validation)");
        if (cfg.HardwareOffload)
            problems.Add($"{at}: {element.Name}.hw_offload: veth has no NIC flow offload; validate the timing without hw_offload");
        if (cfg.Snat is { } s && s.MinIp != s.MaxIp)
            problems.Add($"{at}: {element.Name}.snat: the kernel meter masquerades to one address; found a pool of {(long)s.MaxIp.V4 - s.MinIp.V4 + 1} addresses");
        if (t.Kind is not ("cbr" or "poisson"))
            problems.Add($"{tat}: traffic[0].kind: a timing validation drives a stream at a rate; expected cbr or poisson, found {t.Kind}");
        int frame = FixedSize(t.Spec.Sizes.Name);
        if (frame < 0)
            problems.Add($"{tat}: traffic[0].size: the kernel meter sends one frame size; expected a size such as 64B, found {t.Spec.Sizes.Name}");
        else if (frame is < 64 or > 1518)
            problems.Add($"{tat}: traffic[0].size: the kernel meter sends 64B to 1518B frames, found {frame}B");
        bool newFlows = false;
        if (t.Spec.ChurnFlows)
        {
            if (t.Spec.FlowMeanPackets < NewFlowMeanPackets)
                newFlows = true;
            else
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{tat}: traffic[0].flow_mix: the kernel meter drives a new flow per packet (mean_packets: 1) or established flows; found mean_packets {t.Spec.FlowMeanPackets}"));
        }
        else if (t.Spec.Flows > 60_000)
            problems.Add($"{tat}: traffic[0].flows: the kernel meter drives at most 60000 established flows, found {t.Spec.Flows}");
        if (problems.Count > 0) throw new LabInputException(problems);
        return new TimingSpec(element.Name, t.Spec.Name, new TimingWorkload
        {
            FrameBytes = frame,
            Flows = Math.Min(t.Spec.Flows, 60_000),
            NewFlowPerPacket = newFlows,
            // New flows are set up in the window: NAT's port search depends on the tuples, so the kernel gets the model's.
            Addresses = newFlows ? new ScenarioAddressPlan(cfg.Addresses) : null,
            Replies = cfg.UdpReplies,
            LinearRules = cfg.Rules.LinearRules,
            SetLookups = cfg.Rules.SetLookups,
            Masquerade = cfg.Snat is not null,
            Flowtable = cfg.Flowtable,
            FlowAdd = cfg.Rules.FlowAdd,
        });
    }

    /// <summary>The size of a fixed-size distribution ("64B"), or -1.</summary>
    static int FixedSize(string name) =>
        name.EndsWith('B') && int.TryParse(name[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int b) ? b : -1;
}
