using Lab.Core;

namespace Lab.Radio.Keepalive;

/// <summary>What the phone sends to keep the NAT mapping of a UDP-encapsulated ESP tunnel alive.</summary>
public enum KeepaliveKind
{
    /// <summary>RFC 3948 section 2.3/4: one octet 0xFF to UDP port 4500; not authenticated, the peer ignores it.</summary>
    NatT,
    /// <summary>
    /// An ESP "dummy" packet (RFC 4303 section 2.6: Next Header 59, no payload) on the SA, as the
    /// ESP-keepalive proposals suggest: authenticated, so the peer can learn a new NAT mapping from it.
    /// </summary>
    EspKeepalive,
    /// <summary>
    /// ESP Echo request/reply (draft-colitti-ipsecme-esp-ping, draft-ietf-ipsecme-encrypted-esp-ping):
    /// elicits a downlink reply. Treated as unauthenticated (the unencrypted variant); packet format not
    /// re-checked against the draft text, size is an assumption.
    /// </summary>
    EspPing,
}

/// <summary>
/// Energy of waking the application processor to send one keepalive, which an offload to the modem
/// avoids (the radio cost stays: the modem still transmits). No measured figure was found: the default
/// is an assumption and is a parameter.
/// </summary>
public sealed record KeepaliveCpuCost(double ApplicationProcessorWakeMj, double ModemOffloadMj)
{
    /// <summary>[A] assumption: 100 ms of AP activity at 300 mW = 30 mJ; modem-side cost 0 beyond the radio.</summary>
    public static KeepaliveCpuCost Default { get; } = new(30.0, 0.0);
}

/// <summary>
/// A keepalive policy. With <see cref="SuppressWhenTraffic"/>, a keepalive is sent only when nothing was
/// sent for a whole interval (strongSwan ike_sa.c send_keepalive: it compares the time since the last
/// outbound packet with charon.keep_alive and reschedules for the remainder).
/// </summary>
public sealed record KeepaliveStrategy(
    KeepaliveKind Kind,
    long Interval,
    bool SuppressWhenTraffic = true,
    bool OffloadedToModem = false,
    int? BytesOverride = null)
{
    /// <summary>IPv4 20 + UDP 8 + 0xFF.</summary>
    public const int NatTBytes = 20 + 8 + 1;

    /// <summary>
    /// IPv4 20 + UDP 8 + ESP with AES-GCM-16 (RFC 4106): header 8 + IV 8 + no payload + 2 padding
    /// (the pad-length and next-header octets end on a 4-byte boundary) + 2 + ICV 16 = 36; total 64.
    /// </summary>
    public const int EspDummyBytes = 20 + 8 + 8 + 8 + 2 + 2 + 16;

    /// <summary>[A] ESP echo request and reply assumed the size of the ESP dummy packet.</summary>
    public const int EspPingBytes = EspDummyBytes;

    public int UplinkBytes => BytesOverride ?? Kind switch
    {
        KeepaliveKind.NatT => NatTBytes,
        KeepaliveKind.EspKeepalive => EspDummyBytes,
        _ => EspPingBytes,
    };

    public bool ElicitsReply => Kind == KeepaliveKind.EspPing;

    /// <summary>Whether the peer can update its NAT mapping from this packet (RFC 7296 section 2.23 needs an authenticated packet).</summary>
    public bool Authenticated => Kind == KeepaliveKind.EspKeepalive;
}

/// <summary>
/// What re-establishing the tunnel costs after the NAT mapping was lost: an IKE_SA_INIT and an IKE_AUTH
/// exchange (RFC 7296 section 1.2: four messages), request sizes, response sizes and one round trip per
/// exchange. Sizes and round trip are assumptions (they depend on proposals, certificates, the path).
/// </summary>
public sealed record TunnelReestablishment(int Exchanges, int RequestBytes, int ResponseBytes, long RoundTrip)
{
    /// <summary>[A] 2 exchanges, 500 B requests, 500 B responses (IKE_AUTH with certificates is larger), 100 ms round trip.</summary>
    public static TunnelReestablishment Default { get; } = new(2, 500, 500, 100 * Lab.Core.SimTime.Millisecond);

    public long Duration => Exchanges * RoundTrip;
}
