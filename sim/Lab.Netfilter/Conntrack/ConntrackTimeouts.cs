using Lab.Core;

namespace Lab.Netfilter.Conntrack;

/// <summary>
/// Per-protocol, per-state timeouts with the kernel defaults (the net.netfilter.nf_conntrack_*
/// sysctls). Sources: tcp_timeouts[] in nf_conntrack_proto_tcp.c, udp_timeouts[] in
/// nf_conntrack_proto_udp.c, nf_ct_generic_timeout (600 s) and nf_ct_icmp_timeout (30 s).
/// </summary>
public sealed class ConntrackTimeouts
{
    public const long Mins = 60 * SimTime.Second;

    /// <summary>Indexed by <see cref="TcpState"/> (including the RETRANS and UNACK slots).</summary>
    public long[] Tcp { get; } =
    [
        0,                          // NONE
        2 * Mins,                   // SYN_SENT
        60 * SimTime.Second,        // SYN_RECV
        5 * SimTime.Day,            // ESTABLISHED
        2 * Mins,                   // FIN_WAIT
        60 * SimTime.Second,        // CLOSE_WAIT
        30 * SimTime.Second,        // LAST_ACK
        2 * Mins,                   // TIME_WAIT
        10 * SimTime.Second,        // CLOSE
        2 * Mins,                   // SYN_SENT2
        0, 0,                       // MAX, IGNORE (no timeout)
        5 * Mins,                   // RETRANS
        5 * Mins,                   // UNACK
    ];

    /// <summary>UDP_CT_UNREPLIED: 30 s.</summary>
    public long UdpUnreplied { get; init; } = 30 * SimTime.Second;

    /// <summary>UDP_CT_REPLIED: 120 s in current kernels (older kernels used 180 s).</summary>
    public long UdpReplied { get; init; } = 120 * SimTime.Second;

    /// <summary>
    /// The stream timeout is granted only when a packet arrives more than this long after the entry
    /// was created (ct->proto.udp.stream_ts = creation + 2 s; time_after(jiffies, stream_ts)),
    /// commit d535c8a69c19 "udp: only extend timeout to stream mode after 2s", 5.16 (present in Debian 6.1, checked in the VM).
    /// Before it, seeing a reply was enough. See <see cref="ConntrackConfig.UdpStreamNeedsTwoSeconds"/>.
    /// </summary>
    public long UdpStreamMinAge { get; init; } = 2 * SimTime.Second;

    public long Generic { get; init; } = 600 * SimTime.Second;

    public long Icmp { get; init; } = 30 * SimTime.Second;

    /// <summary>net.netfilter.nf_flowtable_tcp_timeout and nf_flowtable_udp_timeout: 30 s (flow_offload_get_timeout).</summary>
    public long FlowtableTcp { get; init; } = 30 * SimTime.Second;

    public long FlowtableUdp { get; init; } = 30 * SimTime.Second;
}
