using Lab.Simulation.Running;
using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Netfilter.NatT;
using Lab.Netfilter.Stages;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Simulation.Plugins;

/// <summary>
/// The <c>natt_rebind</c> path element: the return direction of an ESP-in-UDP tunnel whose NAT
/// mapping moves to a new port at a given time (<see cref="NattRebindStage"/>).
/// </summary>
public sealed class NattRebindDeclaration : StageDeclaration<NattRebindConfig, NattRebindStage>
{
    public const string Name = "natt_rebind";

    public override string Type => Name;

    public override string Summary => "NAT rebinding under an ESP-in-UDP tunnel on the return path: XFRM_MSG_MAPPING messages and return packets lost until the IKE daemon updates the SA.";

    public override string KernelCounterpart => "net/ipv4/esp4.c esp_input_done2 -> net/xfrm/xfrm_state.c km_new_mapping (XFRMA_MTIMER_THRESH, 5.17 / 5.15.y); RFC 3948";

    static readonly Parameter<long> RebindAt = Parameter.Duration("rebind_at", 10 * SimTime.Millisecond, "scenario", "When the NAT moves the peer's mapping to a new public port.", unit: "time");
    static readonly Parameter<long> Reaction = Parameter.Duration("reaction", 100 * SimTime.Millisecond, "ASSUMPTION: strongSwan/libreswan netlink handling and SA update", "First XFRM_MSG_MAPPING to SA updated.", max: 60 * SimTime.Second, unit: "time");
    static readonly Parameter<long> MtimerThresh = Parameter.Integer("mtimer_thresh", 0, 0, uint.MaxValue, "XFRMA_MTIMER_THRESH (x->mapping_maxage), net/xfrm/xfrm_state.c km_new_mapping", "0 (off): one message per ESP packet from the new port.", unit: "seconds");
    static readonly Parameter<double> InboundRate = Parameter.BitRate("inbound_rate", 10e9, "scenario", "Rate of the inbound ESP stream from the NATed peer, on the wire (frame + 20 B).", min: 1e9, max: 400e9);
    static readonly Parameter<long> InboundFrame = Parameter.Size("inbound_frame", 1518, "scenario", "Frame size of the inbound ESP stream.", min: 64, max: 65535, unit: "bytes");
    static readonly Parameter<long> InboundPhase = Parameter.Duration("inbound_phase", 0, "scenario", "From the rebinding to the first inbound packet through the new mapping (0: it created the mapping).", unit: "time");
    static readonly Parameter<long> Cost = Parameter.Duration("cost", 0, "scenario", "CPU time per return packet on the core.", unit: "time");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", Name, "scenario", "Element name: prefix of its metrics and drop reason."),
        RebindAt, Reaction, MtimerThresh, InboundRate, InboundFrame, InboundPhase, Cost,
    ];

    public override IReadOnlyList<string> Notes { get; } =
    [
        "The simulated traffic is the return direction (towards the NATed peer); the inbound ESP stream is a constant-rate stream at inbound_rate of inbound_frame frames.",
        "Return packets from rebind_at until the SA update (first inbound packet through the new mapping + reaction) are dropped with NAME.stale_mapping; one leaving exactly at the update passes.",
        "Without mtimer_thresh every inbound packet from the new port before the update sends XFRM_MSG_MAPPING; with it, one per new port and then one per (thresh + 1) whole seconds.",
        "Metrics: NAME.xfrm_mapping_messages, NAME.lost, NAME.inbound_from_new_port, NAME.detected_at_ms, NAME.sa_updated_at_ms, NAME.inbound_pps, NAME.closed_form_messages (NattMappingModel.Rebinding).",
        "Put the rebinding after the warm-up: drops are counted from the warm-up on, messages from the rebinding on.",
    ];

    protected override NattRebindConfig BindConfig(MapReader r)
    {
        return new NattRebindConfig
        {
            RebindAt = r.Read(RebindAt),
            DaemonReaction = r.Read(Reaction),
            MappingMaxAgeSeconds = (uint)r.Read(MtimerThresh),
            InboundBitsPerSecond = r.Read(InboundRate),
            InboundFrameBytes = (int)r.Read(InboundFrame),
            InboundPhase = r.Read(InboundPhase),
            Cost = r.Read(Cost),
        };
    }

    protected override NattRebindStage CreateStage(string name, NattRebindConfig config, SimulationContext ctx) => new(name, config, ctx);

    /// <summary>Messages to the IKE daemon and packets lost before the SA follows the new port.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["xfrm_mapping_messages", "lost"];

    protected override IEnumerable<MetricValue> Metrics(NattRebindStage s, double measuredSeconds)
    {
        var c = s.Config;
        string n = s.Name + ".";
        var closed = NattMappingModel.Rebinding(new RebindingScenario
        {
            LineRateBitsPerSecond = c.InboundBitsPerSecond,
            FrameBytes = c.InboundFrameBytes,
            DaemonReaction = c.DaemonReaction,
            MappingMaxAgeSeconds = c.MappingMaxAgeSeconds,
            RebindAt = c.RebindAt,
            InboundPhase = c.InboundPhase,
        });
        return
        [
            new(n + "xfrm_mapping_messages", "messages", s.MappingMessages),
            new(n + "closed_form_messages", "messages", closed.MappingMessages),
            new(n + "lost", "packets", s.Lost),
            new(n + "passed", "packets", s.Passed),
            new(n + "inbound_from_new_port", "packets", s.InboundFromNewPort),
            new(n + "inbound_pps", "pps", SimTime.Second / (double)s.InboundInterval),
            new(n + "detected_at_ms", "ms", s.DetectedAt / (double)SimTime.Millisecond),
            new(n + "sa_updated_at_ms", "ms", s.UpdatedAt / (double)SimTime.Millisecond),
            new(n + "sa_updated", "bool", s.SaUpdated ? 1 : 0),
        ];
    }
}
