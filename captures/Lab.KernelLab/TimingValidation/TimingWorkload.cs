using System.Globalization;
using Lab.KernelLab.Calibration;

namespace Lab.KernelLab.TimingValidation;

/// <summary>
/// The forward traffic of a scenario as the kernel meter (<see cref="KernelCostMeter"/>) drives it: UDP
/// over IPv4 at one frame size, through established flows or a new flow per packet, into a router with
/// the scenario's rule and set counts, conntrack (always: the forward model tracks every packet) and
/// masquerade.
/// </summary>
public sealed record TimingWorkload
{
    /// <summary>Ethernet frame size including the FCS, as traffic[].size counts it.</summary>
    public required int FrameBytes { get; init; }

    /// <summary>Established flows the packets cycle through (ignored with <see cref="NewFlowPerPacket"/>).</summary>
    public required int Flows { get; init; }

    /// <summary>Churn: every packet opens a new connection (conntrack creation, NAT setup and confirm per packet).</summary>
    public bool NewFlowPerPacket { get; init; }

    /// <summary>Each established flow is answered once before the measurement (UDP <c>replies: true</c>).</summary>
    public bool Replies { get; init; } = true;

    public int LinearRules { get; init; }
    public int SetLookups { get; init; }
    public bool Masquerade { get; init; }
    public bool Flowtable { get; init; }
    public bool FlowAdd { get; init; }

    /// <summary>The router configuration: conntrack is always on, as in the forward model (ForwardPath.Handle).</summary>
    public RouterConfig Router => new()
    {
        Conntrack = true,
        Masquerade = Masquerade,
        LinearRules = LinearRules,
        SetLookups = SetLookups,
        Flowtable = Flowtable,
        FlowAdd = Flowtable && FlowAdd,
    };

    /// <summary>The meter's load for <paramref name="packets"/> packets at <paramref name="offeredPps"/> (null: top speed).</summary>
    public MeterLoad Load(long packets, double? offeredPps, int? injectorCpu) => new()
    {
        Packets = packets,
        FrameBytes = FrameBytes,
        Flows = Flows,
        NewFlows = NewFlowPerPacket,
        PacketsPerNewFlow = 1,
        Replies = Replies,
        OfferedPps = offeredPps,
        InjectorCpu = injectorCpu,
    };

    /// <summary>"UDP 64 B, 1000 flows, conntrack, masquerade, 300 rules".</summary>
    public override string ToString()
    {
        var parts = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"UDP {FrameBytes} B"),
            NewFlowPerPacket ? "a new flow per packet" : string.Create(CultureInfo.InvariantCulture, $"{Flows} flows"),
            "conntrack",
        };
        if (Masquerade) parts.Add("masquerade");
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{LinearRules} rules"));
        if (SetLookups > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{SetLookups} set lookups"));
        if (Flowtable) parts.Add(FlowAdd ? "flowtable with flow add" : "flowtable");
        return string.Join(", ", parts);
    }
}
