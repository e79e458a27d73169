using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Lab.Core;
using Lab.Models.Traffic;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>
/// Binds a <c>kind: script</c> generator's <c>packets</c> list into a <see cref="ScriptTrace"/>:
/// each packet names its flow by label; a flow's proto, src and dst are given on its first packet
/// (and may be repeated unchanged later); a flow's first packet is in the original direction;
/// times never go backwards; TCP flags are names from a fixed list. Every problem names the
/// packet's file:line:column.
/// </summary>
public static class ScriptBinder
{
    static readonly Dictionary<string, ScriptTcpFlags> FlagNames = new(StringComparer.Ordinal)
    {
        ["syn"] = ScriptTcpFlags.Syn, ["ack"] = ScriptTcpFlags.Ack, ["fin"] = ScriptTcpFlags.Fin,
        ["rst"] = ScriptTcpFlags.Rst, ["psh"] = ScriptTcpFlags.Psh, ["urg"] = ScriptTcpFlags.Urg,
    };

    sealed class FlowState(int index, ScriptFlow flow, SourcePos pos)
    {
        public int Index { get; } = index;
        public ScriptFlow Flow { get; } = flow;
        public SourcePos Pos { get; } = pos;
        public uint Spi = ScenarioSchema.FirstScriptSpi;
        public ulong Seq;
    }

    public static ScriptTrace Bind(MapReader r, int index, Problems problems)
    {
        var flows = new List<ScriptFlow>();
        var packets = new List<ScriptPacket>();
        var node = r.Node(ScenarioSchema.TrafficPackets);
        if (node is not YSeq seq || seq.Items.Count == 0)
        {
            problems.Add(node?.Pos ?? r.Map.Pos, $"traffic[{index}].packets: expected a non-empty list of packets {{at, flow, dir, proto, src, dst, flags, size, spi, seq}}, found {(node is null ? "nothing" : YamlLoader.Describe(node))}");
            return new ScriptTrace(flows, packets);
        }
        var byLabel = new Dictionary<string, FlowState>(StringComparer.Ordinal);
        long lastAt = 0;
        for (int k = 0; k < seq.Items.Count; k++)
        {
            string section = $"traffic[{index}].packets[{k}]";
            var pr = MapReader.ForNode(seq.Items[k], section, ScenarioSchema.ScriptPacket, problems, seq.Items[k].Pos, "", r.Log);
            if (pr is null) continue;
            int before = problems.All.Count;
            long at = pr.Read(ScenarioSchema.ScriptPacketAt, 0, required: true);
            if (pr.Has(ScenarioSchema.ScriptPacketAt) && at < lastAt)
                problems.Add(pr.PosOf(ScenarioSchema.ScriptPacketAt), $"{section}.at: expected times in order (at least {SimTime.Format(lastAt)}, the previous packet's), found {SimTime.Format(at)}");
            lastAt = Math.Max(lastAt, at);
            bool labelled = pr.TryRead(ScenarioSchema.ScriptPacketFlow, out string label, required: true);
            bool reply = pr.Read(ScenarioSchema.ScriptPacketDir) == "reply";
            if (!labelled) continue;

            if (!byLabel.TryGetValue(label, out var fs))
            {
                if (reply)
                {
                    problems.Add(pr.PosOf(ScenarioSchema.ScriptPacketDir), $"{section}.dir: expected the first packet of flow '{label}' in the original direction (orig), found reply before any orig");
                    continue;
                }
                var flow = NewFlow(pr, section, label);
                if (flow is null) continue;
                fs = new FlowState(flows.Count, flow, pr.Map.Pos);
                byLabel[label] = fs;
                flows.Add(flow);
            }
            else CheckRepeated(pr, section, fs.Flow);

            var proto = fs.Flow.Proto;
            var flags = ScriptTcpFlags.None;
            if (pr.Node(ScenarioSchema.ScriptPacketFlags) is { } fn)
            {
                if (proto != ScriptProto.Tcp) problems.Add(fn.Pos, $"{section}.flags: TCP flags on a {Name(proto)} packet (flow '{label}')");
                else flags = Flags(fn, section, problems);
            }
            else if (proto == ScriptProto.Tcp) flags = ScriptTcpFlags.Ack;
            // The range is checked here, not by the declaration, to name both ends in one message.
            long size = pr.Read(ScenarioSchema.ScriptPacketSize);
            if (size > ScenarioSchema.MaxScriptFrameBytes)
                problems.Add(pr.PosOf(ScenarioSchema.ScriptPacketSize), $"{section}.size: expected a frame size from {ScenarioSchema.MinFrameBytes}B to {ScenarioSchema.MaxScriptFrameBytes}B, found {size}B");
            foreach (var espKey in new[] { ScenarioSchema.ScriptPacketSpi, ScenarioSchema.ScriptPacketSeq })
                if (proto != ScriptProto.Esp && pr.Has(espKey)) problems.Add(pr.PosOf(espKey), $"{section}.{espKey.Key}: only ESP packets carry an SPI and a sequence number (flow '{label}' is {Name(proto)})");
            uint spi = 0;
            ulong espSeq = 0;
            if (proto == ScriptProto.Esp)
            {
                fs.Spi = (uint)pr.Read(ScenarioSchema.ScriptPacketSpi, fs.Spi);
                fs.Seq = (ulong)pr.Read(ScenarioSchema.ScriptPacketSeq, (long)fs.Seq + 1);
                (spi, espSeq) = (fs.Spi, fs.Seq);
            }
            byte dscp = (byte)pr.Read(ScenarioSchema.PacketDscp);
            if (problems.All.Count == before)
                packets.Add(new ScriptPacket(at, fs.Index, reply, flags, (int)size, spi, espSeq, dscp));
        }
        return new ScriptTrace(flows, packets);
    }

