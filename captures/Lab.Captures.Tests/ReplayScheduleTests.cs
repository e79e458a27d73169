using Lab.Captures.Pcap;
using Lab.Captures.Replay;
using Lab.Captures.Tests.Support;
using Lab.Core;

namespace Lab.Captures.Tests;

public sealed class ReplayScheduleTests
{
    [Fact]
    public void Original_timing_follows_timestamps_and_loops_back_to_back()
    {
        var s = new ReplaySchedule(ReplayTiming.Original);
        Assert.Equal(0, s.Next(5_000, 60));
        Assert.Equal(1_000, s.Next(6_000, 60));
        Assert.Equal(1_000, s.Next(5_500, 60)); // backwards timestamp: sent at once, never earlier
        Assert.Equal(4_000, s.Next(9_000, 60));
        s.StartNextLoop();
        Assert.Equal(4_000, s.Next(5_000, 60)); // pass 2 starts where pass 1 ended
        Assert.Equal(5_000, s.Next(6_000, 60));
    }

    [Fact]
    public void Packet_rate_spaces_packets_evenly()
    {
        var s = new ReplaySchedule(ReplayTiming.Parse("pps:1000"));
        Assert.Equal(0, s.Next(0, 60));
        Assert.Equal(1_000_000, s.Next(0, 60));
        Assert.Equal(2_000_000, s.Next(0, 1500));
    }

    [Fact]
    public void Bit_rate_waits_for_the_bits_before_each_packet()
    {
        // 1000-byte frames at 8 Mbit/s: 8000 bits take 1 ms; a 500-byte frame 0.5 ms.
        var s = new ReplaySchedule(ReplayTiming.Parse("mbps:8"));
        Assert.Equal(0, s.Next(0, 1000));
        Assert.Equal(1_000_000, s.Next(0, 500));
        Assert.Equal(1_500_000, s.Next(0, 1000));
    }

    [Fact]
    public void Topspeed_is_always_due()
    {
        var s = new ReplaySchedule(ReplayTiming.TopSpeed);
        Assert.Equal(0, s.Next(1, 60));
        Assert.Equal(0, s.Next(1_000_000_000, 60));
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("pps:0")]
    [InlineData("pps:-3")]
    [InlineData("mbps:")]
    [InlineData("mbps:abc")]
    [InlineData("pps:NaN")]
    public void Bad_timing_names_the_flag_and_the_forms(string text)
    {
        var e = Assert.Throws<ParameterException>(() => ReplayTiming.Parse(text));
        Assert.Equal("timing", e.Problems[0].Parameter);
        Assert.Equal($"--timing: expected original, topspeed, pps:N or mbps:N with N a number above 0, found '{text}'", e.Render(n => "--" + n)[0]);
    }

    internal sealed class RecordingSink : IFrameSink
    {
        readonly int _batch;
        readonly List<byte[]> _queued = [];
        public List<byte[]> Sent_ { get; } = [];
        public List<int> BatchSizes { get; } = [];

        public RecordingSink(int batch) => _batch = batch;

        public int Count => _queued.Count;
        public long Sent => Sent_.Count;
        public long SentBytes { get; private set; }
        public long Failed => 0;

        public bool TryAdd(ReadOnlySpan<byte> frame)
        {
            if (_queued.Count == _batch) return false;
            _queued.Add(frame.ToArray());
            return true;
        }

        public void Flush()
        {
            BatchSizes.Add(_queued.Count);
            foreach (var f in _queued) { Sent_.Add(f); SentBytes += f.Length; }
            _queued.Clear();
        }
    }

    [Fact]
    public void Loops_and_count_send_the_right_frames_in_order_in_full_batches()
    {
        using var dir = new TempDirectory();
        string path = dir.File("p.pcap");
        TestFrames.WritePcap(path, 10, 1000);
        using var reader = PcapReader.Open(path);
        var sink = new RecordingSink(4);
        var r = PcapReplayer.Run(reader, sink, ReplayTiming.TopSpeed, loops: 3, count: 25, progress: null, CancellationToken.None);
        Assert.Equal(25, r.Packets);
        Assert.Equal(3, r.Loops);
        for (int i = 0; i < 25; i++) Assert.Equal(TestFrames.Indexed((ulong)(i % 10)), sink.Sent_[i]);
        // Topspeed never waits, so every batch but the last is full: 6 x 4 + 1.
        Assert.Equal([4, 4, 4, 4, 4, 4, 1], sink.BatchSizes);
        Assert.Equal(25L * TestFrames.Indexed(0).Length, r.Bytes);
    }

    [Fact]
    public void Cancellation_stops_and_reports_it()
    {
        using var dir = new TempDirectory();
        string path = dir.File("p.pcap");
        TestFrames.WritePcap(path, 10, 1000);
        using var reader = PcapReader.Open(path);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = PcapReplayer.Run(reader, new RecordingSink(8), ReplayTiming.TopSpeed, loops: 0, count: 0, null, cts.Token);
        Assert.True(r.Cancelled);
        Assert.Equal(0, r.Packets);
    }

    [Fact]
    public void Options_reject_negative_loops_and_counts_with_one_line_each()
    {
        var o = new ReplayOptions { PcapPath = "x", Interface = "veth0", Loop = -1, Count = -5, Batch = 2000 };
        var e = Assert.Throws<ParameterException>(o.Validate);
        Assert.Equal(["loop", "count", "batch"], e.Problems.Select(p => p.Parameter));
        Assert.Equal("--loop: expected a whole number >= 0 (0 repeats until interrupted), found -1", e.Render(n => "--" + n)[0]);
        Assert.Equal("--batch: expected 1 to 1024 frames per sendmmsg call, found 2000", e.Render(n => "--" + n)[2]);
    }
}
