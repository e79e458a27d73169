using Lab.Esp.Sa;

namespace Lab.Esp.Wire;

/// <summary>What happens to a packet whose ESP form does not fit the path MTU.</summary>
public enum MtuVerdict : byte
{
    /// <summary>The ESP packet fits.</summary>
    Fits,

    /// <summary>
    /// Tunnel/BEET, inner IPv4 with DF (xfrm4_tunnel_check_size): dropped with -EMSGSIZE, ICMP
    /// "fragmentation needed" (or a local socket error) reporting xfrm_state_mtu; XfrmOutStateModeError.
    /// </summary>
    FragmentationNeeded,

    /// <summary>
    /// Tunnel/BEET, inner IPv6 (xfrm6_tunnel_check_size, limit at least 1280): dropped,
    /// ICMPv6 "packet too big"; XfrmOutStateModeError.
    /// </summary>
    PacketTooBig,

    /// <summary>
    /// The ESP packet is built and the outer packet is fragmented (inner IPv4 without DF: the outer
    /// header copies DF = 0; over IPv6 xfrm6_prepare_output sets ignore_df). Ip FragCreates /
    /// Ip6FragCreates count the fragments.
    /// </summary>
    OuterFragmented,

    /// <summary>
    /// Transport mode: the local sender sees the xfrm route MTU; with DF (IPv4) or IPV6_DONTFRAG the
    /// send fails with EMSGSIZE before xfrm (no xfrm counter).
    /// </summary>
    LocalMessageTooBig,

    /// <summary>
    /// Transport mode without DF: the local IP layer fragments the plaintext to the xfrm route MTU
    /// and each fragment becomes its own ESP packet with its own sequence number.
    /// </summary>
    InnerFragmented,
}

/// <summary>The MTU decision for one packet and the kernel counter it moves.</summary>
public readonly record struct MtuOutcome(MtuVerdict Verdict, int StateMtu, int ReportedMtu, int Fragments, string Counter);

/// <summary>
/// The MTU handling around xfrm_output (net/xfrm/xfrm_output.c, Linux v6.12):
/// xfrm_outer_mode_output calls xfrm4_/xfrm6_tunnel_check_size for tunnel and BEET mode against
/// the bundle MTU (xfrm_state_mtu); a failure is counted in XfrmOutStateModeError. What passes
/// but is still larger than the link is fragmented by ip_fragment / ip6_fragment after ESP.
/// </summary>
public static class EspMtu
{
    public static MtuOutcome Decide(in EspSaGeometry g, int innerBytes, int mtu, bool dontFragment)
    {
        int stateMtu = g.StateMtu(mtu);
        int total = g.Layout(innerBytes, mtu).Total;

        if (g.Mode == XfrmMode.Transport)
        {
            if (innerBytes <= stateMtu) return new(MtuVerdict.Fits, stateMtu, 0, 1, "");
            if (dontFragment) return new(MtuVerdict.LocalMessageTooBig, stateMtu, stateMtu, 0, "");
            int n = FragmentCount(g.Family, innerBytes, stateMtu);
            return new(MtuVerdict.InnerFragmented, stateMtu, 0, n, g.Family == IpFamily.Ipv4 ? "FragCreates" : "Ip6FragCreates");
        }

        if (g.InnerFamily == IpFamily.Ipv4)
        {
            if (dontFragment && innerBytes > stateMtu)
                return new(MtuVerdict.FragmentationNeeded, stateMtu, stateMtu, 0, "XfrmOutStateModeError");
        }
        else
        {
            int limit = Math.Max(stateMtu, EspSaGeometry.Ipv6MinMtu);
            if (innerBytes > limit)
                return new(MtuVerdict.PacketTooBig, stateMtu, limit, 0, "XfrmOutStateModeError");
        }

        if (total <= mtu) return new(MtuVerdict.Fits, stateMtu, 0, 1, "");
        int frags = FragmentCount(g.Family, total, mtu);
        return new(MtuVerdict.OuterFragmented, stateMtu, 0, frags, g.Family == IpFamily.Ipv4 ? "FragCreates" : "Ip6FragCreates");
    }

    /// <summary>
    /// Fragments ip_fragment / ip6_fragment make of a packet of <paramref name="packetBytes"/> for
    /// <paramref name="mtu"/>: each carries the IP header (+ an 8-byte fragment header for IPv6)
    /// and a multiple of 8 payload bytes, except the last.
    /// </summary>
    public static int FragmentCount(IpFamily family, int packetBytes, int mtu)
    {
        int header = EspSaGeometry.IpHeaderBytes(family);
        int perFragment = (mtu - header - (family == IpFamily.Ipv6 ? 8 : 0)) & ~7;
        int payload = packetBytes - header;
        return (payload + perFragment - 1) / perFragment;
    }
}
