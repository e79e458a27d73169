using System.Buffers.Binary;
using Lab.Engine;

namespace Lab.Captures.Pcap;

/// <summary>
/// The pcapng half of the reader (draft-ietf-opsawg-pcapng-02). A block that carries a packet
/// or describes an interface is held whole in the buffer (so it may be at most the buffer's
/// size); any other block is skipped in pieces whatever its length. Every block's leading and
/// trailing lengths must agree, as libpcap's sf-pcapng.c insists.
/// </summary>
public sealed partial class PcapReader
{
    readonly List<CaptureInterface> _interfaces = [];
    ushort _sectionVersionMajor;
    ushort _sectionVersionMinor;
    long _lastTimestamp;

    /// <summary>Sections read so far (pcapng); 1 for classic pcap.</summary>
    public int SectionCount { get; private set; } = 1;

    /// <summary>The first section's header, then blocks up to the first interface (so <see cref="LinkType"/> is known) or packet.</summary>
    void ReadFirstSection()
    {
        SectionCount = 0;
        _lastTimestamp = 0;
        if (!TryReadBlockHeader(out uint type, out int length, out long offset) || type != PcapNgFormat.SectionHeaderBlock)
            throw Problem(0, "expected a pcapng Section Header Block");
        ReadSectionHeader(length, offset);
        while (_interfaces.Count == 0 && PeekBlockType() is uint next && next is not (PcapNgFormat.EnhancedPacketBlock
                   or PcapNgFormat.SimplePacketBlock or PcapNgFormat.PacketBlock or PcapNgFormat.SectionHeaderBlock))
        {
            TryReadBlockHeader(out type, out length, out offset);
            if (type == PcapNgFormat.InterfaceDescriptionBlock) ReadInterfaceDescription(length, offset);
            else SkipBlock(type, length, offset);
        }
    }

    bool TryReadNextBlock(out PcapRecord record)
    {
        record = default;
        while (TryReadBlockHeader(out uint type, out int length, out long offset))
        {
            switch (type)
            {
                case PcapNgFormat.SectionHeaderBlock:
                    ReadSectionHeader(length, offset);
                    break;
                case PcapNgFormat.InterfaceDescriptionBlock:
                    ReadInterfaceDescription(length, offset);
                    break;
                case PcapNgFormat.EnhancedPacketBlock:
                case PcapNgFormat.PacketBlock:
                    record = ReadPacketBlock(type, length, offset);
                    return true;
                case PcapNgFormat.SimplePacketBlock:
                    record = ReadSimplePacket(length, offset);
                    return true;
                default:
                    SkipBlock(type, length, offset);
                    break;
            }
        }
        return false;
    }

    /// <summary>The next block's type without consuming it; null at the end of the file.</summary>
    uint? PeekBlockType()
    {
        Fill(4);
        if (_end - _start < 4) return null;
        return U32(_buffer.AsSpan(_start));
    }

