using Lab.KernelLab.ForwardValidation;
using Lab.Core;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Stages;
using Frames = Lab.Captures.Frames;

namespace Lab.Experiments.Validation;

/// <summary>
/// Watches a forward element's <see cref="ForwardPath"/> during `lab validate`'s simulation: every
/// packet that enters it, the simulated direction and the one the stage synthesizes (SYN/ACK,
/// handshake and closing ACKs, UDP replies), with its tuple, TCP flags, time and what the model did
/// (classic path, fast path, dropped and why, the translated address and port). It stops recording
/// at <see cref="MaxPackets"/> packets or before the first packet of flow <see cref="MaxFlows"/> + 1,
/// and then takes the model's counters and conntrack entries as they are at that packet. The
/// simulation runs with warm-up 0, so the path's counters count from the first packet.
/// Allocates per packet (a list entry): validation traces are thousands of packets, not a benchmark.
/// </summary>
/// <param name="isClient">Which packets enter on the client side; default: a source among the address plan's subscribers (script traffic passes its own rule).</param>
public sealed class ForwardProbe(ForwardStage stage, int maxPackets, int maxFlows, Func<FlowTuple, bool>? isClient = null) : IForwardPathObserver
{
    readonly List<ForwardTracePacket> _packets = [];
    readonly Dictionary<FlowTuple, int> _flows = [];
    // Reply tuples of the entries seen, by flow: a server packet that finds no entry (it expired, or conntrack called the
    // packet invalid) still belongs to the connection whose reply tuple it carries, so the replay addresses it to that
    // flow's translation as the kernel chose it and continues the flow's sequence numbers.
    readonly Dictionary<FlowTuple, int> _replyFlows = [];
    long _lastChain;
    long _lastAt;
    // The counters as they were after the last recorded packet: a flow cap is noticed only after the
    // model handled the first packet past it, whose effects must not be counted.
    (long Insert, long InsertFailed, long Drop, long EarlyDrop, long Expired) _lastStats;

    public ForwardStage Stage => stage;

    public int MaxPackets => maxPackets;

    public int MaxFlows => maxFlows;

    public IReadOnlyList<ForwardTracePacket> Packets => _packets;

    /// <summary>Whether the trace was cut (by packets or flows) before the simulation ended.</summary>
    public bool Capped { get; private set; }

    /// <summary>The model's counters at the trace's last packet (taken by the cap, or by <see cref="Finish"/>).</summary>
    public ForwardModelCounters? Counters { get; private set; }

    public void Observe(ForwardPath path, in FlowTuple tuple, Netfilter.Conntrack.TcpFlags tcp, long now, in ForwardOutcome outcome, int conntrack)
    {
        if (Capped) return;
        bool chain = path.ForwardChainPackets != _lastChain;
        var plan = stage.Config.Addresses;
        bool client = isClient?.Invoke(tuple) ?? !tuple.IsIpv6 && tuple.SrcIp.V4 - FlowAddressPlan.ClientBase < (uint)plan.Subscribers;
        FlowTuple key = conntrack >= 0 ? path.Conntrack.Entry(conntrack).Orig : client ? tuple : tuple.Invert();
        if (!_flows.TryGetValue(key, out int flow) && !(conntrack < 0 && !client && _replyFlows.TryGetValue(tuple, out flow)))
        {
            if (_flows.Count >= maxFlows)
            {
                Cap(path);
                return;
            }
            flow = _flows.Count;
            _flows.Add(key, flow);
        }
        if (conntrack >= 0) _replyFlows.TryAdd(path.Conntrack.Entry(conntrack).Reply, flow);
        WireAddress outAddress = 0;
        ushort outPort = 0;
        if (outcome.Verdict != ForwardVerdict.Dropped)
        {
            if (conntrack >= 0)
            {
                ref readonly var e = ref path.Conntrack.Entry(conntrack);
                // A packet leaves with the source and destination its entry's other tuple inverts to (nf_nat_manip_pkt,
                // nf_nat_core.c, writes the inverse of the other direction's tuple): in the original direction the reply
                // tuple's destination and source, in the reply direction the original tuple's. A server packet can be
                // the entry's original direction: one that created its entry (fuzz-20261206-40, a reply whose client
                // packet was dropped for a full table is a new connection from the server, left untranslated).
                bool original = client ? !tuple.Equals(e.Reply) : tuple.Equals(e.Orig);
                var other = original ? e.Reply : e.Orig;
                (outAddress, outPort) = client ? (Wire(other.DstIp, other.Family), other.DstPort) : (Wire(other.SrcIp, other.Family), other.SrcPort);
            }
            else
            {
                (outAddress, outPort) = client ? (Wire(tuple.SrcIp, tuple.Family), tuple.SrcPort) : (Wire(tuple.DstIp, tuple.Family), tuple.DstPort);
            }
        }
        _packets.Add(new ForwardTracePacket(_packets.Count, client ? ForwardSide.Client : ForwardSide.Server, (byte)tuple.Proto,
            Wire(tuple.SrcIp, tuple.Family), Wire(tuple.DstIp, tuple.Family), tuple.SrcPort, tuple.DstPort, (Frames.TcpFlags)(ushort)tcp, now / SimTime.Nanosecond,
            Path(outcome.Verdict), outcome.Verdict == ForwardVerdict.Dropped ? DropCounter(outcome.DropReason) : null, chain, flow, outAddress, outPort));
        _lastAt = now;
        _lastChain = path.ForwardChainPackets;
        var st = path.Conntrack.Stats;
        _lastStats = (st.insert, st.insert_failed, st.drop, st.early_drop, st.LabExpiredByGc + st.LabExpiredOnLookup);
        if (_packets.Count >= maxPackets) Cap(path);
    }

