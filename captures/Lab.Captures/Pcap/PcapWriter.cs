using System.Buffers.Binary;

namespace Lab.Captures.Pcap;

/// <summary>
/// Writes a classic pcap file in little-endian byte order, with nanosecond timestamps by
/// default (magic a1b23c4d; SharpPcap's writer truncates to microseconds). Records go through
/// one reusable buffer: no allocation per record. <see cref="Create"/> writes to a temporary
/// name and <see cref="Commit"/> renames it, so a crash never leaves a half-written pcap
/// under the final name.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    readonly Stream _stream;
    readonly bool _leaveOpen;
    readonly byte[] _buffer = new byte[1 << 18];
    int _used;
    readonly string? _tempPath;
    readonly string? _finalPath;
    bool _committed;
    bool _disposed;

    public PcapLinkType LinkType { get; }
    public int SnapLength { get; }
    public bool NanosecondResolution { get; }
    public long RecordCount { get; private set; }

    public PcapWriter(Stream stream, PcapLinkType linkType = PcapLinkType.Ethernet, int snapLength = PcapFormat.MaximumSnapLength,
        bool nanosecondResolution = true, bool leaveOpen = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        LinkType = linkType;
        SnapLength = snapLength;
        NanosecondResolution = nanosecondResolution;
        var h = _buffer.AsSpan(0, PcapFormat.FileHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h, nanosecondResolution ? PcapFormat.MagicNanoseconds : PcapFormat.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], 0);   // thiszone: always 0
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);  // sigfigs: always 0
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)linkType);
        _used = PcapFormat.FileHeaderLength;
    }

    PcapWriter(string finalPath, string tempPath, PcapLinkType linkType, int snapLength, bool ns)
        : this(new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1), linkType, snapLength, ns)
    {
        _finalPath = finalPath;
        _tempPath = tempPath;
    }

    /// <summary>A pcap file that appears under <paramref name="path"/> only on <see cref="Commit"/>.</summary>
    public static PcapWriter Create(string path, PcapLinkType linkType = PcapLinkType.Ethernet,
        int snapLength = PcapFormat.MaximumSnapLength, bool nanosecondResolution = true)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        return new PcapWriter(full, temp, linkType, snapLength, nanosecondResolution);
    }

    /// <summary>Appends one record; bytes beyond the snapshot length are cut, as a capture would.</summary>
    /// <param name="timestampNanoseconds">Nanoseconds since the Unix epoch, not negative.</param>
    /// <param name="data">The frame (or IP packet for raw-IP files).</param>
    /// <param name="originalLength">Length on the wire; default the length of <paramref name="data"/>.</param>
    public void Write(long timestampNanoseconds, ReadOnlySpan<byte> data, int originalLength = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        int orig = originalLength < 0 ? data.Length : originalLength;
        if (orig < data.Length) throw new ArgumentOutOfRangeException(nameof(originalLength), "original length below the captured length");
        int incl = Math.Min(data.Length, SnapLength);
        long sec = timestampNanoseconds / 1_000_000_000L;
        long nsPart = timestampNanoseconds % 1_000_000_000L;
        if (sec > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(timestampNanoseconds), "beyond the 32-bit seconds of classic pcap (year 2106)");
        if (_buffer.Length - _used < PcapFormat.RecordHeaderLength + incl) FlushBuffer();
        var h = _buffer.AsSpan(_used, PcapFormat.RecordHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)sec);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(NanosecondResolution ? nsPart : nsPart / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)incl);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)orig);
        _used += PcapFormat.RecordHeaderLength;
        if (incl > _buffer.Length - _used)
        {
            FlushBuffer();
            _stream.Write(data[..incl]);
        }
        else
        {
            data[..incl].CopyTo(_buffer.AsSpan(_used));
            _used += incl;
        }
        RecordCount++;
    }

    public void Flush()
    {
        FlushBuffer();
        _stream.Flush();
    }

    /// <summary>Flushes, closes and renames the temporary file to its final name (files from <see cref="Create"/>).</summary>
    public void Commit()
    {
        Flush();
        if (_finalPath is null || _tempPath is null) return;
        _stream.Dispose();
        File.Move(_tempPath, _finalPath, overwrite: true);
        _committed = true;
    }

    void FlushBuffer()
    {
        if (_used == 0) return;
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    /// <summary>Streams the caller owns are flushed; a file from <see cref="Create"/> that was not committed is deleted.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_tempPath is not null)
        {
            if (!_committed)
            {
                _stream.Dispose();
                File.Delete(_tempPath);
            }
            return;
        }
        FlushBuffer();
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }
}
