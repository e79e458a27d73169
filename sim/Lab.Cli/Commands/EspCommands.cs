using System.CommandLine;
using System.Globalization;
using Lab.Core;
using Lab.Esp;
using Lab.Esp.Reference;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Esp.Wire;

namespace Lab.Cli.Commands;

/// <summary>
/// <c>lab esp ...</c>: the ESP model's reference entry points. <c>overhead</c> prints the ESP
/// packet for one inner packet (see <see cref="OverheadReport"/>); <c>replay</c> runs sequence
/// numbers through one inbound SA (output contract in <see cref="ReplayReference"/>).
/// </summary>
public static class EspCommands
{
    public static Command Create()
    {
        var esp = new Command("esp", "ESP datapath model: wire overhead, anti-replay reference");
        esp.Subcommands.Add(CreateOverhead());
        esp.Subcommands.Add(CreateReplay());
        return esp;
    }

    static Command CreateOverhead()
    {
        var mode = new Option<string>("--mode") { Description = "tunnel | transport | beet", DefaultValueFactory = _ => "tunnel" };
        var family = new Option<string>("--family") { Description = "outer IP version: ipv4 | ipv6", DefaultValueFactory = _ => "ipv4" };
        var innerFamily = new Option<string?>("--inner-family") { Description = "inner IP version (tunnel, beet); default: --family" };
        var encap = new Option<string?>("--encap") { Description = "udp: RFC 3948 UDP encapsulation" };
        var cipher = new Option<string>("--cipher") { Description = "gcm16 | cbc-sha256 | null | null-noauth", DefaultValueFactory = _ => "gcm16" };
        var inner = new Option<string>("--inner") { Description = "inner IP packet size including its IP header, e.g. 1438 or 1438B", Required = true };
        var mtu = new Option<string?>("--mtu") { Description = "route MTU below the SA: adds the xfrm_state_mtu and the MTU verdict" };
        var tfc = new Option<string?>("--tfc-pad") { Description = "TFC padding target in bytes (tunnel mode only)" };
        var noDf = new Option<bool>("--no-df") { Description = "inner IPv4 packet without DF (fragment instead of ICMP)" };

        var cmd = new Command("overhead", "Outer ESP packet size and breakdown for one inner packet")
        {
            mode, family, innerFamily, encap, cipher, inner, mtu, tfc, noDf,
        };
        cmd.SetAction(pr =>
        {
            var problems = new List<string>();
            var m = ParseMode(pr.GetValue(mode)!, problems);
            var f = ParseFamily("--family", pr.GetValue(family)!, problems);
            var fi = pr.GetValue(innerFamily) is string s ? ParseFamily("--inner-family", s, problems) : f;
            var e = pr.GetValue(encap) switch
            {
                null => EspEncap.None,
                "udp" => EspEncap.EspInUdp,
                var other => Problem(problems, $"--encap: expected udp, found '{other}'", EspEncap.None),
            };
            var c = EspCipherParams.TryParse(pr.GetValue(cipher)!, out var parsed)
                ? parsed
                : Problem(problems, $"--cipher: expected gcm16, cbc-sha256, null or null-noauth, found '{pr.GetValue(cipher)}'", EspCipher.Gcm16);
            int innerBytes = ParseSize("--inner", pr.GetValue(inner)!, problems) ?? 0;
            int? mtuBytes = pr.GetValue(mtu) is string ms ? ParseSize("--mtu", ms, problems) : null;
            int tfcBytes = pr.GetValue(tfc) is string ts ? ParseSize("--tfc-pad", ts, problems) ?? 0 : 0;
            if (problems.Count > 0) throw new LabInputException(problems);

            var g = new EspSaGeometry(m, f, fi, e, c, tfcBytes);
            if (g.Validate() is string bad) problems.Add($"--mode/--family/--tfc-pad: {bad}");
            int minInner = EspSaGeometry.IpHeaderBytes(fi);
            if (innerBytes < minInner || innerBytes > 65535)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"--inner: expected {minInner}..65535 bytes (an {OverheadReport.FamilyName(fi)} packet with its header), found {innerBytes}"));
            int minMtu = f == IpFamily.Ipv4 ? 68 : EspSaGeometry.Ipv6MinMtu;
            if (mtuBytes is int mb && (mb < minMtu || mb > 65535))
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"--mtu: expected {minMtu}..65535 for {OverheadReport.FamilyName(f)}, found {mb}"));
            if (problems.Count > 0) throw new LabInputException(problems);

            OverheadReport.Write(g, innerBytes, mtuBytes, !pr.GetValue(noDf), pr.InvocationConfiguration.Output);
            return LabCommand.Ok;
        });
        return cmd;
    }

    static Command CreateReplay()
    {
        var mode = new Option<string>("--mode") { Description = "legacy | bmp | esn", Required = true };
        var window = new Option<string>("--window") { Description = "replay window in packets (legacy clamps to 32; bmp/esn up to 4096)", Required = true };
        var initSeq = new Option<string?>("--init-seq") { Description = "initial top of the window (iproute2 replay-seq), decimal or 0x hex" };
        var initSeqHi = new Option<string?>("--init-seq-hi") { Description = "initial seq_hi (iproute2 replay-seq-hi), esn only" };
        var file = new Argument<string>("FILE")
        {
            Description = "sequence numbers, one per line (the full number the sender used); - or absent = stdin",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "-",
        };
        var cmd = new Command("replay", "Run sequence numbers through one inbound SA's anti-replay window and print the kernel's verdicts")
        {
            mode, window, initSeq, initSeqHi, file,
        };
        cmd.SetAction(pr =>
        {
            var problems = new List<string>();
            var m = pr.GetValue(mode) switch
            {
                "legacy" => XfrmReplayMode.Legacy,
                "bmp" => XfrmReplayMode.Bmp,
                "esn" => XfrmReplayMode.Esn,
                var other => Problem(problems, $"--mode: expected legacy, bmp or esn, found '{other}'", XfrmReplayMode.Legacy),
            };
            uint w = ParseU32("--window", pr.GetValue(window)!, problems);
            uint seq = pr.GetValue(initSeq) is string a ? ParseU32("--init-seq", a, problems) : 0;
            uint seqHi = pr.GetValue(initSeqHi) is string b ? ParseU32("--init-seq-hi", b, problems) : 0;
            if (problems.Count > 0) throw new LabInputException(problems);

            var options = new ReplayReferenceOptions(m, w, seq, seqHi);
            // On stderr: stdout holds the verdicts, which scripts compare.
            if (XfrmReplay.ClampNote(m, w) is { } clamped) pr.InvocationConfiguration.Error.WriteLine($"lab: note: {clamped}");
            var path = pr.GetValue(file)!;
            if (path == "-")
            {
                StdinNotice.IfTerminal(pr.InvocationConfiguration.Error, "lab esp replay", "sequence numbers, one per line");
                ReplayReference.Run(options, Console.In, "<stdin>", pr.InvocationConfiguration.Output);
            }
            else
            {
                if (!File.Exists(path)) throw new LabInputException($"FILE: {path}: no such file");
                using var reader = new StreamReader(path);
                ReplayReference.Run(options, reader, path, pr.InvocationConfiguration.Output);
            }
            return LabCommand.Ok;
        });
        return cmd;
    }

    static XfrmMode ParseMode(string text, List<string> problems) => text switch
    {
        "tunnel" => XfrmMode.Tunnel,
        "transport" => XfrmMode.Transport,
        "beet" => XfrmMode.Beet,
        _ => Problem(problems, $"--mode: expected tunnel, transport or beet, found '{text}'", XfrmMode.Tunnel),
    };

    static IpFamily ParseFamily(string flag, string text, List<string> problems) => text switch
    {
        "ipv4" => IpFamily.Ipv4,
        "ipv6" => IpFamily.Ipv6,
        _ => Problem(problems, $"{flag}: expected ipv4 or ipv6, found '{text}'", IpFamily.Ipv4),
    };

    static int? ParseSize(string flag, string text, List<string> problems)
    {
        var t = text.All(char.IsAsciiDigit) ? text + "B" : text;
        if (Units.TryParseBytes(t, out var bytes, out var error) && bytes <= int.MaxValue) return (int)bytes;
        problems.Add($"{flag}: {error} (found '{text}')");
        return null;
    }

    static uint ParseU32(string flag, string text, List<string> problems)
    {
        if (ReplayReference.TryParseNumber(text, out var v) && v <= uint.MaxValue) return (uint)v;
        problems.Add($"{flag}: expected a number 0..4294967295, decimal or 0x hex, found '{text}'");
        return 0;
    }

    static T Problem<T>(List<string> problems, string message, T fallback)
    {
        problems.Add(message);
        return fallback;
    }
}
