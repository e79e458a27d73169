using System.CommandLine;
using System.Globalization;
using Lab.Core;
using Lab.Esp;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Experiments.Reordering;
using Lab.Radio.Reordering;

namespace Lab.Cli.Commands;

/// <summary>
/// <c>lab reorder [FILE|-] [--pcap] [--windows 32,64,...] [--mode legacy|bmp|esn] [--target N]</c>:
/// reordering metrics and anti-replay drops of a measured arrival sequence (Lab.Radio ReorderReport;
/// the kernel-exact replay from Lab.Esp).
/// </summary>
public static class ReorderCommands
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "arrival sequence numbers, one per line, optionally followed by the arrival time (e.g. '17 2.5ms'); with --pcap a capture of ESP packets; - or absent = stdin",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "-",
        };
        var pcap = new Option<bool>("--pcap") { Description = "FILE is a capture (pcap or pcapng; Ethernet, Linux cooked SLL/SLL2 or raw IP; VLAN tags and IPv6 extension headers walked) of ESP or ESP-in-UDP packets: their sequence numbers and capture times" };
        var spi = new Option<string?>("--spi") { Description = "with --pcap: the SA's SPI (decimal or 0x hex); needed when the capture holds several" };
        var windows = new Option<string>("--windows") { Description = "replay windows to try, comma-separated", DefaultValueFactory = _ => "32,64,128,256,512,1024,2048,4096" };
        var mode = new Option<string>("--mode") { Description = "legacy | bmp | esn (net/xfrm/xfrm_replay.c variant)", DefaultValueFactory = _ => "bmp" };
        var target = new Option<long>("--target") { Description = "drops allowed for the minimum window", DefaultValueFactory = _ => 0 };
        var dt = new Option<int>("--dt") { Description = "RFC 5236 displacement threshold DT", DefaultValueFactory = _ => 64 };
        var bt = new Option<int?>("--bt") { Description = "RFC 5236 buffer-occupancy threshold BT (default: DT)" };
        var cmd = new Command("reorder", "RFC 4737 / RFC 5236 reordering metrics of measured arrivals, replay drops per window, minimum window, rule of thumb")
        {
            file, pcap, spi, windows, mode, target, dt, bt,
        };
        cmd.SetAction(pr =>
        {
            var problems = new List<string>();
            var m = pr.GetValue(mode) switch
            {
                "legacy" => XfrmReplayMode.Legacy,
                "bmp" => XfrmReplayMode.Bmp,
                "esn" => XfrmReplayMode.Esn,
                var other => Problem(problems, $"--mode: expected legacy, bmp or esn, found '{other}'", XfrmReplayMode.Bmp),
            };
            var list = ParseWindows(pr.GetValue(windows)!, problems);
            long tgt = pr.GetValue(target);
            if (tgt < 0) problems.Add($"--target: expected 0 or more drops, found {tgt}");
            int d = pr.GetValue(dt);
            if (d is < 0 or > 4096) problems.Add($"--dt: expected 0..4096, found {d}");
            int b = pr.GetValue(bt) ?? d;
            if (b is < 0 or > 4096) problems.Add($"--bt: expected 0..4096, found {b}");
            uint? spiValue = null;
            if (pr.GetValue(spi) is { } spiText)
            {
                if (TryParseU32(spiText, out uint v)) spiValue = v;
                else problems.Add($"--spi: expected a number 0..4294967295, decimal or 0x hex, found '{spiText}'");
            }
            if (problems.Count > 0) throw new LabInputException(problems);

            string path = pr.GetValue(file)!;
            ArrivalTrace trace;
            if (pr.GetValue(pcap))
            {
                if (path == "-") throw new LabInputException("FILE: --pcap needs a file name, not stdin");
                trace = EspArrivalTraces.ReadPcap(path, spiValue, m == XfrmReplayMode.Esn);
            }
            else if (path == "-")
            {
                StdinNotice.IfTerminal(pr.InvocationConfiguration.Error, "lab reorder", "arrival sequence numbers, one per line");
                trace = ReorderReport.ReadText(Console.In, "<stdin>");
            }
            else
            {
                if (!File.Exists(path)) throw new LabInputException($"FILE: {path}: no such file");
                using var reader = new StreamReader(path);
                trace = ReorderReport.ReadText(reader, path);
            }
            ReorderReport.Write(trace, new ReorderReportOptions(list, tgt, d, b), new KernelReplayWindow(m), pr.InvocationConfiguration.Output);
            return LabCommand.Ok;
        });
        return cmd;
    }

    static List<uint> ParseWindows(string text, List<string> problems)
    {
        var list = new List<uint>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out uint w) && w is >= 1 and <= XfrmReplay.MaxEsnWindow) list.Add(w);
            else problems.Add($"--windows: expected comma-separated windows 1..4096, found '{part}'");
        }
        return list;
    }

    static bool TryParseU32(string text, out uint value)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    static T Problem<T>(List<string> problems, string message, T fallback)
    {
        problems.Add(message);
        return fallback;
    }
}
