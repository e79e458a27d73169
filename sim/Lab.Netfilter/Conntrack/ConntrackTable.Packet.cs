namespace Lab.Netfilter.Conntrack;

public sealed partial class ConntrackTable
{
    /// <summary>
    /// nf_conntrack_handle_packet for the tracked protocols, then nf_conntrack_in's SEEN_REPLY update:
    /// the reply direction sets IPS_SEEN_REPLY only after the protocol tracker ran, so the first reply
    /// packet is still refreshed with the "unreplied" timeout. Counts <c>invalid</c> / <c>drop</c> as
    /// nf_conntrack_in does. <paramref name="tcp"/> is ignored for other protocols.
    /// </summary>
    public CtVerdict HandlePacket(int id, CtDir dir, TcpFlags tcp, long now)
    {
        ref var e = ref _e[id];
        CtVerdict v = e.Orig.Proto switch
        {
            IpProto.Udp => UdpPacket(id, now),
            IpProto.Tcp => TcpPacket(id, dir, tcp, now),
            IpProto.Icmp => Generic(id, Config.Timeouts.Icmp, now),
            _ => Generic(id, Config.Timeouts.Generic, now),
        };
        switch (v)
        {
            case CtVerdict.Invalid:
                Stats.invalid++;
                break;
            case CtVerdict.Drop:
                Stats.invalid++;
                Stats.drop++;
                break;
            case CtVerdict.Accept when dir == CtDir.Reply && _e[id].InUse:
                _e[id].Status |= ConntrackStatus.SeenReply;
                break;
        }
        return v;
    }

    CtVerdict Generic(int id, long timeout, long now)
    {
        Refresh(id, timeout, now);
        return CtVerdict.Accept;
    }

    /// <summary>nf_conntrack_udp_packet (nf_conntrack_proto_udp.c).</summary>
    CtVerdict UdpPacket(int id, long now)
    {
        ref var e = ref _e[id];
        var t = Config.Timeouts;
        if (!e.Is(ConntrackStatus.Confirmed)) e.StreamTs = now + t.UdpStreamMinAge;
        if (e.Is(ConntrackStatus.SeenReply))
        {
            long extra = t.UdpUnreplied;
            bool stream = !Config.UdpStreamNeedsTwoSeconds;
            // "Still active after two seconds? Extend timeout." time_after(jiffies, stream_ts) is strict.
            if (!Config.UdpStreamNeedsTwoSeconds || now > e.StreamTs)
            {
                extra = t.UdpReplied;
                stream = true;
            }
            Refresh(id, extra, now);
            if (e.Is(ConntrackStatus.NatClash)) return CtVerdict.Accept; // never ASSURED: they time out soon
            // Since 5.16 only a flow that entered the stream state is "more likely to be important".
            if (stream) e.Status |= ConntrackStatus.Assured;
        }
        else
        {
            Refresh(id, t.UdpUnreplied, now);
        }
        return CtVerdict.Accept;
    }

    /// <summary>
    /// nf_conntrack_tcp_packet and tcp_new (nf_conntrack_proto_tcp.c) without window tracking:
    /// state transitions, reopen from TIME_WAIT/CLOSE, RST handling, timeout choice, ASSURED.
    /// </summary>
    CtVerdict TcpPacket(int id, CtDir dir, TcpFlags flags, long now)
    {
        ref var e = ref _e[id];
        var timeouts = Config.Timeouts.Tcp;
        int index = TcpConntrack.Index(flags);

        if (!e.Is(ConntrackStatus.Confirmed))
        {
            // tcp_new: only SYN starts a connection, or any ACK-carrying segment with tcp_loose.
            var first = TcpConntrack.Next(CtDir.Original, index, TcpState.None);
            if (first == TcpState.Invalid || (first == TcpState.Established && !Config.TcpLoose)) return CtVerdict.Invalid;
            e.TcpState = TcpState.None;
            e.TcpLastIndex = TcpConntrack.NoneSet;
        }

        var old = e.TcpState;
        var next = TcpConntrack.Next(dir, index, old);
        switch (next)
        {
            case TcpState.SynSent when old >= TcpState.TimeWait:
                // Reopen of a closed/aborted connection: kill and let the caller create a fresh entry.
                if (e.TcpCloseInit || (e.TcpLastDir == dir && e.TcpLastIndex == TcpConntrack.RstSet))
                    return Kill(id) ? CtVerdict.Repeat : CtVerdict.Drop;
                goto case TcpState.Ignore;
            case TcpState.Ignore:
                e.TcpLastIndex = (byte)index;
                e.TcpLastDir = dir;
                return CtVerdict.Accept;
            case TcpState.Invalid:
                return CtVerdict.Invalid;
        }

        e.TcpLastIndex = (byte)index;
        e.TcpLastDir = dir;
        e.TcpState = next;
        if (old != next && next == TcpState.FinWait) e.TcpCloseInit = true;

        long timeout = index == TcpConntrack.RstSet ? timeouts[(int)TcpState.Close] : timeouts[(int)next];
        if (!e.Is(ConntrackStatus.SeenReply))
        {
            // "If only reply is a RST, we can consider ourselves not to have an established connection."
            if ((flags & TcpFlags.Rst) != 0)
            {
                Kill(id);
                return CtVerdict.Accept;
            }
            // "do not renew timeout on SYN retransmit. Else port reuse by client or NAT middlebox can keep entry
            // alive indefinitely (including nat info)": nf_conntrack_tcp_packet (nf_conntrack_proto_tcp.c, mainline
            // 6.2, backported to 6.1, 5.15 and 5.10 stable) returns before nf_ct_refresh_acct, so a repeated SYN
            // leaves the first SYN's timeout running (fuzz-20261206-1510).
            if (index == TcpConntrack.SynSet && old == TcpState.SynSent)
                return CtVerdict.Accept;
            // Mid-stream pickup without a reply: avoid the 5-day ESTABLISHED timeout.
            if (next == TcpState.Established && timeout > timeouts[(int)TcpState.Unack])
                timeout = timeouts[(int)TcpState.Unack];
        }
        else if (!e.Is(ConntrackStatus.Assured) && (old == TcpState.SynRecv || old == TcpState.Established)
                 && next == TcpState.Established)
        {
            e.Status |= ConntrackStatus.Assured;
        }
        Refresh(id, timeout, now);
        return CtVerdict.Accept;
    }
}
