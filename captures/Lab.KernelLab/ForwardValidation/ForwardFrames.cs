using System.Buffers.Binary;
using System.Net;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>
/// Turns a forward trace into real IPv4 and IPv6 frames. Every frame carries its trace index as the IPv4
/// identification, or in IPv6 (which has none outside a fragment header) as the flow label (RFC 8200
/// section 6: forwarding leaves it alone, and neither conntrack nor NAT rewrites it; it is not part of the
/// upper-layer checksum's pseudo-header, RFC 8200 section 8.1). TCP segments carry no payload and sequence numbers a real connection would
/// have, so that the kernel's window tracking (tcp_in_window, nf_conntrack_proto_tcp.c), which the
/// model leaves out, accepts every one of them: per flow a client and a server ISN; SYN carries the
/// ISN, SYN and FIN each take one sequence number, every segment with ACK acknowledges the peer's
/// next sequence number; window 65535, no options (no window scaling). UDP datagrams carry 8 bytes:
/// "LABF" and the index.
/// </summary>
public static class ForwardFrames
{
    public const ushort Window = 65535;

    /// <summary>Ethernet addresses of the frames in the pcap (the injector puts each link's real ones in).</summary>
    public static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:01");
    public static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:00:03");
    public static readonly MacAddress DutMac = MacAddress.Parse("02:00:00:00:00:02");

    /// <summary>Sequence and acknowledgment number of every packet of <paramref name="packets"/> (same order).</summary>
    public static (uint Seq, uint Ack)[] Sequences(IReadOnlyList<ForwardTracePacket> packets)
    {
        ArgumentNullException.ThrowIfNull(packets);
        var result = new (uint, uint)[packets.Count];
        var next = new Dictionary<int, (uint Client, uint Server)>();
        for (int i = 0; i < packets.Count; i++)
        {
            var p = packets[i];
            if (p.Protocol != IpProtocol.Tcp) continue;
            var (cIsn, sIsn) = Isn(p.Flow);
            // Before any SYN (a connection picked up mid-stream) both sides are one past their ISN.
            var (c, s) = next.TryGetValue(p.Flow, out var n) ? n : (cIsn + 1, sIsn + 1);
            bool client = p.Side == ForwardSide.Client;
            bool syn = (p.Tcp & TcpFlags.Syn) != 0, fin = (p.Tcp & TcpFlags.Fin) != 0, ack = (p.Tcp & TcpFlags.Ack) != 0;
            uint seq = syn ? (client ? cIsn : sIsn) : (client ? c : s);
            uint acknowledged = ack ? (client ? s : c) : 0;
            result[i] = (seq, acknowledged);
            uint after = seq + (syn || fin ? 1u : 0u);
            next[p.Flow] = client ? (after, s) : (c, after);
        }
        return result;
    }

    /// <summary>Per-flow initial sequence numbers: spread out, never near each other's windows.</summary>
    public static (uint Client, uint Server) Isn(int flow) => ((uint)(0x10000000u + (uint)flow * 0x00100000u), (uint)(0x90000000u + (uint)flow * 0x00100000u));

    /// <summary>
    /// Writes packet <paramref name="p"/> as an Ethernet frame into <paramref name="frame"/>; with
    /// <paramref name="destination"/> the IP destination and port are replaced (a reply addressed to
    /// the translation the kernel chose rather than the model's). Returns the length.
    /// </summary>
    public static int Write(Span<byte> frame, ForwardTracePacket p, (uint Seq, uint Ack) seq, MacAddress source, MacAddress destinationMac,
        (WireAddress Address, ushort Port)? destination = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        var (dst, dport) = destination ?? (p.Destination, p.DestinationPort);
        if (dst.Ipv6 != p.Source.Ipv6) throw new ArgumentException($"packet {p.Index}: a {(p.Source.Ipv6 ? "IPv6" : "IPv4")} source with the destination {dst}", nameof(destination));
        var flow = new FlowAddresses(source, destinationMac, Address(p.Source), Address(dst), p.SourcePort, dport);
        ushort id = checked((ushort)p.Index);
        int n;
        if (p.Protocol == IpProtocol.Tcp)
            n = FrameBuilder.WriteTcpFrame(frame, flow, seq.Seq, seq.Ack, p.Tcp, Window, [], identification: id);
        else
        {
            Span<byte> payload = stackalloc byte[8];
            "LABF"u8.CopyTo(payload);
            BinaryPrimitives.WriteInt32BigEndian(payload[4..], p.Index);
            n = FrameBuilder.WriteUdpFrame(frame, flow, payload, id);
        }
        if (p.Ipv6) SetFlowLabel(frame[PacketHeaders.EthernetLength..], id);
        return n;
    }