    /// <summary>
    /// Reads a block's type and total length and checks the length; a Section Header Block's
    /// byte-order magic sets <see cref="BigEndian"/> first. Consumes nothing.
    /// </summary>
    bool TryReadBlockHeader(out uint type, out int length, out long offset)
    {
        Fill(8);
        offset = _bufferOffset + _start;
        int have = _end - _start;
        type = 0;
        length = 0;
        if (have == 0) return false;
        if (have < 8)
            throw Problem(offset, $"expected an 8-byte pcapng block header, found {have} bytes (file truncated)");
        var h = _buffer.AsSpan(_start, 8);
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) == PcapNgFormat.SectionHeaderBlock)
        {
            Fill(12);
            have = _end - _start;
            if (have < 12)
                throw Problem(offset + 8, $"Section Header Block: expected the 4-byte byte-order magic, found {have - 8} bytes (file truncated)");
            var magic = _buffer.AsSpan(_start + 8, 4);
            if (BinaryPrimitives.ReadUInt32LittleEndian(magic) == PcapNgFormat.ByteOrderMagic) BigEndian = false;
            else if (BinaryPrimitives.ReadUInt32BigEndian(magic) == PcapNgFormat.ByteOrderMagic) BigEndian = true;
            else
                throw Problem(offset + 8, $"Section Header Block: expected byte-order magic 1a2b3c4d in either byte order, found {Convert.ToHexStringLower(magic)}");
        }
        type = U32(_buffer.AsSpan(_start));
        uint total = U32(_buffer.AsSpan(_start + 4));
        string what = PcapNgFormat.BlockName(type);
        if (total < PcapNgFormat.BlockOverhead || total % 4 != 0)
            throw Problem(offset + 4, $"{what}: expected a block total length that is a multiple of 4 and at least {PcapNgFormat.BlockOverhead}, found {total}");
        if (total > int.MaxValue)
            throw Problem(offset + 4, $"{what}: expected a block total length below 2^31, found {total}");
        length = (int)total;
        return true;
    }

    /// <summary>Makes the whole block available in the buffer and checks its trailing length.</summary>
    ReadOnlySpan<byte> WholeBlock(uint type, int length, long offset, int minimum)
    {
        string what = PcapNgFormat.BlockName(type);
        if (length < minimum)
            throw Problem(offset + 4, $"{what}: expected a block total length of at least {minimum}, found {length}");
        if (length > _buffer.Length)
            throw Problem(offset + 4, $"{what}: expected a block total length of at most {_buffer.Length}, found {length}");
        Fill(length);
        int have = _end - _start;
        if (have < length)
            throw Problem(offset, $"{what}: expected {length} bytes, found {have} (file truncated)");
        var block = _buffer.AsSpan(_start, length);
        uint trailer = U32(block[(length - 4)..]);
        if (trailer != (uint)length)
            throw Problem(offset + length - 4, $"{what}: expected the trailing block total length {length}, found {trailer}");
        _start += length;
        return block;
    }

    void SkipBlock(uint type, int length, long offset)
    {
        // Read through without holding the block: Name Resolution and custom blocks may be large.
        long remaining = length - 4;
        while (remaining > 0)
        {
            if (_end == _start) Fill(1);
            int have = _end - _start;
            if (have == 0)
                throw Problem(offset, $"{PcapNgFormat.BlockName(type)}: expected {length} bytes, found {length - 4 - remaining} (file truncated)");
            int take = (int)Math.Min(have, remaining);
            _start += take;
            remaining -= take;
        }
        Fill(4);
        if (_end - _start < 4)
            throw Problem(offset, $"{PcapNgFormat.BlockName(type)}: expected {length} bytes, found {length - 4 + _end - _start} (file truncated)");
        uint trailer = U32(_buffer.AsSpan(_start));
        if (trailer != (uint)length)
            throw Problem(offset + length - 4, $"{PcapNgFormat.BlockName(type)}: expected the trailing block total length {length}, found {trailer}");
        _start += 4;
    }

    void ReadSectionHeader(int length, long offset)
    {
        var b = WholeBlock(PcapNgFormat.SectionHeaderBlock, length, offset, PcapNgFormat.MinimumSectionHeaderLength);
        ushort major = U16(b[12..]);
        ushort minor = U16(b[14..]);
        // libpcap also accepts 1.2, written by some early writers; 2.x would be a different format.
        if (major != 1)
            throw Problem(offset + 12, $"Section Header Block: expected pcapng version 1.x, found {major}.{minor}");
        _sectionVersionMajor = major;
        _sectionVersionMinor = minor;
        _interfaces.Clear();
        SectionCount++;
    }

    void ReadInterfaceDescription(int length, long offset)
    {
        var b = WholeBlock(PcapNgFormat.InterfaceDescriptionBlock, length, offset, PcapNgFormat.MinimumInterfaceDescriptionLength);
        var linkType = (PcapLinkType)U16(b[8..]);
        uint snap = U32(b[12..]);
        int exponent = CaptureInterface.DefaultResolutionExponent;
        bool binary = false;
        long offsetSeconds = 0;
        int at = 16;
        int end = length - 4;
        while (at + 4 <= end)
        {
            ushort code = U16(b[at..]);
            ushort optionLength = U16(b[(at + 2)..]);
            if (code == PcapNgFormat.OptionEnd) break;
            int padded = (optionLength + 3) & ~3;
            if (at + 4 + padded > end)
                throw Problem(offset + at + 2, $"Interface Description Block: option {code} of {optionLength} bytes runs past the block's end ({end - at - 4} bytes left)");
            var value = b.Slice(at + 4, optionLength);
            if (code == PcapNgFormat.OptionTimestampResolution && optionLength >= 1)
            {
                binary = (value[0] & 0x80) != 0;
                exponent = value[0] & 0x7F;
                if (!binary && exponent > 19)
                    throw Problem(offset + at + 4, $"Interface Description Block: expected if_tsresol 10^-0 to 10^-19 s or 2^-n s, found 10^-{exponent} s");
            }
            else if (code == PcapNgFormat.OptionTimestampOffset && optionLength >= 8)
                offsetSeconds = BigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
            at += 4 + padded;
        }
        _interfaces.Add(new CaptureInterface(linkType, snap > int.MaxValue ? int.MaxValue : (int)snap, exponent, binary, offsetSeconds));
    }

    PcapRecord ReadPacketBlock(uint type, int length, long offset)
    {
        var b = WholeBlock(type, length, offset, PcapNgFormat.MinimumEnhancedPacketLength);
        string what = PcapNgFormat.BlockName(type);
        uint id = type == PcapNgFormat.PacketBlock ? U16(b[8..]) : U32(b[8..]);
        if (id >= (uint)_interfaces.Count)
            throw Problem(offset + 8, $"{what}: expected an interface number below {_interfaces.Count} (the interfaces described so far in this section), found {id}");
        var iface = _interfaces[(int)id];
        ulong units = ((ulong)U32(b[12..]) << 32) | U32(b[16..]);
        uint captured = U32(b[20..]);
        uint original = U32(b[24..]);
        int room = length - PcapNgFormat.MinimumEnhancedPacketLength;
        if (captured > (uint)room)
            throw Problem(offset + 20, $"{what}: expected a captured length of at most {room} (what the block holds), found {captured}");
        if (!iface.TryToNanoseconds(units, out long ns))
            throw Problem(offset + 12, $"{what}: expected a timestamp before the year 2262, found {units} units of {iface.ResolutionText}");
        return Packet(offset + 28, (int)captured, original, offset, ns, iface, (int)id);
    }

    PcapRecord ReadSimplePacket(int length, long offset)
    {
        var b = WholeBlock(PcapNgFormat.SimplePacketBlock, length, offset, PcapNgFormat.MinimumSimplePacketLength);
        if (_interfaces.Count == 0)
            throw Problem(offset, "Simple Packet Block: expected an Interface Description Block before it in this section, found none");
        var iface = _interfaces[0];
        uint original = U32(b[8..]);
        // The captured length is implied: the original length cut at the snapshot length and the block.
        long captured = Math.Min(original, length - PcapNgFormat.MinimumSimplePacketLength);
        if (iface.SnapLength > 0) captured = Math.Min(captured, iface.SnapLength);
        // An SPB has no timestamp: it keeps the previous packet's time.
        return Packet(offset + 12, (int)captured, original, offset, _lastTimestamp, iface, 0);
    }

    PcapRecord Packet(long dataOffset, int captured, uint original, long blockOffset, long ns, CaptureInterface iface, int id)
    {
        _dataStart = (int)(dataOffset - _bufferOffset);
        _dataLength = captured;
        _lastTimestamp = ns;
        RecordCount++;
        return new PcapRecord(ns, captured, original > int.MaxValue ? int.MaxValue : (int)original, blockOffset, iface.LinkType, id);
    }
}
