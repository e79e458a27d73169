using System.Buffers.Binary;
using System.Globalization;
using Lab.Engine;

namespace Lab.Captures.Pcap;

/// <summary>
/// Reads a classic pcap file record by record into one reusable buffer: no allocation per
/// record. Accepts both magic numbers (microsecond and nanosecond timestamps) in either byte
/// order, link types Ethernet and raw IP. A malformed file raises <see cref="LabInputException"/>
/// naming the file, the byte offset, and what was expected against what was found.
/// </summary>
public sealed class PcapReader : IDisposable
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
    public PcapLinkType LinkType { get; }
    public bool NanosecondResolution { get; }

    /// <summary>True when the writer's byte order differs from little endian.</summary>
    public bool BigEndian { get; }

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
        {
            string hint = magicBe == PcapFormat.PcapNgBlockType
                ? " (this is a pcapng file; convert it with 'editcap -F pcap IN OUT')" : "";
            throw Problem(0, $"expected pcap magic a1b2c3d4 or a1b23c4d in either byte order, found {Convert.ToHexStringLower(h[..4])}{hint}");
        }
        VersionMajor = U16(h[4..]);
        VersionMinor = U16(h[6..]);
        if (VersionMajor != 2)
            throw Problem(4, $"expected pcap format version 2.x, found {VersionMajor}.{VersionMinor}");
        uint snap = U32(h[16..]);
        // The link type's low 16 bits are the LINKTYPE_ value; the upper bits carry FCS info.
        uint linkType = U32(h[20..]) & 0xFFFF;
        if (linkType is not ((uint)PcapLinkType.Ethernet or (uint)PcapLinkType.RawIp or (uint)PcapLinkType.RawIpv4 or (uint)PcapLinkType.RawIpv6))
            throw Problem(20, $"expected link type 1 (Ethernet), 101 (raw IP), 228 (IPv4) or 229 (IPv6), found {linkType}");
        LinkType = (PcapLinkType)linkType;
        SnapLength = snap > int.MaxValue ? int.MaxValue : (int)snap;
        // Some writers put 0 (or nonsense) in snaplen: then only libpcap's own maximum applies.
        _recordLimit = snap == 0 || snap > PcapFormat.MaximumSnapLength ? PcapFormat.MaximumSnapLength : (int)snap;
        _start = PcapFormat.FileHeaderLength;
    }

    /// <summary>Reads the next record; false at a clean end of file.</summary>
    public bool TryReadNext(out PcapRecord record)
    {
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
        record = new PcapRecord(ns, len, orig > int.MaxValue ? int.MaxValue : (int)orig, offset);
        return true;
    }

    /// <summary>Goes back to the first record (for replay loops); the stream must be seekable.</summary>
    public void Rewind()
    {
        _stream.Seek(PcapFormat.FileHeaderLength, SeekOrigin.Begin);
        _bufferOffset = PcapFormat.FileHeaderLength;
        _start = 0;
        _end = 0;
        _dataLength = 0;
        RecordCount = 0;
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
