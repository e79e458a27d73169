using System.Buffers.Binary;
using System.Globalization;
using Lab.Core;

namespace Lab.Captures.Pcap;

/// <summary>
/// Reads a capture record by record into one reusable buffer: no allocation per record. Reads
/// classic pcap (both magic numbers, microsecond and nanosecond timestamps, either byte order)
/// and pcapng (several sections in either byte order, several interfaces each with its own
/// link type, snapshot length and timestamp resolution; Enhanced, Simple and obsolete Packet
/// Blocks; Name Resolution, Interface Statistics, custom and unknown blocks skipped). A
/// malformed file raises <see cref="LabInputException"/> naming the file, the byte offset,
/// and what was expected against what was found.
/// </summary>
public sealed partial class PcapReader : IDisposable
{
    const int DefaultBufferSize = 1 << 20;

    readonly Stream _stream;
    readonly bool _leaveOpen;
    readonly byte[] _buffer;
    int _start;          // first unread byte in _buffer
    int _end;            // one past the last valid byte in _buffer
    long _bufferOffset;  // file offset of _buffer[0]
    int _dataStart;
    int _dataLength;
    readonly int _recordLimit;

    public string Name { get; }
    public CaptureFileFormat Format { get; }

    /// <summary>Classic pcap: the file's link type. pcapng: the first interface's (each record carries its own).</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>Classic pcap: nanosecond magic. pcapng: the first interface's unit is 10^-9 s.</summary>
    public bool NanosecondResolution { get; }

    /// <summary>True when the writer's byte order (pcapng: the current section's) is big endian.</summary>
    public bool BigEndian { get; private set; }

    public ushort VersionMajor { get; }
    public ushort VersionMinor { get; }
    public int SnapLength { get; }

    /// <summary>Number of records read so far.</summary>
    public long RecordCount { get; private set; }

    /// <summary>The bytes of the record last returned by <see cref="TryReadNext"/>; valid until the next call.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(_dataStart, _dataLength);