    static ScriptFlow? NewFlow(MapReader pr, string section, string label)
    {
        var problems = pr.Problems;
        string? protoText = pr.Has(ScenarioSchema.ScriptPacketProto) ? pr.Read(ScenarioSchema.ScriptPacketProto, "udp") : null;
        if (protoText is null)
        {
            problems.Add(pr.Map.Pos, $"{section}: flow '{label}' starts here without 'proto': expected udp, tcp or esp on a flow's first packet");
            return null;
        }
        var proto = protoText switch { "tcp" => ScriptProto.Tcp, "esp" => ScriptProto.Esp, _ => ScriptProto.Udp };
        bool ok = true;
        (IPAddress Ip, ushort Port)? src = null, dst = null;
        foreach (var p in new[] { ScenarioSchema.ScriptPacketSrc, ScenarioSchema.ScriptPacketDst })
        {
            string key = p.Key;
            if (!pr.Has(p))
            {
                problems.Add(pr.Map.Pos, $"{section}: flow '{label}' starts here without '{key}': expected {key} as ADDRESS{(proto == ScriptProto.Esp ? "" : ":PORT")} on a flow's first packet");
                ok = false;
                continue;
            }
            var ep = Endpoint(pr, p, section, proto);
            if (ep is null) ok = false;
            if (key == "src") src = ep; else dst = ep;
        }
        if (!ok || src is null || dst is null) return null;
        if (src.Value.Ip.AddressFamily != dst.Value.Ip.AddressFamily)
        {
            problems.Add(pr.PosOf(ScenarioSchema.ScriptPacketDst), $"{section}.dst: expected the same address family as src ({Family(src.Value.Ip)}), found {Family(dst.Value.Ip)}");
            return null;
        }
        return new ScriptFlow(label, proto, src.Value.Ip, src.Value.Port, dst.Value.Ip, dst.Value.Port);
    }

