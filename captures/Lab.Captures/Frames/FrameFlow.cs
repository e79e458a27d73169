namespace Lab.Captures.Frames;

/// <summary>
/// A flow number for a captured frame, as a NIC's RSS would tell flows apart: FNV-1a over the
/// IP source and destination addresses and the first four bytes of the upper-layer header
/// (the ports of TCP and UDP, the SPI of ESP). Fragments after the first hash the addresses
/// only. For an untagged IPv4-over-Ethernet frame these are bytes 26 to 38, as before pcapng
/// and cooked captures were read, so earlier results do not move.
/// </summary>
public static class FrameFlow
{
    public static int Hash(ReadOnlySpan<byte> d, in FrameLayers l)
    {
        uint h = 2166136261;
        if (l.IpVersion != 0)
        {
            int at = l.NetworkOffset + (l.IpVersion == 4 ? 12 : 8);
            int length = l.IpVersion == 4 ? 8 : 32;
            h = Add(h, d, at, length);
            if (l.HasTransport) h = Add(h, d, l.TransportOffset, 4);
        }
        else h = Add(h, d, Math.Max(0, l.NetworkOffset) + 12, 12);
        return (int)(h & 0x7FFFFFFF);
    }

    static uint Add(uint h, ReadOnlySpan<byte> d, int start, int length)
    {
        for (int i = start; i < start + length && i < d.Length; i++)
        {
            h ^= d[i];
            h *= 16777619;
        }
        return h;
    }
}