    /// <summary>Writes the 20-bit flow label of an IPv6 header (after version and traffic class, RFC 8200 section 3).</summary>
    static void SetFlowLabel(Span<byte> ip, uint label)
    {
        uint first = BinaryPrimitives.ReadUInt32BigEndian(ip);
        BinaryPrimitives.WriteUInt32BigEndian(ip, (first & 0xFFF00000u) | (label & 0xFFFFFu));
    }

    public static IPAddress Address(uint a) => new([(byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a]);

    public static IPAddress Address(WireAddress a) => a.ToIPAddress();

    /// <summary>Writes every trace's frames, trace after trace, as the model sent them (replies to the model's translation), to <paramref name="path"/>.</summary>
    public static void WritePcap(string path, IReadOnlyList<ForwardTrace> traces)
    {
        ArgumentNullException.ThrowIfNull(traces);
        using var w = PcapWriter.Create(path);
        var frame = new byte[256];
        long last = 0;
        foreach (var t in traces)
        {
            var seqs = Sequences(t.Packets);
            long offset = last;
            for (int i = 0; i < t.Packets.Count; i++)
            {
                var p = t.Packets[i];
                var (src, dst) = p.Side == ForwardSide.Client ? (ClientMac, DutMac) : (ServerMac, DutMac);
                int n = Write(frame, p, seqs[i], src, dst);
                long ts = Math.Max(last, offset + p.AtNanoseconds);
                w.Write(ts, frame.AsSpan(0, n));
                last = ts;
            }
            last += 1_000_000;
        }
        w.Commit();
    }
}

/// <summary>An IPv4 or IPv6 TCP or UDP frame as captured on one side of the DUT; <paramref name="Identification"/> is the trace index (IPv4 identification, IPv6 flow label), <paramref name="Tos"/> the TOS byte or traffic class.</summary>
public readonly record struct CapturedSegment(ushort Identification, byte Tos, byte Protocol, WireAddress Source, WireAddress Destination,
    ushort SourcePort, ushort DestinationPort, TcpFlags Tcp)
{
    /// <summary>
    /// An ICMP error (destination unreachable, time exceeded, parameter problem) addressed to <paramref name="to"/>: true
    /// with the IPv4 identification of the packet it quotes (RFC 792: the offending IP header follows the 8-byte ICMP header).
    /// </summary>
    public static bool TryParseIcmpError(ReadOnlySpan<byte> f, MacAddress to, out ushort quotedIdentification)
    {
        quotedIdentification = 0;
        if (f.Length < PacketHeaders.EthernetLength + PacketHeaders.Ipv4Length + 8 + PacketHeaders.Ipv4Length) return false;
        if (new MacAddress(BinaryPrimitives.ReadUInt64BigEndian(f) >> 16) != to) return false;
        if (BinaryPrimitives.ReadUInt16BigEndian(f[12..]) == EtherType.Ipv6)
        {
            // ICMPv6 (next header 58) destination unreachable, packet too big, time exceeded, parameter problem (types 1-4,
            // RFC 4443 section 3): the invoking packet follows the 8-byte ICMPv6 header; its flow label is the index.
            var ip6 = f[PacketHeaders.EthernetLength..];
            if (ip6.Length < PacketHeaders.Ipv6Length + 8 + PacketHeaders.Ipv6Length || ip6[6] != 58 || ip6[PacketHeaders.Ipv6Length] is < 1 or > 4) return false;
            quotedIdentification = (ushort)BinaryPrimitives.ReadUInt32BigEndian(ip6[(PacketHeaders.Ipv6Length + 8)..]);
            return true;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(f[12..]) != EtherType.Ipv4) return false;
        var ip = f[PacketHeaders.EthernetLength..];
        int ihl = (ip[0] & 0x0F) * 4;
        if (ip[9] != 1 || ip.Length < ihl + 8 + PacketHeaders.Ipv4Length) return false;
        byte type = ip[ihl];
        if (type is not (3 or 11 or 12)) return false;
        quotedIdentification = BinaryPrimitives.ReadUInt16BigEndian(ip[(ihl + 8 + 4)..]);
        return true;
    }

    /// <summary>Parses an Ethernet frame addressed to <paramref name="to"/>; false for anything else (ARP, ICMP, our own frames).</summary>
    public static bool TryParse(ReadOnlySpan<byte> f, MacAddress to, out CapturedSegment segment)
    {
        segment = default;
        if (f.Length < PacketHeaders.EthernetLength + PacketHeaders.Ipv4Length + 8) return false;
        if (new MacAddress(BinaryPrimitives.ReadUInt64BigEndian(f) >> 16) != to) return false;
        if (BinaryPrimitives.ReadUInt16BigEndian(f[12..]) == EtherType.Ipv6) return TryParseIpv6(f[PacketHeaders.EthernetLength..], out segment);
        if (BinaryPrimitives.ReadUInt16BigEndian(f[12..]) != EtherType.Ipv4) return false;
        var ip = f[PacketHeaders.EthernetLength..];
        int ihl = (ip[0] & 0x0F) * 4;
        byte proto = ip[9];
        if ((proto != IpProtocol.Tcp && proto != IpProtocol.Udp) || ip.Length < ihl + (proto == IpProtocol.Tcp ? 14 : 8)) return false;
        var l4 = ip[ihl..];
        segment = new CapturedSegment(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), ip[1], proto,
            BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), BinaryPrimitives.ReadUInt32BigEndian(ip[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(l4), BinaryPrimitives.ReadUInt16BigEndian(l4[2..]),
            proto == IpProtocol.Tcp ? (TcpFlags)(l4[13] & 0x3F) : TcpFlags.None);
        return true;
    }

    /// <summary>An IPv6 packet whose next header is TCP or UDP (the trace's frames carry no extension headers).</summary>
    static bool TryParseIpv6(ReadOnlySpan<byte> ip, out CapturedSegment segment)
    {
        segment = default;
        if (ip.Length < PacketHeaders.Ipv6Length + 8 || ip[0] >> 4 != 6) return false;
        byte proto = ip[6];
        if ((proto != IpProtocol.Tcp && proto != IpProtocol.Udp) || ip.Length < PacketHeaders.Ipv6Length + (proto == IpProtocol.Tcp ? 14 : 8)) return false;
        uint first = BinaryPrimitives.ReadUInt32BigEndian(ip);
        var l4 = ip[PacketHeaders.Ipv6Length..];
        segment = new CapturedSegment((ushort)(first & 0xFFFFF), (byte)(first >> 20), proto,
            new WireAddress(BinaryPrimitives.ReadUInt128BigEndian(ip[8..]), true), new WireAddress(BinaryPrimitives.ReadUInt128BigEndian(ip[24..]), true),
            BinaryPrimitives.ReadUInt16BigEndian(l4), BinaryPrimitives.ReadUInt16BigEndian(l4[2..]),
            proto == IpProtocol.Tcp ? (TcpFlags)(l4[13] & 0x3F) : TcpFlags.None);
        return true;
    }
}