    static void CheckRepeated(MapReader pr, string section, ScriptFlow flow)
    {
        if (pr.Has(ScenarioSchema.ScriptPacketProto))
        {
            string p = pr.Read(ScenarioSchema.ScriptPacketProto, "udp");
            if (p != Name(flow.Proto)) pr.Problems.Add(pr.PosOf(ScenarioSchema.ScriptPacketProto), $"{section}.proto: flow '{flow.Label}' is {Name(flow.Proto)} (given once per flow), found {p}");
        }
        foreach (var (p, ip, port) in new[] { (ScenarioSchema.ScriptPacketSrc, flow.Src, flow.SrcPort), (ScenarioSchema.ScriptPacketDst, flow.Dst, flow.DstPort) })
        {
            if (!pr.Has(p)) continue;
            var ep = Endpoint(pr, p, section, flow.Proto);
            if (ep is { } e && (!e.Ip.Equals(ip) || e.Port != port))
                pr.Problems.Add(pr.PosOf(p), $"{section}.{p.Key}: flow '{flow.Label}' has {p.Key} {Format(ip, port, flow.Proto)} (given once per flow), found {pr.Read(p, "")}");
        }
    }

    /// <summary>ADDRESS:PORT for IPv4, [ADDRESS]:PORT for IPv6; ESP takes the address alone (no ports).</summary>
    static (IPAddress Ip, ushort Port)? Endpoint(MapReader pr, Parameter<string> endpoint, string section, ScriptProto proto)
    {
        if (!pr.TryRead(endpoint, out string text)) return null;
        string key = endpoint.Key;
        string addr = text, port = "";
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            addr = close > 0 ? text[1..close] : text;
            port = close > 0 && close + 1 < text.Length && text[close + 1] == ':' ? text[(close + 2)..] : close + 1 == text.Length ? "" : "?";
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            (addr, port) = (text[..colon], text[(colon + 1)..]);
        }
        string expected = proto == ScriptProto.Esp ? "an address (10.0.0.1 or 2001:db8::1)" : "ADDRESS:PORT (10.0.0.1:5000 or \"[2001:db8::1]:5000\")";
        if (!IPAddress.TryParse(addr, out var ip) || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || (ip.AddressFamily == AddressFamily.InterNetwork && addr.Count(c => c == '.') != 3))
        {
            pr.Problems.Add(pr.PosOf(key), $"{section}.{key}: expected {expected}, found '{text}'");
            return null;
        }
        if (proto == ScriptProto.Esp)
        {
            if (port.Length > 0) pr.Problems.Add(pr.PosOf(key), $"{section}.{key}: ESP has no ports: expected {expected}, found '{text}'");
            return (ip, 0);
        }
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p))
        {
            pr.Problems.Add(pr.PosOf(key), $"{section}.{key}: expected {expected} with a port from 0 to 65535, found '{text}'");
            return null;
        }
        return (ip, p);
    }

    static ScriptTcpFlags Flags(YNode node, string section, Problems problems)
    {
        var items = node is YSeq s ? s.Items : [node];
        var flags = ScriptTcpFlags.None;
        foreach (var item in items)
        {
            if (item is YScalar sc && FlagNames.TryGetValue(sc.Value.ToLowerInvariant(), out var f))
            {
                flags |= f;
                continue;
            }
            string found = item is YScalar x ? $"'{x.Value}'" : YamlLoader.Describe(item);
            string? hint = item is YScalar y ? Problems.Suggest(y.Value, FlagNames.Keys) : null;
            problems.Add(item.Pos, $"{section}.flags: expected TCP flags from syn, ack, fin, rst, psh, urg (e.g. [syn, ack]), found {found}" + (hint is null ? "" : $" (did you mean '{hint}'?)"));
        }
        if (items.Count == 0)
            problems.Add(node.Pos, $"{section}.flags: expected at least one TCP flag, found an empty list");
        return flags;
    }

    static string Name(ScriptProto p) => p switch { ScriptProto.Tcp => "tcp", ScriptProto.Esp => "esp", _ => "udp" };

    static string Family(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    static string Format(IPAddress ip, ushort port, ScriptProto proto) =>
        proto == ScriptProto.Esp ? ip.ToString() : ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
}
