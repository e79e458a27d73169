using System.Globalization;
using System.Net;

namespace Lab.KernelLab.Netfilter;

/// <summary>One direction of a conntrack entry as <c>conntrack -L</c> prints it (src= dst= sport= dport=).</summary>
public readonly record struct ConntrackTupleText(IPAddress Source, IPAddress Destination, ushort SourcePort, ushort DestinationPort)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"src={Source} dst={Destination} sport={SourcePort} dport={DestinationPort}");
}

/// <summary>
/// One line of <c>conntrack -L</c> (conntrack-tools 1.4.x, the ctnetlink dump of
/// net/netfilter/nf_conntrack_netlink.c). <see cref="TimeoutSeconds"/> is what ctnetlink_dump_timeout
/// sends: the remaining lifetime in whole seconds, rounded down (nf_ct_expires / HZ); it and
/// <see cref="State"/> are absent for an entry the flowtable owns ([OFFLOAD]), whose timeout is not
/// running. The bracketed flags map to status bits: [UNREPLIED] is !IPS_SEEN_REPLY, [ASSURED]
/// IPS_ASSURED, [OFFLOAD] IPS_OFFLOAD, [HW_OFFLOAD] IPS_HW_OFFLOAD.
/// </summary>
public sealed record ConntrackEntry(
    string Protocol,
    int ProtocolNumber,
    int? TimeoutSeconds,
    string? State,
    ConntrackTupleText Original,
    ConntrackTupleText Reply,
    bool Unreplied,
    bool Assured,
    bool Offload,
    bool HardwareOffload)
{
    /// <summary>The source port the reply is addressed to: the port NAT chose for the original sender.</summary>
    public ushort TranslatedSourcePort => Reply.DestinationPort;
}

/// <summary>Parses the output of <c>conntrack -L</c>.</summary>
public static class ConntrackListing
{
    /// <summary>
    /// Every entry line of <paramref name="output"/> (stdout of <c>conntrack -L</c>); the summary line
    /// ("N flow entries have been shown", which conntrack writes to stderr) and blank lines are ignored.
    /// Throws <see cref="FormatException"/> naming the line for anything else.
    /// </summary>
    public static IReadOnlyList<ConntrackEntry> Parse(string output)
    {
        var entries = new List<ConntrackEntry>();
        int lineNumber = 0;
        foreach (string raw in output.Split('\n'))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("conntrack v", StringComparison.Ordinal)) continue;
            entries.Add(ParseLine(line, lineNumber));
        }
        return entries;
    }

    static ConntrackEntry ParseLine(string line, int lineNumber)
    {
        string[] t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (t.Length < 6 || !int.TryParse(t[1], NumberStyles.None, CultureInfo.InvariantCulture, out int protoNumber))
            throw Bad(line, lineNumber, "expected 'PROTO NUMBER [TIMEOUT] [STATE] src=...'");
        int i = 2;
        int? timeout = null;
        if (int.TryParse(t[i], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
        {
            timeout = seconds;
            i++;
        }
        string? state = null;
        if (i < t.Length && !t[i].Contains('=', StringComparison.Ordinal) && !t[i].StartsWith('['))
            state = t[i++];

        var tuples = new List<ConntrackTupleText>(2);
        bool unreplied = false, assured = false, offload = false, hwOffload = false;
        string? src = null, dst = null, sport = null;
        for (; i < t.Length; i++)
        {
            string token = t[i];
            switch (token)
            {
                case "[UNREPLIED]": unreplied = true; continue;
                case "[ASSURED]": assured = true; continue;
                case "[OFFLOAD]": offload = true; continue;
                case "[HW_OFFLOAD]": hwOffload = true; continue;
            }
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue; // other bracketed flags ([SEEN_REPLY] in extended output, ...) carry nothing we read
            string key = token[..eq], value = token[(eq + 1)..];
            if (tuples.Count == 2) continue; // mark=, use=, zone=, id= after both tuples
            switch (key)
            {
                case "src": src = value; break;
                case "dst": dst = value; break;
                case "sport": sport = value; break;
                case "dport":
                    if (src is null || dst is null || sport is null) throw Bad(line, lineNumber, "dport= before src=, dst= and sport=");
                    tuples.Add(new ConntrackTupleText(IPAddress.Parse(src), IPAddress.Parse(dst), Port(sport, line, lineNumber), Port(value, line, lineNumber)));
                    src = dst = sport = null;
                    break;
            }
        }
        if (tuples.Count != 2) throw Bad(line, lineNumber, "expected an original and a reply tuple (src= dst= sport= dport= twice)");
        return new ConntrackEntry(t[0], protoNumber, timeout, state, tuples[0], tuples[1], unreplied, assured, offload, hwOffload);
    }

    static ushort Port(string text, string line, int lineNumber) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p) ? p : throw Bad(line, lineNumber, $"port '{text}' is not a number 0-65535");

    static FormatException Bad(string line, int lineNumber, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"conntrack -L line {lineNumber}: {what}, found '{line}'"));
}
