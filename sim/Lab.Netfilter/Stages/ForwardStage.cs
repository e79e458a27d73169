using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;

namespace Lab.Netfilter.Stages;

/// <summary>
/// A Linux forwarding box (conntrack, optional SNAT, optional flowtable with hardware offload) as a
/// stage of the discrete-event packet path: each simulated packet is mapped to its 5-tuple by the
/// <see cref="FlowAddressPlan"/> and handed to <see cref="ForwardPath"/>, whose verdict and CPU cost
/// become the stage's.
/// <para>
/// The simulated traffic runs in one direction (client to server). What the other direction would
/// contribute is synthesized, at the same instant, as the kernel would see it:
/// </para>
/// <list type="bullet">
/// <item>TCP: a flow's first packet is its SYN (the traffic marks it FlowFirst, or it is the first
/// packet of a flow id the stage has not seen); the stage then feeds the server's SYN/ACK (reply
/// direction) and the client's handshake ACK (original direction), so the connection is ESTABLISHED
/// and ASSURED, and <c>flow add @ft</c> offloads it on that ACK. Every later packet is an ACK. A
/// flow's last packet (FlowLast) carries FIN/ACK; the stage feeds the server's FIN/ACK and the
/// client's last ACK, leaving conntrack in TIME_WAIT (2 min) as a real close does.</item>
/// <item>UDP: with <see cref="ForwardStageConfig.UdpReplies"/> the server answers the first packet
/// once (the entry is replied, and gets the 120 s stream timeout from a packet more than 2 s after
/// its creation); without, entries stay unreplied (30 s).</item>
/// </list>
/// <para>
/// Costs: the original-direction packets the stage synthesizes (the handshake's and the close's
/// last ACK, a FIN of a one-packet flow) are the simulated direction's work and are charged to the
/// core; reply-direction packets belong to the other direction's load, which a one-directional run
/// does not simulate, and are charged only with <see cref="ForwardStageConfig.ReplyCost"/>. All of
/// them count in the kernel counters (the forward chain's rule counter counts both directions, as
/// nft shows it) and in <see cref="Synthesized"/>. Packets the NIC forwards (hardware offload) cost
/// no CPU, but in this path they still pass the core group's receive ring.
/// </para>
/// </summary>
public sealed partial class ForwardStage : IPacketStage, IResettable
{
    readonly ForwardStageConfig _cfg;
    readonly FlowAddressPlan _plan;
    readonly SeenFlows _seen = new();
    readonly SimulationContext _ctx;
    readonly int _dropTableFull, _dropInsertFailed, _dropNatExhausted, _dropChainTooLong, _dropInvalid, _dropNoRoute;

    public ForwardStage(string name, ForwardStageConfig config, SimulationContext ctx)
    {
        config.Validate();
        Name = name;
        _ctx = ctx;
        _cfg = config;
        _plan = config.Addresses;
        var ctConfig = config.ConntrackConfig(ctx.Seed, ctx.Replication);
        if (ctConfig.Max > ForwardStageConfig.MaxEntries)
            throw new LabInputException($"{name}: nf_conntrack_max {ctConfig.Max} from memory {config.MemoryBytes} B exceeds the lab's limit {ForwardStageConfig.MaxEntries}; set conntrack_max");
        Conntrack = new ConntrackTable(ctConfig);
        var flowtable = config.Flowtable ? new FlowTable(config.FlowtableConfig(ctConfig.Max), Conntrack) : null;
        var nat = config.Snat is null && config.Snat6 is null ? null : new NatPortAllocator(Conntrack, ctx.Seed, ctx.Replication);
        Path = new ForwardPath(Conntrack, flowtable, config.Costs, config.Rules, nat, config.Snat) { Snat6 = config.Snat6 };
        _dropTableFull = ctx.Drops.Register($"{name}.table_full",
            new DropCause("conntrack table full (nf_conntrack_max reached, early_drop found nothing to evict)", $"raise path.{name}.conntrack_max (or path.{name}.memory), or shorten path.{name}.timeouts"));
        _dropInsertFailed = ctx.Drops.Register($"{name}.insert_failed");
        _dropNatExhausted = ctx.Drops.Register($"{name}.nat_exhausted",
            new DropCause("NAT found no free source port (nf_nat_l4proto_unique_tuple gave up)", $"widen the port range (path.{name}.snat.ports or path.{name}.masquerade.ports), add path.{name}.snat.addresses, or raise path.{name}.destinations"));
        _dropChainTooLong = ctx.Drops.Register($"{name}.chaintoolong");
        _dropInvalid = ctx.Drops.Register($"{name}.invalid");
        _dropNoRoute = ctx.Drops.Register($"{name}.no_route",
            new DropCause("a packet to the NAT's public address that no conntrack entry translated back (no route: ip_error, IP_INNOROUTES; IPv6: ip6_pkt_drop, IPSTATS_MIB_INNOROUTES)", $"send replies to the address and port the client was translated to, while its entry lives (path.{name}.timeouts)"));
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }
    public ForwardPath Path { get; }
    public ConntrackTable Conntrack { get; }
    public ForwardStageConfig Config => _cfg;

    /// <summary>Simulated packets the stage processed.</summary>
    public long Packets { get; private set; }

