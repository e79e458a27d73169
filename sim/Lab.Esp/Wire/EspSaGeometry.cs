using Lab.Esp.Sa;

namespace Lab.Esp.Wire;

/// <summary>
/// The shape of an ESP SA that decides packet sizes: mode, outer family (x->props.family), inner
/// family (x->sel.family), UDP encapsulation, transform, TFC padding (XFRMA_TFCPAD). Sizes follow
/// esp_output and esp_init_state (net/ipv4/esp4.c, net/ipv6/esp6.c) and xfrm_state_mtu
/// (net/xfrm/xfrm_state.c), Linux v6.12. Inner IPv4 headers are taken without options (so BEET
/// never adds its pseudo-header) and IPv6 headers without extension headers.
/// </summary>
public readonly record struct EspSaGeometry(
    XfrmMode Mode, IpFamily Family, IpFamily InnerFamily, EspEncap Encap, EspCipher Cipher, int TfcPad = 0)
{
    public const int Ipv4HeaderBytes = 20;
    public const int Ipv6HeaderBytes = 40;
    public const int UdpHeaderBytes = 8;
    public const int EspHeaderBytes = 8;
    public const int EspTrailerBytes = 2;

    /// <summary>IPV4_BEET_PHMAXLEN: room esp_init_state reserves for a BEET pseudo-header.</summary>
    public const int BeetPseudoHeaderMaxBytes = 8;

    /// <summary>IPV6_MIN_MTU: xfrm_state_mtu never returns less for IPv6 SAs.</summary>
    public const int Ipv6MinMtu = 1280;

    public EspCipherParams CipherParams => EspCipherParams.For(Cipher);

    public static int IpHeaderBytes(IpFamily f) => f == IpFamily.Ipv4 ? Ipv4HeaderBytes : Ipv6HeaderBytes;

    /// <summary>What the kernel refuses for this SA shape, as one line, or null.</summary>
    public string? Validate()
    {
        if (Mode == XfrmMode.Transport && InnerFamily != Family)
            return "transport mode keeps the packet's own IP header: inner and outer family must be the same";
        if (TfcPad < 0) return "TFC padding must be zero or positive";
        if (TfcPad > 0 && Mode != XfrmMode.Tunnel)
            return "TFC padding can only be used in tunnel mode (xfrm_user verify_newsa_info)";
        return null;
    }

    /// <summary>
    /// x->props.header_len from esp_init_state (IPv4 outer) / esp6_init_state (IPv6 outer):
    /// ESP header + IV, plus the outer IP header in tunnel mode, plus the BEET pseudo-header room
    /// (and, over IPv6, the 20 bytes an IPv6 outer header adds over the IPv4 inner one) when the
    /// inner family is IPv4, plus 8 for UDP encapsulation.
    /// </summary>
    public int HeaderLen
    {
        get
        {
            int len = EspHeaderBytes + CipherParams.IvSize;
            if (Mode == XfrmMode.Tunnel) len += IpHeaderBytes(Family);
            else if (Mode == XfrmMode.Beet && InnerFamily != IpFamily.Ipv6)
                len += BeetPseudoHeaderMaxBytes + (Family == IpFamily.Ipv6 ? Ipv6HeaderBytes - Ipv4HeaderBytes : 0);
            if (Encap == EspEncap.EspInUdp) len += UdpHeaderBytes;
            return len;
        }
    }

    /// <summary>
    /// xfrm_state_mtu(x, mtu): the largest inner packet whose ESP packet fits <paramref name="mtu"/>
    /// ((mtu - header_len - authsize - net_adj) rounded down to the block, + net_adj - 2, where
    /// net_adj is the outer IP header in transport and BEET mode), at least 1280 for IPv6 SAs.
    /// This is the MTU of the xfrm route (dst_mtu of the bundle) and what ICMP "fragmentation
    /// needed" reports.
    /// </summary>
    public int StateMtu(int mtu)
    {
        var c = CipherParams;
        int netAdj = Mode == XfrmMode.Tunnel ? 0 : IpHeaderBytes(Family);
        int result = ((mtu - HeaderLen - c.IcvSize - netAdj) & ~(c.Align - 1)) + netAdj - 2;
        if (Family == IpFamily.Ipv6 && result < Ipv6MinMtu) result = Ipv6MinMtu;
        return result;
    }

    /// <summary>
    /// The ESP packet esp_output builds for an inner IP packet of <paramref name="innerBytes"/>
    /// (its full length with its IP header). <paramref name="childMtu"/> is the route MTU
    /// below the SA (dst->child_mtu_cached), only used by TFC padding: esp_output pads the
    /// payload up to min(tfcpad, xfrm_state_mtu(childMtu)).
    /// </summary>
    public EspPacketLayout Layout(int innerBytes, int childMtu = 1500)
    {
        var c = CipherParams;
        int innerHeader = IpHeaderBytes(InnerFamily);
        int outerHeader = IpHeaderBytes(Family);
        // skb->len at esp_output: the whole inner packet in tunnel mode; the upper-layer payload
        // (the IP header moved in front of the ESP header) in transport and BEET mode.
        int payload = Mode == XfrmMode.Tunnel ? innerBytes : innerBytes - innerHeader;
        int tfc = 0;
        if (TfcPad > 0)
        {
            int padTo = Math.Min(TfcPad, StateMtu(childMtu));
            if (payload < padTo) tfc = padTo - payload;
        }
        int align = c.Align;
        int clen = (payload + EspTrailerBytes + tfc + align - 1) / align * align;
        int pad = clen - payload - tfc - EspTrailerBytes;
        return new EspPacketLayout(
            OuterIpHeader: outerHeader,
            Udp: Encap == EspEncap.EspInUdp ? UdpHeaderBytes : 0,
            EspHeader: EspHeaderBytes,
            Iv: c.IvSize,
            Payload: payload,
            TfcPadding: tfc,
            Padding: pad,
            Trailer: EspTrailerBytes,
            Icv: c.IcvSize);
    }
}

/// <summary>Byte counts of one ESP packet, outermost first.</summary>
public readonly record struct EspPacketLayout(
    int OuterIpHeader, int Udp, int EspHeader, int Iv, int Payload, int TfcPadding, int Padding, int Trailer, int Icv)
{
    public int Total => OuterIpHeader + Udp + EspHeader + Iv + Payload + TfcPadding + Padding + Trailer + Icv;

    /// <summary>The encrypted part (esp.clen): payload, TFC padding, padding, pad length, next header.</summary>
    public int EncryptedBytes => Payload + TfcPadding + Padding + Trailer;
}