    /// <summary>After the simulation: takes the counters if the cap did not.</summary>
    public void Finish()
    {
        if (Counters is null) Counters = Snapshot(stage.Path, _lastAt);
    }

    void Cap(ForwardPath path)
    {
        Capped = true;
        Counters = Snapshot(path, _lastAt);
    }

    /// <summary>The counters and the live entries (confirmed and not expired, as ctnetlink's dump shows them) at <paramref name="now"/>.</summary>
    ForwardModelCounters Snapshot(ForwardPath path, long now)
    {
        var ct = path.Conntrack;
        var entries = new List<ForwardModelEntry>();
        for (int id = 0; id < ct.Capacity; id++)
        {
            ref readonly var e = ref ct.Entry(id);
            if (!e.InUse || !e.Is(ConntrackStatus.Confirmed) || e.Timeout - now <= 0) continue;
            if (e.Orig.Proto is not (IpProto.Tcp or IpProto.Udp) || !_flows.ContainsKey(e.Orig)) continue;
            bool offload = e.Is(ConntrackStatus.Offload);
            entries.Add(new ForwardModelEntry(_flows[e.Orig], (byte)e.Orig.Proto, Wire(e.Orig.SrcIp, e.Orig.Family), e.Orig.SrcPort, Wire(e.Orig.DstIp, e.Orig.Family), e.Orig.DstPort,
                e.Orig.Proto == IpProto.Tcp && !offload ? StateName(e.TcpState) : null,
                e.Is(ConntrackStatus.Assured), !e.Is(ConntrackStatus.SeenReply), offload));
        }
        entries.Sort((a, b) => a.Flow.CompareTo(b.Flow));
        var s = _lastStats;
        return new ForwardModelCounters(_lastChain, s.Insert, s.InsertFailed, s.Drop, s.EarlyDrop, s.Expired, entries);
    }

    /// <summary>The tuple's address with its family (nf_inet_addr's 128 bits: an IPv4 address is the low 32).</summary>
    public static WireAddress Wire(InetAddr a, L3Family family) => new(a.Value, family == L3Family.Ipv6);

    static ForwardPathTaken Path(ForwardVerdict v) => v switch
    {
        ForwardVerdict.Hardware => ForwardPathTaken.Hardware,
        ForwardVerdict.FastPath => ForwardPathTaken.Fast,
        ForwardVerdict.SlowPath => ForwardPathTaken.Classic,
        ForwardVerdict.SlowPathNew => ForwardPathTaken.ClassicNew,
        _ => ForwardPathTaken.Dropped,
    };

    /// <summary>A routing drop moves no conntrack counter: the SNMP counter ip_error counts it under (/proc/net/netstat IpExt InNoRoutes).</summary>
    public const string NoRouteCounter = "InNoRoutes";

    /// <summary>The conntrack -S counter a drop moves (see <see cref="CtDropReason"/>), or for a routing drop <see cref="NoRouteCounter"/>.</summary>
    static string DropCounter(CtDropReason r) => r switch
    {
        CtDropReason.TableFull => "drop",
        CtDropReason.InsertClash => "insert_failed",
        CtDropReason.ChainTooLong => "chaintoolong",
        CtDropReason.ProtocolDrop => "invalid",
        CtDropReason.NoRoute => NoRouteCounter,
        _ => "unknown",
    };

    /// <summary>tcp_conntrack_names[] (nf_conntrack_proto_tcp.c), as conntrack -L prints them.</summary>
    public static string StateName(TcpState s) => s switch
    {
        TcpState.None => "NONE",
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynRecv => "SYN_RECV",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait => "FIN_WAIT",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        TcpState.Close => "CLOSE",
        TcpState.SynSent2 => "SYN_SENT2",
        _ => s.ToString().ToUpperInvariant(),
    };
}
