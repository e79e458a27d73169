using Lab.Captures.Pcap;
using Lab.Captures.Tests.Support;
using Lab.Core;

namespace Lab.Captures.Tests;

/// <summary>
/// The pcapng half of <see cref="PcapReader"/> on files laid out block by block. Sizes used in
/// the offsets below (draft-ietf-opsawg-pcapng-02 section 4): SHB 28 bytes; IDB 20 bytes, 32
/// with one 1-byte option (4 + 4 padded + 4 end of options); EPB 32 bytes + data padded to 4.
/// </summary>
public sealed class PcapNgReaderTests
{
    static PcapReader Reader(byte[] file, string name = "t.pcapng") => new(new MemoryStream(file), name);

    static string ErrorOf(byte[] file)
    {
        var e = Assert.Throws<LabInputException>(() =>
        {
            using var r = Reader(file, "bad.pcapng");
            while (r.TryReadNext(out _)) { }
        });
        return e.Message;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_interfaces_with_their_own_link_type_and_resolution_and_skipped_blocks(bool bigEndian)
    {
        byte[] file = new PcapNgBuilder(bigEndian)
            .Section()                                                   // 0..28
            .Interface(1, tsresol: 9)                                    // 28..60: Ethernet, ns
            .Block(4, [0, 0, 0, 0])                                      // 60..76: Name Resolution (empty), skipped
            .Interface(101)                                              // 76..96: raw IP, default us
            .Enhanced(0, 1_700_000_000_123_456_789, [1, 2, 3])           // 96..132
            .Block(0x00000BAD, new byte[40])                             // 132..184: custom block, skipped
            .Enhanced(1, 1_700_000_000_123_456, [0x45, 9, 9, 9, 9], 60)  // 184..224
            .Block(5, new byte[16])                                      // 224..252: Interface Statistics, skipped
            .ToArray();
        using var r = Reader(file);
        Assert.Equal(CaptureFileFormat.PcapNg, r.Format);
        Assert.Equal(bigEndian, r.BigEndian);
        Assert.Equal(PcapLinkType.Ethernet, r.LinkType);
        Assert.True(r.NanosecondResolution);
        Assert.True(r.TryReadNext(out var a));
        Assert.Equal(new PcapRecord(1_700_000_000_123_456_789, 3, 3, 96, PcapLinkType.Ethernet, 0), a);
        Assert.Equal(new byte[] { 1, 2, 3 }, r.Data.ToArray());
        Assert.True(r.TryReadNext(out var b));
        // 1_700_000_000_123_456 microseconds = 1_700_000_000_123_456_000 ns.
        Assert.Equal(new PcapRecord(1_700_000_000_123_456_000, 5, 60, 184, PcapLinkType.RawIp, 1), b);
        Assert.Equal(new byte[] { 0x45, 9, 9, 9, 9 }, r.Data.ToArray());
        Assert.False(r.TryReadNext(out _));
        Assert.Equal(2, r.Interfaces.Count);
        r.Rewind();
        Assert.True(r.TryReadNext(out var again));
        Assert.Equal(a, again);
        Assert.Equal(1, r.RecordCount);
    }

    [Fact]
    public void Sections_in_both_byte_orders_each_number_their_own_interfaces()
    {
        byte[] be = new PcapNgBuilder(bigEndian: true).Section().Interface(276).Enhanced(0, 5, [7]).ToArray();
        byte[] le = new PcapNgBuilder().Section().Interface(113, tsresol: 3).Enhanced(0, 5, [8]).ToArray();
        using var r = Reader([.. be, .. le]);
        Assert.True(r.TryReadNext(out var first));
        Assert.Equal((PcapLinkType.LinuxSll2, 5_000L), (first.LinkType, first.TimestampNanoseconds));
        Assert.True(r.BigEndian);
        Assert.True(r.TryReadNext(out var second));
        // Interface 0 of the second section: SLL with milliseconds, 5 ms.
        Assert.Equal((PcapLinkType.LinuxSll, 5_000_000L, 0), (second.LinkType, second.TimestampNanoseconds, second.InterfaceId));
        Assert.False(r.BigEndian);
        Assert.Equal(2, r.SectionCount);
        Assert.Equal(new byte[] { 8 }, r.Data.ToArray());
    }

    [Fact]
    public void Binary_resolution_and_timestamp_offset()
    {
        // 2^-20 s units: 3.5 s = 3.5 * 2^20 = 3_670_016 units; if_tsoffset adds 100 s.
        byte[] file = new PcapNgBuilder().Section().Interface(1, tsresol: 0x80 | 20, tsoffset: 100).Enhanced(0, 3_670_016, [1]).ToArray();
        using var r = Reader(file);
        Assert.True(r.TryReadNext(out var rec));
        Assert.Equal(103_500_000_000, rec.TimestampNanoseconds);
        Assert.Equal("2^-20 s", r.Interfaces[0].ResolutionText);
    }

    [Fact]
    public void Simple_packet_keeps_the_previous_time_and_is_cut_at_the_snapshot_length()
    {
        byte[] file = new PcapNgBuilder().Section().Interface(1, snapLength: 4, tsresol: 9)
            .Enhanced(0, 42, [1]).Simple([1, 2, 3, 4, 5, 6, 7, 8], originalLength: 100).ToArray();
        using var r = Reader(file);
        Assert.True(r.TryReadNext(out _));
        Assert.True(r.TryReadNext(out var spb));
        Assert.Equal((42L, 4, 100), (spb.TimestampNanoseconds, spb.CapturedLength, spb.OriginalLength));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, r.Data.ToArray());
    }

