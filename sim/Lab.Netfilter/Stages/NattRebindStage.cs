using Lab.Engine;
using Lab.Models;
using Lab.Models.Path;
using Lab.Netfilter.NatT;
using Lab.Core;

namespace Lab.Netfilter.Stages;

/// <summary>Parameters of a NAT rebinding under a busy ESP-in-UDP tunnel (see <see cref="NattRebindStage"/>).</summary>
public sealed record NattRebindConfig
{
    /// <summary>When the NAT moves the NATed peer's mapping to a new public port.</summary>
    public long RebindAt { get; init; } = 10 * SimTime.Millisecond;

    /// <summary>From the first XFRM_MSG_MAPPING to the SA update (netlink, IKE daemon, XFRM_MSG_UPDSA).</summary>
    public long DaemonReaction { get; init; } = 100 * SimTime.Millisecond;

    /// <summary>XFRMA_MTIMER_THRESH (x->mapping_maxage) in seconds; 0: not set, one message per packet.</summary>
    public uint MappingMaxAgeSeconds { get; init; }

    /// <summary>Rate of the inbound ESP stream from the NATed peer, counted on the wire.</summary>
    public double InboundBitsPerSecond { get; init; } = 10e9;

    public int InboundFrameBytes { get; init; } = 1518;

    /// <summary>From the rebinding to the first inbound packet through the new mapping (0: that packet created it).</summary>
    public long InboundPhase { get; init; }

    /// <summary>The outer UDP source port before (the SA's encap_sport) and after the rebinding.</summary>
    public ushort OldPort { get; init; } = 4500;

    public ushort NewPort { get; init; } = 61_000;

    /// <summary>CPU time per return packet on the core (the stage models the network, so 0 by default).</summary>
    public long Cost { get; init; }

    public void Validate()
    {
        if (!(InboundBitsPerSecond > 0)) throw new LabInputException($"inbound rate must be positive, found {InboundBitsPerSecond}");
        if (InboundFrameBytes is < 64 or > 65535) throw new LabInputException($"inbound frame must be 64..65535 B, found {InboundFrameBytes}");
        if (RebindAt < 0 || DaemonReaction < 0 || InboundPhase < 0 || Cost < 0) throw new LabInputException("times must not be negative");
        if (OldPort == NewPort) throw new LabInputException("the rebinding must change the port");
    }
}

/// <summary>
/// A NAT rebinding of an ESP-in-UDP tunnel (RFC 3948) seen from the responder, as a stage on the
/// return path (traffic towards the NATed peer). At <see cref="NattRebindConfig.RebindAt"/> the NAT
/// gives the peer a new public port. The inbound ESP stream (not simulated packet by packet: a
/// constant-rate stream at the configured line rate) now arrives from that port; esp_input_done2
/// calls km_new_mapping for each of its packets, which <see cref="XfrmMappingNotifier"/> turns into
/// XFRM_MSG_MAPPING messages (rate-limited by XFRMA_MTIMER_THRESH). The IKE daemon updates the SA
/// <see cref="NattRebindConfig.DaemonReaction"/> after the first message. Until then the kernel
/// keeps encapsulating return traffic towards the old port, for which the NAT no longer has a
/// mapping: every return packet between the rebinding and the update is dropped with the reason
/// <c>NAME.stale_mapping</c>; a packet leaving exactly at the update uses the new port.
/// The closed form of the same model is <see cref="NattMappingModel.Rebinding"/>.
/// </summary>
public sealed class NattRebindStage : IPacketStage, IEventTarget, IResettable
{
    readonly SimulationContext _ctx;
    readonly NattRebindConfig _cfg;
    readonly int _dropStale;
    XfrmMappingNotifier _sa;
    long _nextInbound;

    public NattRebindStage(string name, NattRebindConfig config, SimulationContext ctx)
    {
        config.Validate();
        Name = name;
        _ctx = ctx;
        _cfg = config;
        _sa = new XfrmMappingNotifier(config.OldPort, config.MappingMaxAgeSeconds);
        InboundInterval = NattMappingModel.PacketInterval(config.InboundBitsPerSecond, config.InboundFrameBytes);
        DetectedAt = config.RebindAt + config.InboundPhase;
        UpdatedAt = DetectedAt + config.DaemonReaction;
        _nextInbound = DetectedAt;
        _dropStale = ctx.Drops.Register($"{name}.stale_mapping");
        int id = ctx.Sim.Register(this);
        ctx.Sim.Schedule(UpdatedAt, id);
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }
    public NattRebindConfig Config => _cfg;

    /// <summary>Spacing of the inbound ESP packets (frame + 20 B on the wire).</summary>
    public long InboundInterval { get; }

    /// <summary>First inbound packet through the new mapping: the kernel notices the new port.</summary>
    public long DetectedAt { get; }

    /// <summary>The IKE daemon has updated the SA to the new port.</summary>
    public long UpdatedAt { get; }

    public bool SaUpdated { get; private set; }

    /// <summary>XFRM_MSG_MAPPING messages the kernel sent (from the rebinding on; never reset).</summary>
    public long MappingMessages => _sa.Messages;

    /// <summary>Inbound ESP packets from the new port the kernel processed before the SA update.</summary>
    public long InboundFromNewPort { get; private set; }

    /// <summary>Return packets sent to the stale mapping (since the warm-up).</summary>
    public long Lost { get; private set; }

    public long Passed { get; private set; }

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        Advance(now);
        if (now >= _cfg.RebindAt && !SaUpdated)
        {
            Lost++;
            return StageVerdict.Drop(_cfg.Cost, _dropStale);
        }
        Passed++;
        return StageVerdict.Pass(_cfg.Cost);
    }

    /// <summary>Feeds the inbound packets that arrived up to <paramref name="now"/> to the SA, then applies the update if it is due.</summary>
    void Advance(long now)
    {
        if (SaUpdated) return;
        long end = Math.Min(now + 1, UpdatedAt); // inbound packets at or before now, and before the update
        while (_nextInbound < end)
        {
            _sa.OnEspPacket(_cfg.NewPort, _nextInbound);
            InboundFromNewPort++;
            _nextInbound += InboundInterval;
        }
        if (now >= UpdatedAt)
        {
            _sa.UpdateSa(_cfg.NewPort);
            SaUpdated = true;
        }
    }

    public void OnEvent(int kind, int arg, long data) => Advance(_ctx.Sim.Now);

    public void ResetStatistics(long now)
    {
        Lost = 0;
        Passed = 0;
    }
}
