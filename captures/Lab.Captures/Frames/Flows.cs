using System.Net;

namespace Lab.Captures.Frames;

/// <summary>The fixed addressing of a UDP or TCP flow; both addresses of one family.</summary>
/// <param name="SourceMac">Ethernet source.</param>
/// <param name="DestinationMac">Ethernet destination.</param>
/// <param name="Source">IP source (IPv4 or IPv6).</param>
/// <param name="Destination">IP destination, same family.</param>
/// <param name="SourcePort">Transport source port.</param>
/// <param name="DestinationPort">Transport destination port.</param>
public readonly record struct FlowAddresses(MacAddress SourceMac, MacAddress DestinationMac, IPAddress Source, IPAddress Destination,
    ushort SourcePort, ushort DestinationPort)
{
    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl { get; init; } = 64;

    /// <summary>IPv4 TOS byte or IPv6 traffic class (DSCP and ECN).</summary>
    public byte Tos { get; init; }

    /// <summary>IPv4 don't-fragment bit (Linux sets it on UDP and TCP when path MTU discovery is on).</summary>
    public bool DontFragment { get; init; }

    public bool IsIpv6 => Source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
}
