using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Models.Traffic;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;

namespace Lab.Netfilter.Stages;

/// <summary>
/// Scripted packets (traffic kind <c>script</c>): each carries its own tuple, direction and TCP
/// flags, so nothing is synthesized and the address plan is not used. An original-direction packet
/// goes from the flow's src to its dst. A reply-direction packet goes from the server to the
/// address it sees the client at: the reply tuple of the conntrack entry the flow's last
/// original-direction packet was attached to (after SNAT: the translated address and port, so the
/// reply is de-NATed by the entry), or, before any entry existed, the inverse of the original tuple.
/// A reply after the entry expired keeps that address: the server does not know the mapping is
/// gone, and conntrack then sees a new connection in the server's direction, as the kernel would.
/// </summary>
public sealed partial class ForwardStage
{
    readonly Dictionary<(short Source, int Flow), FlowTuple> _scriptReplyTo = [];

    /// <summary>Script flow labels by the tuples their packets used, for the probes' flow column.</summary>
    readonly Dictionary<FlowTuple, string> _scriptLabels = [];

    StageVerdict ProcessScripted(ref Packet packet, long now)
    {
        var trace = _ctx.Script(packet.Source);
        var row = trace.Packets[packet.Tag];
        var flow = trace.Flows[row.Flow];
        var orig = ScriptTuple(flow);
        FlowTuple tuple;
        var key = (packet.Source, row.Flow);
        if (!row.Reply) tuple = orig;
        else if (!_scriptReplyTo.TryGetValue(key, out tuple)) tuple = orig.Invert();
        var tcp = flow.Proto == ScriptProto.Tcp ? (TcpFlags)(byte)(row.TcpFlags & (ScriptTcpFlags.Fin | ScriptTcpFlags.Syn | ScriptTcpFlags.Rst | ScriptTcpFlags.Ack)) : TcpFlags.None;
        _scriptLabels.TryAdd(tuple, flow.Label);

        var outcome = Path.Process(tuple, tcp, now);
        Packets++;
        ByVerdict[(int)outcome.Verdict]++;
        ChargedCost += outcome.CostPs;
        if (outcome.Verdict == ForwardVerdict.Dropped) return StageVerdict.Drop(outcome.CostPs, DropReason(outcome.DropReason));
        int ct = Path.LastConntrack;
        if (!row.Reply && ct >= 0 && Conntrack.Entry(ct).Orig == tuple)
        {
            var replyTo = Conntrack.Entry(ct).Reply;
            _scriptReplyTo[key] = replyTo;
            _scriptLabels.TryAdd(replyTo, flow.Label);
        }
        if (Conntrack.Count > PeakEntries) PeakEntries = Conntrack.Count;
        return StageVerdict.Pass(outcome.CostPs);
    }

    /// <summary>
    /// The original-direction tuple of a scripted flow: IPv4 or IPv6 (struct nf_conntrack_tuple's l3num);
    /// the scenario loader has refused a flow whose two ends are of different families.
    /// </summary>
    static FlowTuple ScriptTuple(ScriptFlow f)
    {
        var src = InetAddr.From(f.Src, out var family);
        var dst = InetAddr.From(f.Dst, out var dstFamily);
        if (family != dstFamily)
            throw new LabInputException($"script flow '{f.Label}': src and dst must be of one family (IPv4 or IPv6)");
        return new FlowTuple(src, dst, f.SrcPort, f.DstPort, (IpProto)(byte)f.Proto, family);
    }
}
