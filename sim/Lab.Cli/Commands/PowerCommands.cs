using System.CommandLine;
using Lab.Core;
using Lab.Radio.Keepalive;

namespace Lab.Cli.Commands;

/// <summary><c>lab power ...</c>: radio energy of cellular traffic (Lab.Radio).</summary>
public static class PowerCommands
{
    public static Command Create()
    {
        var power = new Command("power", "Radio energy of cellular traffic (LTE, 3G, NR RRC state machines)");
        power.Subcommands.Add(Keepalive());
        return power;
    }

    static Command Keepalive()
    {
        var radio = new Option<string>("--radio") { Description = "lte, 3g or nr", DefaultValueFactory = _ => "lte" };
        var interval = new Option<string>("--interval") { Description = "keepalive interval, e.g. 20s; several (10s,20s,60s) print a table", Required = true };
        var nat = new Option<string?>("--nat-timeout") { Description = "NAT UDP mapping timeout: 120s, uniform:30s..300s or empirical:30s,60s,120s (prints the table)" };
        var kind = new Option<string>("--kind") { Description = "table: natt, esp (ESP keepalive) or esp-ping", DefaultValueFactory = _ => "natt" };
        var suppress = new Option<bool>("--suppress") { Description = "table: skip a keepalive when other traffic was sent within the interval" };
        var seed = new Option<long>("--seed") { Description = "table: seed of the NAT timeout draws", DefaultValueFactory = _ => 1 };
        var duration = new Option<string>("--duration") { Description = "how long to run, e.g. 24h", DefaultValueFactory = _ => "24h" };
        var battery = new Option<string?>("--battery") { Description = "battery capacity for the % figure, e.g. 15Wh" };
        var size = new Option<string>("--size") { Description = "keepalive IP packet size, e.g. 29B (IPv4 NAT-T: 20 + 8 + 1)", DefaultValueFactory = _ => $"{KeepaliveEnergy.NatTKeepaliveIpv4Bytes}B" };
        var cmd = new Command("keepalive", "Energy per isolated keepalive, average radio power and daily energy of periodic keepalives")
        {
            radio, interval, duration, battery, size, nat, kind, suppress, seed,
        };
        cmd.SetAction(parse =>
        {
            var intervals = parse.GetValue(interval)!.Split(',', StringSplitOptions.TrimEntries);
            if (intervals.Length > 1 || parse.GetValue(nat) is not null)
            {
                var natText = parse.GetValue(nat);
                var sweep = new KeepaliveSweepOptions(
                    parse.GetValue(radio)!,
                    [.. intervals.Select(i => ParseTime("--interval", i))],
                    ParseTime("--duration", parse.GetValue(duration)!),
                    parse.GetValue(battery) is { } bt ? ParseEnergy(bt) : null,
                    natText is null ? null : KeepaliveSweepReport.ParseNatTimeout(natText),
                    natText ?? "",
                    parse.GetValue(kind) switch
                    {
                        "natt" => KeepaliveKind.NatT,
                        "esp" => KeepaliveKind.EspKeepalive,
                        "esp-ping" => KeepaliveKind.EspPing,
                        var other => throw new LabInputException($"--kind: expected natt, esp or esp-ping, found '{other}'"),
                    },
                    parse.GetValue(suppress),
                    parse.GetValue(seed));
                KeepaliveSweepReport.Write(parse.InvocationConfiguration.Output, sweep);
                return LabCommand.Ok;
            }
            var options = new KeepaliveReportOptions(
                parse.GetValue(radio)!,
                ParseTime("--interval", parse.GetValue(interval)!),
                ParseTime("--duration", parse.GetValue(duration)!),
                parse.GetValue(battery) is { } b ? ParseEnergy(b) : null,
                ParseSize(parse.GetValue(size)!));
            KeepaliveReport.Write(parse.InvocationConfiguration.Output, options);
            return LabCommand.Ok;
        });
        return cmd;
    }

    static long ParseTime(string flag, string text) =>
        SimTime.TryParse(text, out long ps, out string error) ? ps : throw new LabInputException($"{flag}: {error}");

    static double ParseEnergy(string text) =>
        Units.TryParseEnergy(text, out double mj, out string error) ? mj : throw new LabInputException($"--battery: {error}");

    static int ParseSize(string text)
    {
        if (!Units.TryParseBytes(text, out long bytes, out string error)) throw new LabInputException($"--size: {error}");
        if (bytes is <= 0 or > 65535) throw new LabInputException($"--size: expected an IP packet size between 1B and 65535B, found '{text}'");
        return (int)bytes;
    }
}
