using Lab.Engine;
using System.Net;

namespace Lab.Models.Traffic;

/// <summary>The transport of a scripted flow (IANA protocol numbers).</summary>
public enum ScriptProto : byte
{
    Tcp = 6,
    Udp = 17,
    Esp = 50,
}

/// <summary>TCP header flags with their bit values in the header (FIN 0x01 ... URG 0x20), as tcp_flag_word reads them.</summary>
[Flags]
public enum ScriptTcpFlags : byte
{
    None = 0,
    Fin = 1,
    Syn = 2,
    Rst = 4,
    Psh = 8,
    Ack = 16,
    Urg = 32,
}

/// <summary>
/// One flow of a script: a label and the original-direction endpoints (client to server) as the
/// script gave them on the flow's first packet. Ports are 0 for ESP.
/// </summary>
public sealed record ScriptFlow(string Label, ScriptProto Proto, IPAddress Src, ushort SrcPort, IPAddress Dst, ushort DstPort)
{
    public bool IsIpv6 => Src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
}

/// <summary>
/// One scripted packet. <see cref="Flow"/> indexes <see cref="ScriptTrace.Flows"/>; a reply packet
/// goes from the server to wherever the client's packets appear to come from (after NAT), which
/// the elements that understand direction work out themselves. <see cref="Seq"/> is the ESP
/// sequence number (64 bits with ESN: the high half never travels) and 0 for other protocols.
/// </summary>
public readonly record struct ScriptPacket(long At, int Flow, bool Reply, ScriptTcpFlags TcpFlags, int Size, uint Spi, ulong Seq, byte Dscp);

/// <summary>A validated script: flows and packets in time order (equal times keep the script's order).</summary>
public sealed class ScriptTrace(IReadOnlyList<ScriptFlow> flows, IReadOnlyList<ScriptPacket> packets)
{
    public IReadOnlyList<ScriptFlow> Flows { get; } = flows;
    public IReadOnlyList<ScriptPacket> Packets { get; } = packets;
}

/// <summary>
/// Emits a script's packets at their times. Each packet carries <see cref="PacketFlags.Scripted"/>
/// (and <see cref="PacketFlags.Reply"/> for the reply direction), its row in <see cref="Packet.Tag"/>,
/// its flow index in <see cref="Packet.Flow"/> and, for ESP, its sequence number in <see cref="Packet.Seq"/>
/// (other protocols: the row number from 1), so nothing is allocated per packet and the packet
/// struct does not grow for the other traffic kinds.
/// </summary>
public sealed class ScriptSource : IEventTarget
{
    readonly SimulationContext _ctx;
    readonly int _id;
    readonly ScriptTrace _trace;
    readonly short _index;
    int _next;

    public ScriptSource(SimulationContext ctx, ScriptTrace trace, short index, IPacketReceiver next)
    {
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _trace = trace;
        _index = index;
        Next = next;
        ctx.RegisterScript(index, trace);
        if (trace.Packets.Count > 0) ctx.Sim.Schedule(trace.Packets[0].At, _id);
    }

    public IPacketReceiver Next { get; }

    public void OnEvent(int kind, int arg, long data)
    {
        long now = _ctx.Sim.Now;
        var rows = _trace.Packets;
        while (_next < rows.Count && rows[_next].At == now)
        {
            int row = _next++;
            var sp = rows[row];
            int p = _ctx.Packets.Allocate();
            ref Packet pkt = ref _ctx.Packets[p];
            pkt.CreatedAt = now;
            pkt.Seq = _trace.Flows[sp.Flow].Proto == ScriptProto.Esp ? (long)sp.Seq : row + 1;
            pkt.Size = sp.Size;
            pkt.InnerBytes = Math.Max(0, sp.Size - 18);
            pkt.Flow = sp.Flow;
            pkt.Source = _index;
            pkt.Dscp = sp.Dscp;
            pkt.Tag = row;
            pkt.Flags = PacketFlags.Scripted | (sp.Reply ? PacketFlags.Reply : 0);
            Next.Receive(p);
        }
        if (_next < rows.Count) _ctx.Sim.Schedule(rows[_next].At, _id);
    }
}
