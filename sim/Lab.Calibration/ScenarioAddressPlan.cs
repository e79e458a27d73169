using System.Globalization;
using Lab.KernelLab.Calibration;
using Lab.Netfilter;
using Lab.Netfilter.Stages;

namespace Lab.Calibration;

/// <summary>
/// A forward element's <see cref="FlowAddressPlan"/> as the kernel meter's address plan: flow k gets the tuple the
/// model's ForwardStage gives flow id k. A churning generator numbers its flows 0, 1, 2, ... from the start of the
/// run (FlowMix.Next, one source), which is how the meter numbers the flows of its warm-up and then its window.
/// </summary>
public sealed class ScenarioAddressPlan(FlowAddressPlan plan) : IMeterAddressPlan
{
    public FlowAddressPlan Plan { get; } = plan ?? throw new ArgumentNullException(nameof(plan));

    public MeterTuple Tuple(long flow)
    {
        // FlowMix reuses ids after 2^24 flows; a window never gets there (nf_conntrack_max bounds it far lower).
        var t = Plan.Tuple((int)(flow & (Lab.Models.Traffic.FlowMix.IdSpace - 1)));
        return new MeterTuple(t.SrcIp.V4, t.DstIp.V4, t.SrcPort, t.DstPort); // the address plan is IPv4
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Plan.Subscribers} subscribers from {FlowTuple.FormatIp(FlowAddressPlan.ClientBase)}, {Plan.Destinations} destination{(Plan.Destinations == 1 ? "" : "s")} from {FlowTuple.FormatIp(FlowAddressPlan.ServerBase)}:{Plan.DestinationPort}");
}