    /// <summary>Simulated packets by path (<see cref="ForwardVerdict"/> as index).</summary>
    public long[] ByVerdict { get; } = new long[5];

    /// <summary>CPU time charged to the cores for the simulated packets (ps), synthesized original-direction packets included.</summary>
    public long ChargedCost { get; private set; }

    /// <summary>Packets the stage synthesized for the direction (or handshake steps) the traffic does not carry.</summary>
    public long Synthesized { get; private set; }

    public long SynthesizedDropped { get; private set; }

    /// <summary>Most conntrack entries (nf_conntrack_count) seen after any packet.</summary>
    public int PeakEntries { get; private set; }

    /// <summary>Time of the last packet: counters are as of then.</summary>
    public long LastPacketAt { get; private set; }

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        LastPacketAt = now;
        if ((packet.Flags & PacketFlags.Scripted) != 0) return ProcessScripted(ref packet, now);
        var tuple = _plan.Tuple(packet.Flow);
        bool seen = _seen.TestAndSet(packet.Flow);
        bool first = (packet.Flags & PacketFlags.FlowFirst) != 0 || !seen;
        bool last = (packet.Flags & PacketFlags.FlowLast) != 0;
        bool tcp = tuple.Proto == IpProto.Tcp;
        var flags = !tcp ? TcpFlags.None : first ? TcpFlags.Syn : last ? TcpFlags.FinAck : TcpFlags.Ack;

        var outcome = Path.Process(tuple, flags, now);
        Packets++;
        ByVerdict[(int)outcome.Verdict]++;
        // Hardware-forwarded packets cost no CPU at all; every other one pays for its size on top of the per-packet stages.
        long cost = outcome.CostPs + (outcome.Verdict == ForwardVerdict.Hardware ? 0 : _cfg.Costs.SizeCost(packet.Size));
        if (outcome.Verdict == ForwardVerdict.Dropped)
        {
            if (first) _seen.Unset(packet.Flow); // the client retries: its next packet is a SYN (a new UDP entry) again
            ChargedCost += cost;
            return StageVerdict.Drop(cost, DropReason(outcome.DropReason));
        }
        if (tcp)
        {
            if (first) cost += Handshake(tuple, now);
            if (last) cost += Close(tuple, first, now);
        }
        else if (first && _cfg.UdpReplies)
        {
            int ct = Conntrack.Find(tuple, now, out var dir);
            if (ct >= 0 && dir == CtDir.Original) cost += Synthesize(Conntrack.Entry(ct).Reply, TcpFlags.None, now, reply: true);
        }
        if (Conntrack.Count > PeakEntries) PeakEntries = Conntrack.Count;
        ChargedCost += cost;
        return StageVerdict.Pass(cost);
    }

    /// <summary>The server's SYN/ACK and the client's ACK after a SYN.</summary>
    long Handshake(in FlowTuple orig, long now)
    {
        int ct = Conntrack.Find(orig, now, out var dir);
        if (ct < 0 || dir != CtDir.Original) return 0;
        var reply = Conntrack.Entry(ct).Reply;
        return Synthesize(reply, TcpFlags.SynAck, now, reply: true) + Synthesize(orig, TcpFlags.Ack, now, reply: false);
    }

    /// <summary>The server's FIN/ACK and the client's last ACK after the client's FIN (and that FIN itself for a one-packet flow).</summary>
    long Close(in FlowTuple orig, bool finNotSentYet, long now)
    {
        long cost = finNotSentYet ? Synthesize(orig, TcpFlags.FinAck, now, reply: false) : 0;
        int ct = Conntrack.Find(orig, now, out var dir);
        if (ct < 0 || dir != CtDir.Original) return cost;
        var reply = Conntrack.Entry(ct).Reply;
        return cost + Synthesize(reply, TcpFlags.FinAck, now, reply: true) + Synthesize(orig, TcpFlags.Ack, now, reply: false);
    }

    long Synthesize(in FlowTuple tuple, TcpFlags flags, long now, bool reply)
    {
        var o = Path.Process(tuple, flags, now);
        Synthesized++;
        if (o.Verdict == ForwardVerdict.Dropped) SynthesizedDropped++;
        return reply && !_cfg.ReplyCost ? 0 : o.CostPs;
    }

    int DropReason(CtDropReason reason) => reason switch
    {
        CtDropReason.TableFull => _dropTableFull,
        CtDropReason.InsertClash => Path.Nat is { LastExhausted: true } ? _dropNatExhausted : _dropInsertFailed,
        CtDropReason.ChainTooLong => _dropChainTooLong,
        CtDropReason.NoRoute => _dropNoRoute,
        _ => _dropInvalid,
    };

    /// <summary>Warm-up ends: every counter restarts (the tables keep their contents).</summary>
    public void ResetStatistics(long now)
    {
        Packets = ChargedCost = Synthesized = SynthesizedDropped = 0;
        Array.Clear(ByVerdict);
        PeakEntries = Conntrack.Count;
        Path.ForwardChainPackets = Path.FastPathPackets = Path.HardwarePackets = Path.Dropped = 0;
        Conntrack.Stats.Reset();
        Path.Flowtable?.Stats.Reset();
        Path.Nat?.Stats.Reset();
    }
}
