using Lab.Captures.Pcap;
using PacketDotNet;

namespace Lab.Captures.Frames;

/// <summary>
/// The rarely used link types (BSD loopback, PPP, 802.11 with radiotap, PPI, ...) through
/// PacketDotNet's dissectors: they find where the IP packet starts, and the lab's own
/// <see cref="FrameDissector"/> takes over from there. This path allocates (PacketDotNet parses
/// from an array); the common link types never take it.
/// </summary>
public static class PacketDotNetLinkLayer
{
    /// <summary>PacketDotNet's name for the link type, or null when it does not know it.</summary>
    public static string? Name(PcapLinkType type)
    {
        var layer = (LinkLayers)(int)type;
        return Enum.IsDefined(layer) ? layer.ToString() : null;
    }

    /// <summary>The offset of the IPv4 or IPv6 header in a record of this link type.</summary>
    public static bool TryFindIp(PcapLinkType type, ReadOnlySpan<byte> data, out int ipOffset)
    {
        ipOffset = -1;
        if (Name(type) is null || data.IsEmpty) return false;
        IPPacket? ip;
        try
        {
            // Parsing is lazy: the payload is decoded (and may throw) on Extract.
            ip = Packet.ParsePacket((LinkLayers)(int)type, data.ToArray())?.Extract<IPPacket>();
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException
                                      or NotImplementedException or NotSupportedException or NullReferenceException)
        {
            // PacketDotNet throws on headers it cannot make sense of: not an IP packet for us.
            return false;
        }
        if (ip is null) return false;
        ipOffset = ip.HeaderSegment.Offset;
        return ipOffset >= 0 && ipOffset < data.Length;
    }
}
