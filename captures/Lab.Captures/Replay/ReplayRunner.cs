using System.Globalization;
using Lab.Captures.AfPacket;
using Lab.Captures.Pcap;
using Lab.Engine;

namespace Lab.Captures.Replay;

/// <summary>The options of <c>lab replay</c>.</summary>
public sealed record ReplayOptions
{
    public required string PcapPath { get; init; }
    public required string Interface { get; init; }
    public string? Namespace { get; init; }
    public ReplayTiming Timing { get; init; } = ReplayTiming.Original;

    /// <summary>Passes over the capture; 0 = until interrupted.</summary>
    public int Loop { get; init; } = 1;

    /// <summary>Stop after this many packets in all; 0 = no limit.</summary>
    public long Count { get; init; }

    /// <summary>Frames per sendmmsg call.</summary>
    public int Batch { get; init; } = 64;

    /// <summary>Throws <see cref="LabInputException"/> with one line per bad flag.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (Loop < 0) problems.Add($"--loop: expected a whole number >= 0 (0 repeats until interrupted), found {Loop}");
        if (Count < 0) problems.Add($"--count: expected a whole number >= 1, found {Count}");
        if (Batch is < 1 or > 1024) problems.Add($"--batch: expected 1 to 1024 frames per sendmmsg call, found {Batch}");
        if (problems.Count > 0) throw new LabInputException(problems);
    }
}

/// <summary>
/// <c>lab replay PCAP --iface IF [--netns NS] [--timing ...] [--loop N] [--count N]</c>: a pcap
/// replayer in the spirit of tcpreplay over an AF_PACKET socket with PACKET_QDISC_BYPASS and
/// sendmmsg batches. Exit code 0 when every frame was sent, 1 when the kernel refused some.
/// </summary>
public static class ReplayRunner
{
    public static int Run(ReplayOptions options, TextWriter output, TextWriter? progress, CancellationToken cancellation)
    {
        options.Validate();
        using var reader = PcapReader.Open(options.PcapPath);
        if (reader.LinkType != PcapLinkType.Ethernet)
            throw new LabInputException($"{options.PcapPath}: expected link type 1 (Ethernet) for replay over AF_PACKET, found {(uint)reader.LinkType} ({reader.LinkType})");
        using var socket = AfPacketSocket.Open(options.Interface, options.Namespace, new AfPacketOptions
        {
            QdiscBypass = true,
            SendBufferBytes = 16 << 20,
        });
        using var sender = new AfPacketSender(socket, options.Batch);
        Action<ReplayProgress>? onProgress = progress is null ? null : p =>
            progress.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r{p.Packets} packets, {p.Bytes} bytes, {p.ElapsedNanoseconds / 1e9:0.0} s, pass {p.Loop + 1}    "));
        var result = PcapReplayer.Run(reader, sender, options.Timing, options.Loop, options.Count, onProgress, cancellation);
        if (progress is not null)
        {
            progress.Write("\r" + new string(' ', 60) + "\r");
            progress.Flush();
        }
        WriteReport(output, options, result, sender);
        return result.Failed == 0 ? 0 : 1;
    }

    /// <summary>The statistics block; one "key: value" per line (a stable format other tools parse).</summary>
    public static void WriteReport(TextWriter w, ReplayOptions o, ReplayResult r, AfPacketSender? sender = null)
    {
        var c = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(c, $"replay:     {o.PcapPath} -> {o.Interface}{(o.Namespace is null ? "" : $" (netns {o.Namespace})")}"));
        w.WriteLine(string.Create(c, $"timing:     {o.Timing}"));
        w.WriteLine(string.Create(c, $"passes:     {r.Loops}{(r.Cancelled ? " (interrupted)" : "")}"));
        w.WriteLine(string.Create(c, $"packets:    {r.Packets} sent, {r.Failed} failed"));
        w.WriteLine(string.Create(c, $"bytes:      {r.Bytes}"));
        w.WriteLine(string.Create(c, $"scheduled:  {r.ScheduledNanoseconds / 1e9:0.000000} s"));
        w.WriteLine(string.Create(c, $"elapsed:    {r.ElapsedNanoseconds / 1e9:0.000000} s"));
        w.WriteLine(string.Create(c, $"rate:       {r.PacketsPerSecond:0} pps ({r.PacketsPerSecond / 1e6:0.000} Mpps), {r.BitsPerSecond / 1e6:0.000} Mbit/s"));
        if (o.Timing.Kind != ReplayTimingKind.TopSpeed)
            w.WriteLine(string.Create(c, $"lateness:   mean {r.MeanLatenessNanoseconds / 1e3:0.0} us, max {r.MaxLatenessNanoseconds / 1e3:0.0} us"));
        if (sender is not null)
            w.WriteLine(string.Create(c, $"syscalls:   {sender.SendCalls} sendmmsg, {r.Batches} batches, {sender.Retries} retried{(sender.LastErrno != 0 ? $", last error {Libc.ErrorText(sender.LastErrno)}" : "")}"));
    }
}
