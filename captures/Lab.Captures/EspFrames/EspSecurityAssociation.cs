using System.Net;
using System.Net.Sockets;
using Lab.Captures.Frames;

namespace Lab.Captures.EspFrames;

public enum EspMode
{
    /// <summary>RFC 4303 section 3.1.1: the ESP header sits between the IP header and the transport header.</summary>
    Transport,

    /// <summary>RFC 4303 section 3.1.2: the whole inner IP packet is encrypted behind a new outer header.</summary>
    Tunnel,
}

/// <summary>
/// One outbound (or inbound) AES-GCM-16 ESP SA as the frame builder needs it: what
/// <c>ip xfrm state add ... aead 'rfc4106(gcm(aes))' KEY 128 mode MODE [flag esn] [encap espinudp SPORT DPORT 0.0.0.0]</c>
/// configures on the kernel side.
/// </summary>
public sealed record EspSecurityAssociation
{
    public required uint Spi { get; init; }

    /// <summary>AES key followed by the 4-byte salt (20, 28 or 36 bytes), as in iproute2's rfc4106 key.</summary>
    public required byte[] KeyMaterial { get; init; }

    public EspMode Mode { get; init; } = EspMode.Tunnel;

    /// <summary>Extended sequence numbers (XFRM_STATE_ESN): 64-bit counter, high half in the AAD only.</summary>
    public bool Esn { get; init; }

    /// <summary>Outer source address in tunnel mode (transport mode keeps the inner packet's).</summary>
    public IPAddress? TunnelSource { get; init; }

    /// <summary>Outer destination address in tunnel mode.</summary>
    public IPAddress? TunnelDestination { get; init; }

    /// <summary>RFC 3948 UDP encapsulation source port (usually 4500); null: plain ESP (protocol 50).</summary>
    public ushort? EncapSourcePort { get; init; }

    /// <summary>RFC 3948 UDP encapsulation destination port (usually 4500).</summary>
    public ushort? EncapDestinationPort { get; init; }

    public MacAddress SourceMac { get; init; } = new(0x02_00_00_00_00_01);
    public MacAddress DestinationMac { get; init; } = new(0x02_00_00_00_00_02);

    /// <summary>Outer TTL / hop limit in tunnel mode.</summary>
    public byte OuterTtl { get; init; } = 64;

    public bool UdpEncapsulated => EncapSourcePort.HasValue;

    public const ushort NatTraversalPort = 4500;

    internal void Validate()
    {
        if (KeyMaterial is null || KeyMaterial.Length is not (20 or 28 or 36))
            throw new ArgumentException($"ESP SA 0x{Spi:x8}: key material must be 20, 28 or 36 bytes (AES key + salt)");
        if (EncapSourcePort.HasValue != EncapDestinationPort.HasValue)
            throw new ArgumentException($"ESP SA 0x{Spi:x8}: UDP encapsulation needs both ports");
        if (Mode == EspMode.Tunnel)
        {
            if (TunnelSource is null || TunnelDestination is null)
                throw new ArgumentException($"ESP SA 0x{Spi:x8}: tunnel mode needs TunnelSource and TunnelDestination");
            if (TunnelSource.AddressFamily != TunnelDestination.AddressFamily)
                throw new ArgumentException($"ESP SA 0x{Spi:x8}: tunnel endpoints of different families");
        }
    }

    internal bool OuterIsIpv6(ReadOnlySpan<byte> innerPacket) =>
        Mode == EspMode.Tunnel ? TunnelSource!.AddressFamily == AddressFamily.InterNetworkV6 : (innerPacket[0] >> 4) == 6;
}
