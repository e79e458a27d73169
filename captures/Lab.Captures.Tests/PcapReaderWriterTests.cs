using Lab.Captures.Pcap;
using Lab.Captures.Tests.Support;
using Lab.Core;
using CsCheck;

namespace Lab.Captures.Tests;

public sealed class PcapReaderWriterTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // 1_700_000_000 s = 0x6553F100; 123456789 ns = 0x075BCD15; 123456 us = 0x0001E240.
    const long Timestamp = 1_700_000_000_123_456_789;

    [Fact]
    public void Nanosecond_file_has_the_exact_little_endian_layout()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, leaveOpen: true)) w.Write(Timestamp, [1, 2, 3]);
        Assert.Equal(Convert.FromHexString(
            "4d3cb2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000" +
            "00f15365" + "15cd5b07" + "03000000" + "03000000" + "010203"), ms.ToArray());
    }

    [Fact]
    public void Microsecond_file_truncates_to_microseconds()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, nanosecondResolution: false, leaveOpen: true)) w.Write(Timestamp, [9]);
        byte[] b = ms.ToArray();
        Assert.Equal(Convert.FromHexString("d4c3b2a1"), b[..4]);
        Assert.Equal(Convert.FromHexString("00f15365" + "40e20100"), b[24..32]);
        ms.Position = 0;
        using var r = new PcapReader(ms, "mem");
        Assert.True(r.TryReadNext(out var rec));
        Assert.Equal(1_700_000_000_123_456_000, rec.TimestampNanoseconds);
        Assert.False(r.NanosecondResolution);
    }

    [Fact]
    public void Reads_big_endian_microsecond_files()
    {
        byte[] file = Convert.FromHexString(
            "a1b2c3d4" + "0002" + "0004" + "00000000" + "00000000" + "0000ffff" + "00000001" +
            "6553f100" + "0001e240" + "00000002" + "0000003c" + "abcd");
        using var r = new PcapReader(new MemoryStream(file), "be.pcap");
        Assert.True(r.BigEndian);
        Assert.Equal(PcapLinkType.Ethernet, r.LinkType);
        Assert.Equal(65535, r.SnapLength);
        Assert.True(r.TryReadNext(out var rec));
        Assert.Equal(1_700_000_000_123_456_000, rec.TimestampNanoseconds);
        Assert.Equal(2, rec.CapturedLength);
        Assert.Equal(60, rec.OriginalLength);
        Assert.Equal(new byte[] { 0xab, 0xcd }, r.Data.ToArray());
        Assert.False(r.TryReadNext(out _));
    }

    [Fact]
    public void Reads_big_endian_nanosecond_raw_ip_files()
    {
        byte[] file = Convert.FromHexString(
            "a1b23c4d" + "0002" + "0004" + "00000000" + "00000000" + "00040000" + "00000065" +
            "00000001" + "00000007" + "00000001" + "00000001" + "45");
        using var r = new PcapReader(new MemoryStream(file), "raw.pcap");
        Assert.Equal(PcapLinkType.RawIp, r.LinkType);
        Assert.True(r.NanosecondResolution);
        Assert.True(r.TryReadNext(out var rec));
        Assert.Equal(1_000_000_007, rec.TimestampNanoseconds);
    }

    [Fact]
    public void Round_trip_through_a_committed_file()
    {
        string path = _dir.File("rt.pcap");
        TestFrames.WritePcap(path, 1000, 1_000_000);
        Assert.Single(Directory.GetFiles(_dir.Path)); // no temporary left behind
        using var r = PcapReader.Open(path);
        int n = 0;
        while (r.TryReadNext(out var rec))
        {
            Assert.Equal(1_700_000_000_000_000_000 + n * 1_000_000L, rec.TimestampNanoseconds);
            Assert.Equal(TestFrames.Indexed((ulong)n), r.Data.ToArray());
            n++;
        }
        Assert.Equal(1000, n);
        r.Rewind();
        Assert.True(r.TryReadNext(out var first));
        Assert.Equal(24, first.FileOffset);
        Assert.Equal(TestFrames.Indexed(0), r.Data.ToArray());
    }

    [Fact]
    public void Uncommitted_file_is_not_left_behind()
    {
        string path = _dir.File("x.pcap");
        using (var w = PcapWriter.Create(path)) w.Write(0, [1]);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Random_records_round_trip_with_nanosecond_timestamps()
    {
        Gen.Select(Gen.Long[0, 4_000_000_000_000_000_000], Gen.Byte.Array[0, 3000]).List[0, 60]
            .Sample(records =>
            {
                var ms = new MemoryStream();
                using (var w = new PcapWriter(ms, leaveOpen: true))
                    foreach (var (ts, data) in records) w.Write(ts, data);
                ms.Position = 0;
                using var r = new PcapReader(ms, "mem");
                foreach (var (ts, data) in records)
                {
                    if (!r.TryReadNext(out var rec) || rec.TimestampNanoseconds != ts || !r.Data.SequenceEqual(data)) return false;
                }
                return !r.TryReadNext(out _);
            }, iter: 200);
    }

    static string ErrorOf(byte[] file)
    {
        var e = Assert.Throws<LabInputException>(() =>
        {
            using var r = new PcapReader(new MemoryStream(file), "bad.pcap");
            while (r.TryReadNext(out _)) { }
        });
        return e.Message;
    }

    static byte[] Header(uint snap = 262144) => Convert.FromHexString(
        "4d3cb2a1" + "0200" + "0400" + "00000000" + "00000000" + Convert.ToHexString(BitConverter.GetBytes(snap)) + "01000000");

    static byte[] RecordHeader(uint incl) => Convert.FromHexString(
        "00000000" + "00000000" + Convert.ToHexString(BitConverter.GetBytes(incl)) + Convert.ToHexString(BitConverter.GetBytes(incl)));

    [Fact]
    public void Truncated_file_header_names_file_offset_and_sizes() =>
        Assert.Equal("bad.pcap: offset 0: expected a 24-byte pcap file header, found 10 bytes", ErrorOf(new byte[10]));

    [Fact]
    public void Bad_magic_names_what_was_found() =>
        Assert.Equal("bad.pcap: offset 0: expected pcap magic a1b2c3d4 or a1b23c4d in either byte order, or a pcapng Section Header Block 0a0d0d0a, found deadbeef",
            ErrorOf([.. Convert.FromHexString("deadbeef"), .. new byte[20]]));

    [Fact]
    public void Pcapng_is_read_as_pcapng_and_a_short_header_is_reported() =>
        // A Section Header Block whose total length (bytes 4-7) is 0 and byte-order magic (8-11) is zero.
        Assert.Equal("bad.pcap: offset 8: Section Header Block: expected byte-order magic 1a2b3c4d in either byte order, found 00000000",
            ErrorOf([.. Convert.FromHexString("0a0d0d0a"), .. new byte[20]]));

    [Fact]
    public void Record_longer_than_snaplen_is_rejected_at_its_length_field() =>
        // record header at 24, its incl_len field at 24 + 8 = 32.
        Assert.Equal("bad.pcap: offset 32: record 1: expected a captured length of at most 100 (the snapshot length), found 200",
            ErrorOf([.. Header(100), .. RecordHeader(200), .. new byte[200]]));

    [Fact]
    public void Truncated_record_data_names_the_missing_bytes() =>
        // second record: first one is 16 + 3 bytes at 24, so the second header is at 43, its data at 59.
        Assert.Equal("bad.pcap: offset 59: record 2: expected 50 bytes of packet data, found 20 (file truncated)",
            ErrorOf([.. Header(), .. RecordHeader(3), 1, 2, 3, .. RecordHeader(50), .. new byte[20]]));

    [Fact]
    public void Truncated_record_header_is_reported() =>
        Assert.Equal("bad.pcap: offset 24: record 1: expected a 16-byte record header, found 10 bytes (file truncated)",
            ErrorOf([.. Header(), .. new byte[10]]));

    [Fact]
    public void Any_link_type_is_read_and_carried_by_each_record()
    {
        // Link type 113 (Linux cooked SLL) in the header at offset 20; one empty record.
        using var r = new PcapReader(new MemoryStream([.. Header()[..20], 113, 0, 0, 0, .. RecordHeader(0)]), "sll.pcap");
        Assert.Equal(PcapLinkType.LinuxSll, r.LinkType);
        Assert.True(r.TryReadNext(out var rec));
        Assert.Equal(PcapLinkType.LinuxSll, rec.LinkType);
    }

    [Fact]
    public void Missing_file_is_an_input_error()
    {
        var e = Assert.Throws<LabInputException>(() => PcapReader.Open(_dir.File("none.pcap")));
        Assert.EndsWith("none.pcap: no such pcap file", e.Message);
    }
}
