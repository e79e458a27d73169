using System.Buffers.Binary;

namespace Lab.Captures.Tests.Support;

/// <summary>
/// pcapng blocks laid out by hand in either byte order (draft-ietf-opsawg-pcapng-02 section 4),
/// for the malformed-file tests and for byte orders no tool on this machine writes. Files made
/// here are checked against libpcap and tshark in <see cref="PcapNgInteropTests"/>.
/// </summary>
public sealed class PcapNgBuilder(bool bigEndian = false)
{
    readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    public int Length => _bytes.Count;

    public PcapNgBuilder Section(ushort major = 1)
    {
        var body = new List<byte>();
        body.AddRange(U32(0x1A2B3C4D));
        body.AddRange(U16(major));
        body.AddRange(U16(0));
        body.AddRange(bigEndian ? [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] : new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF });
        return Block(0x0A0D0D0A, [.. body]);
    }

    /// <param name="tsresol">if_tsresol byte, or null for none (microseconds).</param>
    public PcapNgBuilder Interface(ushort linkType, uint snapLength = 262144, byte? tsresol = null, long? tsoffset = null)
    {
        var body = new List<byte>();
        body.AddRange(U16(linkType));
        body.AddRange(U16(0));
        body.AddRange(U32(snapLength));
        if (tsresol is byte r) body.AddRange([.. U16(9), .. U16(1), r, 0, 0, 0]);
        if (tsoffset is long o) body.AddRange([.. U16(14), .. U16(8), .. U64((ulong)o)]);
        if (tsresol is not null || tsoffset is not null) body.AddRange([.. U16(0), .. U16(0)]);
        return Block(1, [.. body]);
    }

    public PcapNgBuilder Enhanced(uint interfaceId, ulong timestamp, byte[] data, uint? originalLength = null, uint? capturedLength = null)
    {
        var body = new List<byte>();
        body.AddRange(U32(interfaceId));
        body.AddRange(U32((uint)(timestamp >> 32)));
        body.AddRange(U32((uint)timestamp));
        body.AddRange(U32(capturedLength ?? (uint)data.Length));
        body.AddRange(U32(originalLength ?? (uint)data.Length));
        body.AddRange(data);
        while (body.Count % 4 != 0) body.Add(0);
        return Block(6, [.. body]);
    }

    public PcapNgBuilder Simple(byte[] data, uint? originalLength = null)
    {
        var body = new List<byte>();
        body.AddRange(U32(originalLength ?? (uint)data.Length));
        body.AddRange(data);
        while (body.Count % 4 != 0) body.Add(0);
        return Block(3, [.. body]);
    }

    /// <summary>Any block; <paramref name="totalLength"/> and <paramref name="trailer"/> override the lengths to make bad files.</summary>
    public PcapNgBuilder Block(uint type, byte[] body, uint? totalLength = null, uint? trailer = null)
    {
        uint length = (uint)(12 + body.Length);
        _bytes.AddRange(U32(type));
        _bytes.AddRange(U32(totalLength ?? length));
        _bytes.AddRange(body);
        _bytes.AddRange(U32(trailer ?? totalLength ?? length));
        return this;
    }

    public PcapNgBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    byte[] U16(ushort v)
    {
        var b = new byte[2];
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    byte[] U32(uint v)
    {
        var b = new byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    byte[] U64(ulong v)
    {
        var b = new byte[8];
        if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v); else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }
}