    public static PcapReader Open(string path)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LabInputException($"{path}: no such pcap file");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new LabInputException($"{path}: cannot open the pcap file: {e.Message}");
        }
        try
        {
            return new PcapReader(fs, path, leaveOpen: false);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    public PcapReader(Stream stream, string name, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Name = name;
        _buffer = new byte[DefaultBufferSize];
        Fill(4);
        if (_end - _start >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(_buffer) == PcapFormat.PcapNgBlockType)
        {
            Format = CaptureFileFormat.PcapNg;
            ReadFirstSection();
            var first = _interfaces.Count > 0 ? _interfaces[0] : new CaptureInterface(PcapLinkType.Ethernet, 0, CaptureInterface.DefaultResolutionExponent, false, 0);
            LinkType = first.LinkType;
            SnapLength = first.SnapLength;
            NanosecondResolution = first is { BinaryResolution: false, ResolutionExponent: 9 };
            VersionMajor = _sectionVersionMajor;
            VersionMinor = _sectionVersionMinor;
            return;
        }
        Format = CaptureFileFormat.Pcap;
        Fill(PcapFormat.FileHeaderLength);
        int have = _end - _start;
        if (have < PcapFormat.FileHeaderLength)
            throw Problem(0, $"expected a {PcapFormat.FileHeaderLength}-byte pcap file header, found {have} bytes");
        var h = _buffer.AsSpan(0, PcapFormat.FileHeaderLength);
        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(h);
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(h);
        if (magicLe == PcapFormat.MagicMicroseconds || magicLe == PcapFormat.MagicNanoseconds)
        {
            BigEndian = false;
            NanosecondResolution = magicLe == PcapFormat.MagicNanoseconds;
        }
        else if (magicBe == PcapFormat.MagicMicroseconds || magicBe == PcapFormat.MagicNanoseconds)
        {
            BigEndian = true;
            NanosecondResolution = magicBe == PcapFormat.MagicNanoseconds;
        }
        else
            throw Problem(0, $"expected pcap magic a1b2c3d4 or a1b23c4d in either byte order, or a pcapng Section Header Block 0a0d0d0a, found {Convert.ToHexStringLower(h[..4])}");
        VersionMajor = U16(h[4..]);
        VersionMinor = U16(h[6..]);
        if (VersionMajor != 2)
            throw Problem(4, $"expected pcap format version 2.x, found {VersionMajor}.{VersionMinor}");
        uint snap = U32(h[16..]);
        // The link type's low 16 bits are the LINKTYPE_ value; the upper bits carry FCS info.
        LinkType = (PcapLinkType)(U32(h[20..]) & 0xFFFF);
        SnapLength = snap > int.MaxValue ? int.MaxValue : (int)snap;
        // Some writers put 0 (or nonsense) in snaplen: then only libpcap's own maximum applies.
        _recordLimit = snap == 0 || snap > PcapFormat.MaximumSnapLength ? PcapFormat.MaximumSnapLength : (int)snap;
        _interfaces.Add(new CaptureInterface(LinkType, SnapLength, NanosecondResolution ? 9 : 6, false, 0));
        _start = PcapFormat.FileHeaderLength;
    }

    /// <summary>The interfaces of the current section (classic pcap: the one of the file header).</summary>
    public IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    /// <summary>Reads the next record; false at a clean end of file.</summary>
    public bool TryReadNext(out PcapRecord record)
    {
        if (Format == CaptureFileFormat.PcapNg) return TryReadNextBlock(out record);
        record = default;
        long offset = _bufferOffset + _start;
        if (_end - _start < PcapFormat.RecordHeaderLength)
        {
            Fill(PcapFormat.RecordHeaderLength);
            offset = _bufferOffset + _start;
            int have = _end - _start;
            if (have == 0) return false;
            if (have < PcapFormat.RecordHeaderLength)
                throw Problem(offset, $"record {RecordCount + 1}: expected a {PcapFormat.RecordHeaderLength}-byte record header, found {have} bytes (file truncated)");
        }
        var h = _buffer.AsSpan(_start, PcapFormat.RecordHeaderLength);
        uint sec = U32(h);
        uint frac = U32(h[4..]);
        uint incl = U32(h[8..]);
        uint orig = U32(h[12..]);
        if (incl > (uint)_recordLimit)
            throw Problem(offset + 8, $"record {RecordCount + 1}: expected a captured length of at most {_recordLimit} (the snapshot length), found {incl}");
        int len = (int)incl;
        int need = PcapFormat.RecordHeaderLength + len;
        if (_end - _start < need)
        {
            Fill(need);
            offset = _bufferOffset + _start;
            int have = _end - _start - PcapFormat.RecordHeaderLength;
            if (have < len)
                throw Problem(offset + PcapFormat.RecordHeaderLength, $"record {RecordCount + 1}: expected {len} bytes of packet data, found {have} (file truncated)");
        }
        long ns = sec * 1_000_000_000L + (NanosecondResolution ? frac : frac * 1000L);
        _dataStart = _start + PcapFormat.RecordHeaderLength;
        _dataLength = len;
        _start += need;
        RecordCount++;
        record = new PcapRecord(ns, len, orig > int.MaxValue ? int.MaxValue : (int)orig, offset, LinkType);
        return true;
    }

    /// <summary>Goes back to the first record (for replay loops); the stream must be seekable.</summary>
    public void Rewind()
    {
        long first = Format == CaptureFileFormat.PcapNg ? 0 : PcapFormat.FileHeaderLength;
        _stream.Seek(first, SeekOrigin.Begin);
        _bufferOffset = first;
        _start = 0;
        _end = 0;
        _dataLength = 0;
        RecordCount = 0;
        if (Format == CaptureFileFormat.PcapNg) ReadFirstSection();
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available unless the file ends first.</summary>
    void Fill(int count)
    {
        if (_end - _start >= count) return;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }
        while (_end < count)
        {
            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n <= 0) break;
            _end += n;
        }
    }

    ushort U16(ReadOnlySpan<byte> s) => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    uint U32(ReadOnlySpan<byte> s) => BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    LabInputException Problem(long offset, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{Name}: offset {offset}: {what}"));

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