    [Fact]
    public void Reading_records_allocates_nothing()
    {
        var b = new PcapNgBuilder().Section().Interface(1, tsresol: 9).Block(4, new byte[8]);
        for (int i = 0; i < 2000; i++) b.Enhanced(0, (ulong)i, new byte[60 + i % 8]);
        using var r = Reader(b.ToArray());
        Assert.True(r.TryReadNext(out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        long n = 0;
        while (r.TryReadNext(out var rec)) n += rec.CapturedLength;
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(1999, r.RecordCount - 1);
    }

    static PcapNgBuilder Start() => new PcapNgBuilder().Section().Interface(1);  // 0..28, 28..48

    [Fact]
    public void Truncated_packet_block_names_its_offset_and_the_bytes_found()
    {
        byte[] whole = Start().Enhanced(0, 1, new byte[20]).ToArray();   // EPB at 48, 52 bytes
        Assert.Equal("bad.pcapng: offset 48: Enhanced Packet Block: expected 52 bytes, found 30 (file truncated)", ErrorOf(whole[..78]));
    }

    [Fact]
    public void Truncated_block_header_is_reported() =>
        Assert.Equal("bad.pcapng: offset 48: expected an 8-byte pcapng block header, found 5 bytes (file truncated)",
            ErrorOf([.. Start().ToArray(), 6, 0, 0, 0, 32]));

    [Fact]
    public void Length_not_a_multiple_of_four_is_rejected_at_the_length_field() =>
        Assert.Equal("bad.pcapng: offset 52: Enhanced Packet Block: expected a block total length that is a multiple of 4 and at least 12, found 33",
            ErrorOf(Start().Block(6, new byte[24], totalLength: 33).ToArray()));

    [Fact]
    public void Huge_lengths_are_rejected_without_reading_them()
    {
        Assert.Equal("bad.pcapng: offset 52: Enhanced Packet Block: expected a block total length below 2^31, found 4294967292",
            ErrorOf(Start().Block(6, new byte[24], totalLength: 0xFFFFFFFC).ToArray()));
        Assert.Equal("bad.pcapng: offset 52: Enhanced Packet Block: expected a block total length of at most 1048576, found 2147483644",
            ErrorOf(Start().Block(6, new byte[24], totalLength: 0x7FFFFFFC).ToArray()));
        // A block to skip may be large, but not larger than the file: 8 + 24 + 4 bytes are there.
        Assert.Equal("bad.pcapng: offset 48: Name Resolution Block: expected 2147483644 bytes, found 36 (file truncated)",
            ErrorOf(Start().Block(4, new byte[24], totalLength: 0x7FFFFFFC).ToArray()));
    }

    [Fact]
    public void Trailing_length_must_match() =>
        // EPB at 48 of 52 bytes: its trailing length at 48 + 52 - 4 = 96.
        Assert.Equal("bad.pcapng: offset 96: Enhanced Packet Block: expected the trailing block total length 52, found 56",
            ErrorOf(Start().Block(6, new byte[40], trailer: 56).ToArray()));

    [Fact]
    public void Wrong_byte_order_magic_is_reported_at_its_offset()
    {
        byte[] file = Start().ToArray();
        file[8] = 0x4D;
        file[9] = 0x3C;
        file[10] = 0x2B;
        file[11] = 0x1B;
        Assert.Equal("bad.pcapng: offset 8: Section Header Block: expected byte-order magic 1a2b3c4d in either byte order, found 4d3c2b1b", ErrorOf(file));
    }

    [Fact]
    public void Unknown_interface_and_oversized_captured_length_and_version_are_reported()
    {
        Assert.Equal("bad.pcapng: offset 56: Enhanced Packet Block: expected an interface number below 1 (the interfaces described so far in this section), found 3",
            ErrorOf(Start().Enhanced(3, 0, [1]).ToArray()));
        Assert.Equal("bad.pcapng: offset 68: Enhanced Packet Block: expected a captured length of at most 4 (what the block holds), found 5000",
            ErrorOf(Start().Enhanced(0, 0, [1, 2, 3, 4], capturedLength: 5000).ToArray()));
        Assert.Equal("bad.pcapng: offset 12: Section Header Block: expected pcapng version 1.x, found 2.0",
            ErrorOf(new PcapNgBuilder().Section(major: 2).ToArray()));
        // An EPB straight after the SHB (at 28): its interface field at 36.
        Assert.Equal("bad.pcapng: offset 36: Enhanced Packet Block: expected an interface number below 0 (the interfaces described so far in this section), found 0",
            ErrorOf(new PcapNgBuilder().Section().Enhanced(0, 0, [1]).ToArray()));
    }

    [Fact]
    public void Option_running_past_the_block_is_reported()
    {
        // IDB at 28: options start at 28 + 16 = 44; an option claiming 200 bytes, its length field at 46.
        byte[] file = new PcapNgBuilder().Section().Block(1, [1, 0, 0, 0, 0, 0, 4, 0, 9, 0, 200, 0, 6, 0, 0, 0]).ToArray();
        Assert.Equal("bad.pcapng: offset 46: Interface Description Block: option 9 of 200 bytes runs past the block's end (4 bytes left)", ErrorOf(file));
    }
}
