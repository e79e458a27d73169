using System.Globalization;
using Lab.Captures.EspFrames;
using Lab.Esp.Replay;

namespace Lab.KernelLab.Validation;

/// <summary>
/// One inbound ESP SA of the device under test: what the lab configures in the kernel with
/// <c>ip xfrm state add ... aead 'rfc4106(gcm(aes))' KEY 128</c> (iproute2 6.1, ip/xfrm_state.c)
/// and what it encrypts the frames for. The replay variant is not a kernel attribute of its own:
/// iproute2 sends XFRMA_REPLAY_ESN_VAL when <c>flag esn</c> is given or the window is above 32,
/// and the kernel's xfrm_init_replay (net/xfrm/xfrm_replay.c) picks legacy without that
/// attribute, bmp with it, esn with XFRM_STATE_ESN. <see cref="Problem"/> refuses the
/// combinations iproute2 cannot express.
/// </summary>
public sealed record EspValidationSa
{
    /// <summary>Name of the check this SA belongs to (the <c>check</c> column of validation.csv).</summary>
    public required string Check { get; init; }

    public required uint Spi { get; init; }

    /// <summary>AES key followed by the 4-byte salt: 20, 28 or 36 bytes (RFC 4106 section 8.1).</summary>
    public required byte[] Key { get; init; }

    public EspMode Mode { get; init; } = EspMode.Tunnel;

    /// <summary>Outer header family (in transport mode the only header).</summary>
    public bool OuterIpv6 { get; init; }

    /// <summary>Inner packet family in tunnel mode; transport mode uses <see cref="OuterIpv6"/>.</summary>
    public bool InnerIpv6 { get; init; }

    /// <summary>RFC 3948 ESP-in-UDP on port 4500 (<c>encap espinudp 4500 4500</c>).</summary>
    public bool UdpEncapsulation { get; init; }

    public XfrmReplayMode Replay { get; init; } = XfrmReplayMode.Legacy;

    /// <summary>replay-window; 0 turns replay protection off.</summary>
    public uint Window { get; init; } = 32;

    /// <summary>replay-seq: the top of the window when the SA is added.</summary>
    public uint InitialSeq { get; init; }

    /// <summary>replay-seq-hi (ESN only).</summary>
    public uint InitialSeqHi { get; init; }

    public bool Esn => Replay == XfrmReplayMode.Esn;

    /// <summary>The family of the decrypted packet.</summary>
    public bool DecryptedIpv6 => Mode == EspMode.Tunnel ? InnerIpv6 : OuterIpv6;

    /// <summary>Why this SA cannot be given to the kernel through iproute2, or null.</summary>
    public string? Problem()
    {
        if (Key.Length is not (20 or 28 or 36))
            return $"key: rfc4106(gcm(aes)) takes 20, 28 or 36 bytes (AES key + 4-byte salt), found {Key.Length}";
        if (Replay == XfrmReplayMode.Legacy && Window > XfrmReplay.LegacyBitmapBits)
            return $"replay legacy with window {Window}: iproute2 sends the ESN replay attribute for windows above 32, so the kernel would run bmp; use replay: bmp or a window of at most 32";
        if (Replay == XfrmReplayMode.Bmp && Window <= XfrmReplay.LegacyBitmapBits)
            return $"replay bmp with window {Window}: iproute2 sends the ESN replay attribute only with flag esn or a window above 32, so the kernel would run legacy; use a window above 32 or replay: legacy";
        return XfrmReplay.Validate(Replay, Window, InitialSeqHi) is { } kernel ? kernel : null;
    }

    /// <summary>The <c>ip xfrm state add</c> line for this SA (host side sends to the DUT's address).</summary>
    public string StateAddCommand(int reqId)
    {
        var inv = CultureInfo.InvariantCulture;
        var (src, dst) = OuterIpv6 ? (DutAddresses.HostIngress6, DutAddresses.DutIngress6) : (DutAddresses.HostIngress4, DutAddresses.DutIngress4);
        var line = string.Create(inv, $"ip xfrm state add src {src} dst {dst} proto esp spi 0x{Spi:x8} reqid {reqId} mode {(Mode == EspMode.Tunnel ? "tunnel" : "transport")}");
        line += string.Create(inv, $" replay-window {Window}");
        if (InitialSeq != 0) line += string.Create(inv, $" replay-seq 0x{InitialSeq:x}");
        if (InitialSeqHi != 0) line += string.Create(inv, $" replay-seq-hi 0x{InitialSeqHi:x}");
        if (Esn) line += " flag esn";
        line += $" aead 'rfc4106(gcm(aes))' 0x{Convert.ToHexStringLower(Key)} 128";
        // The selector names the inner family: without it iproute2 gives the SA a selector of
        // the outer family, and __xfrm_policy_check drops a decrypted packet of the other family
        // (XfrmInStateMismatch) when an IPv6 tunnel carries IPv4 or the reverse.
        if (Mode == EspMode.Tunnel) line += InnerIpv6 ? " sel src ::/0 dst ::/0" : " sel src 0.0.0.0/0 dst 0.0.0.0/0";
        if (UdpEncapsulation)
            line += string.Create(inv, $" encap espinudp {EspSecurityAssociation.NatTraversalPort} {EspSecurityAssociation.NatTraversalPort} {(OuterIpv6 ? "::" : "0.0.0.0")}");
        return line;
    }

    /// <summary>The SA as the frame builder needs it.</summary>
    public EspSecurityAssociation ForFrames(Captures.Frames.MacAddress source, Captures.Frames.MacAddress destination) => new()
    {
        Spi = Spi,
        KeyMaterial = Key,
        Mode = Mode,
        Esn = Esn,
        TunnelSource = System.Net.IPAddress.Parse(OuterIpv6 ? DutAddresses.HostIngress6 : DutAddresses.HostIngress4),
        TunnelDestination = System.Net.IPAddress.Parse(OuterIpv6 ? DutAddresses.DutIngress6 : DutAddresses.DutIngress4),
        EncapSourcePort = UdpEncapsulation ? EspSecurityAssociation.NatTraversalPort : null,
        EncapDestinationPort = UdpEncapsulation ? EspSecurityAssociation.NatTraversalPort : null,
        SourceMac = source,
        DestinationMac = destination,
    };

    /// <summary>A short description for reports: "tunnel ipv4/ipv4 udp, esn window 64, replay-seq 0x10".</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        string fam = OuterIpv6 ? "ipv6" : "ipv4";
        string what = Mode == EspMode.Tunnel ? $"tunnel {(InnerIpv6 ? "ipv6" : "ipv4")} in {fam}" : $"transport {fam}";
        string s = string.Create(inv, $"spi 0x{Spi:x8}, {what}{(UdpEncapsulation ? " espinudp" : "")}, {Lab.Esp.Reference.ReplayReference.ModeName(Replay)} window {Window}");
        if (InitialSeq != 0 || InitialSeqHi != 0) s += string.Create(inv, $", replay-seq-hi 0x{InitialSeqHi:x} replay-seq 0x{InitialSeq:x}");
        return s;
    }
}
