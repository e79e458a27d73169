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

    public override IReadOnlyList<ParameterSpec> Parameters { get; } =
    [
        new("name", "string", Name, "", "scenario", "Element name: prefix of its metrics and drop reason."),
        new("rebind_at", "time", "10ms", "0..", "scenario", "When the NAT moves the peer's mapping to a new public port."),
        new("reaction", "time", "100ms", "0..60s", "ASSUMPTION: strongSwan/libreswan netlink handling and SA update", "First XFRM_MSG_MAPPING to SA updated."),
        new("mtimer_thresh", "seconds", "0", "0..4294967295", "XFRMA_MTIMER_THRESH (x->mapping_maxage), net/xfrm/xfrm_state.c km_new_mapping", "0 (off): one message per ESP packet from the new port."),
        new("inbound_rate", "bit/s", "10Gbit/s", "1Gbit/s..400Gbit/s", "scenario", "Rate of the inbound ESP stream from the NATed peer, on the wire (frame + 20 B)."),
        new("inbound_frame", "bytes", "1518B", "64..65535B", "scenario", "Frame size of the inbound ESP stream."),
        new("inbound_phase", "time", "0s", "0..", "scenario", "From the rebinding to the first inbound packet through the new mapping (0: it created the mapping)."),
        new("cost", "time", "0s", "0..", "scenario", "CPU time per return packet on the core."),
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
        var config = new NattRebindConfig
        {
            RebindAt = r.Duration("rebind_at", 10 * SimTime.Millisecond),
            DaemonReaction = r.Duration("reaction", 100 * SimTime.Millisecond),
            MappingMaxAgeSeconds = (uint)r.Integer("mtimer_thresh", 0, 0, uint.MaxValue),
            InboundBitsPerSecond = r.BitRate("inbound_rate", 10e9),
            InboundFrameBytes = (int)r.Bytes("inbound_frame", 1518, min: 64),
            InboundPhase = r.Duration("inbound_phase", 0),
            Cost = r.Duration("cost", 0),
        };
        if (config.InboundFrameBytes > 65535)
            r.Problems.Add(r.PosOf("inbound_frame"), $"{r.Section}.inbound_frame: expected at most 65535B, found {config.InboundFrameBytes}B");
        return config;
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
