using System.Globalization;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.Captures.Native;
using Lab.Captures.Pcap;
using Lab.Core;

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

    /// <summary>How the front end names the options the report mentions (dst-mac, src-mac); default the library's names.</summary>
    public Wording? Words { get; init; }

    /// <summary>dst-mac: the destination of synthesised Ethernet headers, and of Ethernet frames (rewritten); default broadcast for synthesised ones.</summary>
    public MacAddress? DestinationMac { get; init; }

    /// <summary>src-mac: the source of synthesised Ethernet headers, and of Ethernet frames (rewritten).</summary>
    public MacAddress? SourceMac { get; init; }

    /// <summary>Throws <see cref="ParameterException"/> with one problem per bad option.</summary>
    public void Validate()
    {
        var problems = new List<ParameterProblem>();
        if (Loop < 0) problems.Add(new("loop", [$"expected a whole number >= 0 (0 repeats until interrupted), found {Loop}"]));
        if (Count < 0) problems.Add(new("count", [$"expected a whole number >= 1, found {Count}"]));
        if (Batch is < 1 or > 1024) problems.Add(new("batch", [$"expected 1 to 1024 frames per sendmmsg call, found {Batch}"]));
        if (problems.Count > 0) throw new ParameterException(problems);
    }
}

/// <summary>
/// <c>lab replay PCAP --iface IF [--netns NS] [--timing ...] [--loop N] [--count N] [--dst-mac M] [--src-mac M]</c>:
/// a capture replayer (pcap or pcapng) in the spirit of tcpreplay over an AF_PACKET socket with
/// PACKET_QDISC_BYPASS and sendmmsg batches; captures without Ethernet headers get one
/// (<see cref="EthernetFramer"/>). Exit code 0 when every frame was sent, 1 when the kernel refused some.
/// </summary>
public static class ReplayRunner
{
    public static int Run(ReplayOptions options, TextWriter output, TextWriter? progress, CancellationToken cancellation)
    {
        options.Validate();
        using var reader = PcapReader.Open(options.PcapPath);
        EthernetFramer.CheckInterfaces(options.PcapPath, reader.Interfaces);
        using var socket = AfPacketSocket.Open(options.Interface, options.Namespace, new AfPacketOptions
        {
            QdiscBypass = true,
            SendBufferBytes = 16 << 20,
        });
        using var sender = new AfPacketSender(socket, options.Batch);
        Action<ReplayProgress>? onProgress = progress is null ? null : p =>
            progress.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r{p.Packets} packets, {p.Bytes} bytes, {p.ElapsedNanoseconds / 1e9:0.0} s, pass {p.Loop + 1}    "));
        var framer = new EthernetFramer(options.PcapPath, socket.HardwareAddress, options.DestinationMac, options.SourceMac);
        var result = PcapReplayer.Run(reader, sender, options.Timing, options.Loop, options.Count, onProgress, cancellation, framer);
        if (progress is not null)
        {
            progress.Write("\r" + new string(' ', 60) + "\r");
            progress.Flush();
        }
        WriteReport(output, options, result, sender, framer);
        return result.Failed == 0 ? 0 : 1;
    }

    /// <summary>The statistics block; one "key: value" per line (a stable format other tools parse).</summary>
    public static void WriteReport(TextWriter w, ReplayOptions o, ReplayResult r, AfPacketSender? sender = null, EthernetFramer? framer = null)
    {
        var c = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(c, $"replay:     {o.PcapPath} -> {o.Interface}{(o.Namespace is null ? "" : $" (netns {o.Namespace})")}"));
        if (framer is { Synthesised: > 0 })
        {
            // Say what was made up: the capture had no Ethernet header for these frames.
            string types = string.Join(", ", framer.SynthesisedLinkTypes.Order().Select(LinkLayer.Describe));
            var words = o.Words ?? Wording.Library;
            var dstMac = new ParameterName("dst-mac");
            string dst = framer.Destination is { } d ? words.Render($"{d} (", dstMac, ")") : words.Render($"{MacAddress.Broadcast} (broadcast; ", dstMac, " to change)");
            string src = framer.Source is { } s ? words.Render($"{s} (", new ParameterName("src-mac"), ")") : $"the cooked header's sender, else {framer.InterfaceAddress} ({o.Interface}'s own)";
            w.WriteLine(string.Create(c, $"link:       {types}: Ethernet header synthesised for {framer.Synthesised} frames, destination {dst}, source {src}"));
        }
        if (framer is { Rewritten: > 0 })
            w.WriteLine(string.Create(c, $"link:       Ethernet: addresses of {framer.Rewritten} frames rewritten ({(framer.Destination is { } dd ? $"destination {dd}" : "")}{(framer.Destination is not null && framer.Source is not null ? ", " : "")}{(framer.Source is { } ss ? $"source {ss}" : "")})"));
        if (r.Skipped > 0)
            w.WriteLine(string.Create(c, $"skipped:    {r.Skipped} records not sendable over Ethernet (a cooked protocol that is not an EtherType, or no IP packet in a raw record)"));
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
