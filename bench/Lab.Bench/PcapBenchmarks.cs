using BenchmarkDotNet.Attributes;
using Lab.Captures.Pcap;

namespace Lab.Bench;

/// <summary>
/// Pcap writing and reading per record (captures/Lab.Captures/Pcap) for frames of
/// <see cref="FrameSize"/> bytes: the formatting and copying the lab does, not the disk (the
/// writer writes to Stream.Null, the reader reads a file image held in memory).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Io)]
[OperationUnit("packet")]
public class PcapBenchmarks : IDisposable
{
    const int Records = 1024;

    [Params(64, 1518)]
    public int FrameSize { get; set; }

    PcapWriter _writer = null!;
    PcapReader _reader = null!;
    MemoryStream _image = null!;
    byte[] _frame = null!;
    long _time = 1_700_000_000_000_000_000;

    [GlobalSetup]
    public void Setup()
    {
        _frame = new byte[FrameSize];
        for (int i = 0; i < _frame.Length; i++) _frame[i] = (byte)(i * 31);
        _writer = new PcapWriter(Stream.Null);
        _image = new MemoryStream();
        using (var w = new PcapWriter(_image, leaveOpen: true))
        {
            for (int i = 0; i < Records; i++) w.Write(_time + i * 1000L, _frame);
        }
        _image.Position = 0;
        _reader = new PcapReader(_image, "bench", leaveOpen: true);
        if (ReadAll() != Records) throw new InvalidOperationException("pcap setup: record count differs");
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long Write()
    {
        for (int i = 0; i < Records; i++) _writer.Write(_time += 1000, _frame);
        return _writer.RecordCount;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long Read() => ReadAll();

    long ReadAll()
    {
        _reader.Rewind();
        long bytes = 0;
        while (_reader.TryReadNext(out var rec)) bytes += rec.OriginalLength;
        return bytes == (long)Records * FrameSize ? _reader.RecordCount : -1;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _writer?.Dispose();
        _reader?.Dispose();
        _image?.Dispose();
        GC.SuppressFinalize(this);
    }
}
