using Lab.Esp.Sa;
using Lab.Esp.Wire;

namespace Lab.Esp.IpTfs;

/// <summary>
/// Sizes of an IP-TFS (AGGFRAG) SA. The ESP part is the tunnel-mode <see cref="EspSaGeometry"/>
/// (esp_output, esp4.c); on top of it <c>__iptfs_init_state</c> (net/xfrm/xfrm_iptfs.c, Linux v6.14)
/// adds the outer IP header and the 4-octet basic AGGFRAG header to <c>x->props.header_len</c>.
/// The congestion-control header (RFC 9347 section 6.1.2) is 20 octets longer; the kernel never sends
/// it, so in that mode the model takes the 20 octets out of each outer packet's data.
/// </summary>
public readonly record struct IpTfsGeometry(EspSaGeometry Esp, bool CongestionHeader = false)
{
    /// <summary>Ethernet header and FCS around an outer IP packet.</summary>
    public const int EthernetBytes = 18;

    /// <summary>Preamble, start delimiter and inter-frame gap (IEEE 802.3): what a frame costs the wire beyond itself.</summary>
    public const int WireGapBytes = 20;

    public static IpTfsGeometry Ipv4Gcm(bool cc = false) =>
        new(new EspSaGeometry(XfrmMode.Tunnel, IpFamily.Ipv4, IpFamily.Ipv4, EspEncap.None, EspCipher.Gcm16), cc);

    /// <summary>The AGGFRAG header this SA sends: 4 or 24 octets.</summary>
    public int AggfragHeaderBytes => Aggfrag.HeaderBytes(CongestionHeader);

    /// <summary>x->props.header_len after <c>__iptfs_init_state</c>: ESP header + IV + outer IP (+ UDP) + 4.</summary>
    public int HeaderLen => Esp.HeaderLen + Aggfrag.BasicHeaderBytes;

    /// <summary>
    /// <c>__iptfs_get_inner_mtu(x, outer_mtu)</c>: the data octets one outer packet of at most
    /// <paramref name="outerMtu"/> carries after the basic header: (mtu - header_len - authsize)
    /// rounded down to the cipher block (4 for GCM), minus the 2-octet ESP trailer.
    /// </summary>
    public int KernelInnerMtu(int outerMtu)
    {
        var c = Esp.CipherParams;
        return ((outerMtu - HeaderLen - c.IcvSize) & ~(c.Align - 1)) - 2;
    }

    /// <summary>
    /// The kernel's data octets per outer packet (<c>iptfs_get_cur_pmtu</c>): the path MTU bound, and
    /// with XFRMA_IPTFS_PKT_SIZE also <c>payload_mtu = pkt_size - header_len</c>. The latter ignores
    /// the ESP trailer and ICV, so an outer packet may exceed pkt_size by them.
    /// </summary>
    public int KernelDataCapacity(int pktSize, int pathMtu)
    {
        int pmtu = KernelInnerMtu(pathMtu);
        if (pktSize > 0) pmtu = Math.Min(pmtu, pktSize - HeaderLen);
        return pmtu - (AggfragHeaderBytes - Aggfrag.BasicHeaderBytes);
    }

    /// <summary>
    /// The data octets of a fixed-size outer packet of exactly (or, when the cipher block leaves a
    /// remainder, at most) <paramref name="packetBytes"/> IP octets: RFC 9347 section 2's fixed-size
    /// encapsulating packets, filled with data blocks and a pad block.
    /// </summary>
    public int FixedDataCapacity(int packetBytes)
    {
        var c = Esp.CipherParams;
        int fixedPart = EspSaGeometry.IpHeaderBytes(Esp.Family) + (Esp.Encap == EspEncap.EspInUdp ? EspSaGeometry.UdpHeaderBytes : 0)
            + EspSaGeometry.EspHeaderBytes + c.IvSize + c.IcvSize;
        return ((packetBytes - fixedPart) & ~(c.Align - 1)) - EspSaGeometry.EspTrailerBytes - AggfragHeaderBytes;
    }

    /// <summary>The ESP packet carrying an AGGFRAG payload of <paramref name="dataBytes"/> after the header.</summary>
    public EspPacketLayout OuterLayout(int dataBytes) => Esp.Layout(AggfragHeaderBytes + dataBytes);

    /// <summary>Outer IP packet octets for <paramref name="dataBytes"/> of data blocks.</summary>
    public int OuterPacketBytes(int dataBytes) => OuterLayout(dataBytes).Total;

    /// <summary>Octets the outer packet takes on an Ethernet wire: IP packet + 18 + 20.</summary>
    public int OuterWireBytes(int dataBytes) => OuterPacketBytes(dataBytes) + EthernetBytes + WireGapBytes;

    /// <summary>Plain ESP tunnel mode (RFC 4303, no AGGFRAG): the wire octets of one inner packet of <paramref name="innerBytes"/>.</summary>
    public int TunnelWireBytes(int innerBytes) => Esp.Layout(innerBytes).Total + EthernetBytes + WireGapBytes;
}
