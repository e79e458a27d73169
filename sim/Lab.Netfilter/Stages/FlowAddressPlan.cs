using Lab.Core;

namespace Lab.Netfilter.Stages;

/// <summary>
/// How a simulated packet's flow id becomes the 5-tuple the netfilter models key on. The simulated
/// traffic carries only an integer flow id; this plan turns it into addresses deterministically,
/// without state and without randomness, so that the same flow id always gives the same tuple:
/// <list type="bullet">
/// <item>subscriber (client) = flow mod <see cref="Subscribers"/>, address 10.0.0.1 + subscriber;</item>
/// <item>source port = 32768 + (flow div <see cref="Subscribers"/>) mod 28232: each subscriber walks
/// net.ipv4.ip_local_port_range (32768-60999), so consecutive flows of one subscriber never share a
/// tuple until it has used all 28,232 ports;</item>
/// <item>destination = 198.18.0.1 (RFC 2544 benchmarking range) + a hash of the flow id mod
/// <see cref="Destinations"/>; destination port fixed.</item>
/// </list>
/// </summary>
public sealed record FlowAddressPlan
{
    public const int EphemeralMin = 32768;
    public const int EphemeralCount = 60999 - 32768 + 1;
    public const int MaxSubscribers = 16_777_214;     // 10.0.0.1 .. 10.255.255.254
    public const int MaxDestinations = 131_070;       // 198.18.0.1 .. 198.19.255.254

    public static readonly uint ClientBase = FlowTuple.Ip(10, 0, 0, 1);
    public static readonly uint ServerBase = FlowTuple.Ip(198, 18, 0, 1);

    public int Subscribers { get; init; } = 65536;
    public int Destinations { get; init; } = 1;
    public ushort DestinationPort { get; init; } = 443;
    public IpProto Proto { get; init; } = IpProto.Tcp;

    public void Validate()
    {
        if (Subscribers is < 1 or > MaxSubscribers) throw new LabInputException($"subscribers must be 1..{MaxSubscribers}, found {Subscribers}");
        if (Destinations is < 1 or > MaxDestinations) throw new LabInputException($"destinations must be 1..{MaxDestinations}, found {Destinations}");
        if (Proto is not (IpProto.Tcp or IpProto.Udp)) throw new LabInputException($"protocol must be tcp or udp, found {Proto}");
    }

    /// <summary>The original-direction tuple of flow <paramref name="flow"/> (client to server).</summary>
    public FlowTuple Tuple(int flow)
    {
        uint f = (uint)flow;
        uint subscriber = f % (uint)Subscribers;
        uint k = f / (uint)Subscribers;
        ushort sport = (ushort)(EphemeralMin + k % EphemeralCount);
        uint dst = Destinations == 1 ? 0 : (uint)(((TupleHash.Mix(f) >> 32) * (ulong)Destinations) >> 32);
        return new FlowTuple(ClientBase + subscriber, ServerBase + dst, sport, DestinationPort, Proto);
    }
}
