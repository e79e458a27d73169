using System.CommandLine;
using Lab.Captures.Frames;
using Lab.Captures.Replay;
using Lab.Core;

namespace Lab.Cli.Commands;

/// <summary><c>lab replay</c>: send a pcap's frames out of an interface over AF_PACKET (tcpreplay-like).</summary>
public static class ReplayCommands
{
    public static Command Create()
    {
        var pcap = new Argument<string>("pcap")
        {
            Description = "Capture file: pcap (microsecond or nanosecond) or pcapng; Ethernet, or Linux cooked SLL/SLL2 (tcpdump -i any) and raw IP, which get a synthesised Ethernet header",
        };
        var iface = new Option<string>("--iface") { Description = "Interface to send on", Required = true };
        var netns = new Option<string?>("--netns") { Description = "Named network namespace (ip netns) that holds the interface" };
        var timing = new Option<string>("--timing")
        {
            Description = "original (the capture's gaps), topspeed, pps:N (packets/s) or mbps:N (frame Mbit/s)",
            DefaultValueFactory = _ => "original",
        };
        var loop = new Option<int>("--loop") { Description = "Passes over the capture (0 = until Ctrl-C)", DefaultValueFactory = _ => 1 };
        var count = new Option<long>("--count") { Description = "Stop after N packets in all (0 = no limit)", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Frames per sendmmsg call", DefaultValueFactory = _ => 64 };
        var dstMac = new Option<string?>("--dst-mac") { Description = "Destination MAC of synthesised Ethernet headers (default ff:ff:ff:ff:ff:ff); also rewrites Ethernet frames" };
        var srcMac = new Option<string?>("--src-mac") { Description = "Source MAC of synthesised headers (default: the cooked header's sender, else the interface's); also rewrites Ethernet frames" };
        var cmd = new Command("replay", "Replay a pcap or pcapng over AF_PACKET with nanosecond pacing; prints packets, bytes, rate and errors")
        {
            pcap, iface, netns, timing, loop, count, batch, dstMac, srcMac,
        };
        cmd.SetAction((parseResult, cancellation) =>
        {
            var options = new ReplayOptions
            {
                PcapPath = parseResult.GetValue(pcap)!,
                Interface = parseResult.GetValue(iface)!,
                Namespace = parseResult.GetValue(netns),
                Timing = ReplayTiming.Parse(parseResult.GetValue(timing)!),
                Loop = parseResult.GetValue(loop),
                Count = parseResult.GetValue(count),
                Batch = parseResult.GetValue(batch),
                DestinationMac = ParseMac("--dst-mac", parseResult.GetValue(dstMac)),
                SourceMac = ParseMac("--src-mac", parseResult.GetValue(srcMac)),
                Words = Flags.Wording,
            };
            options.Validate();
            var config = parseResult.InvocationConfiguration;
            // Progress only on a terminal: when stderr is redirected (scripts, CI) stay quiet.
            TextWriter? progress = ReferenceEquals(config.Error, Console.Error) && !Console.IsErrorRedirected ? config.Error : null;
            // Ctrl-C stops the replay, also in a long gap between packets; the statistics so far are printed and lab exits 130.
            return Task.FromResult(ReplayRunner.Run(options, config.Output, progress, cancellation));
        });
        return cmd;
    }

    static MacAddress? ParseMac(string flag, string? text)
    {
        if (text is null) return null;
        if (MacAddress.TryParse(text, out var mac)) return mac;
        throw new LabInputException($"{flag}: expected a MAC address such as 02:00:00:00:00:01, found '{text}'");
    }
}
