namespace Lab.Esp.Sa;

/// <summary>x->props.mode: XFRM_MODE_TRANSPORT, XFRM_MODE_TUNNEL, XFRM_MODE_BEET.</summary>
public enum XfrmMode : byte
{
    Transport,
    Tunnel,
    Beet,
}

/// <summary>x->encap->encap_type: none, or UDP_ENCAP_ESPINUDP (RFC 3948, type 2).</summary>
public enum EspEncap : byte
{
    None = 0,
    EspInUdp = 2,
}
