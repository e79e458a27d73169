using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.KernelLab.Vm;

/// <summary>
/// The kernel's IPsec counters as the validation compares them with the simulation: every
/// SA's line from `ip -s xfrm state` (iproute2 6.1, ip/ipxfrm.c) and the namespace-wide
/// LINUX_MIB_XFRM* counters of /proc/net/xfrm_stat (net/xfrm/xfrm_proc.c).
/// </summary>
/// <param name="States">One entry per SA, in the order ip printed them.</param>
/// <param name="Stat">/proc/net/xfrm_stat.</param>
public sealed record XfrmCounters(IReadOnlyList<XfrmSaCounters> States, XfrmStat Stat)
{
    /// <summary>Parses the output of `ip -s xfrm state` and the text of /proc/net/xfrm_stat.</summary>
    public static XfrmCounters Parse(string ipStatsXfrmState, string procXfrmStat) =>
        new(XfrmSaCounters.ParseAll(ipStatsXfrmState), XfrmStat.Parse(procXfrmStat));

    /// <summary>Reads both from a shell (the VM's, or a namespace's on the host).</summary>
    public static XfrmCounters Read(Func<string, string> runShell)
    {
        ArgumentNullException.ThrowIfNull(runShell);
        return Parse(runShell("ip -s xfrm state"), runShell("cat /proc/net/xfrm_stat"));
    }

    /// <summary>The SA with this SPI (and destination, when several share the SPI).</summary>
    public XfrmSaCounters State(uint spi, string? destination = null)
    {
        var found = States.Where(s => s.Spi == spi && (destination is null || s.Destination == destination)).ToArray();
        return found.Length == 1
            ? found[0]
            : throw new KeyNotFoundException($"{found.Length} SAs with spi 0x{spi:x8}{(destination is null ? "" : " dst " + destination)}");
    }
}

/// <summary>
/// One SA's identity, replay state and statistics as `ip -s xfrm state` prints them.
/// The three drop counters are the kernel's struct xfrm_stats (include/uapi/linux/xfrm.h),
/// counted by net/xfrm/xfrm_replay.c: <see cref="ReplayWindow"/> packets too old for the
/// window, <see cref="Replay"/> duplicates inside it, <see cref="IntegrityFailed"/> ICV
/// failures (net/xfrm/xfrm_input.c). XfrmInStateSeqError is ReplayWindow + Replay plus
/// the sequence-number-zero drops that no per-SA counter records.
/// </summary>
/// <param name="Source">src address.</param>
/// <param name="Destination">dst address.</param>
/// <param name="Protocol">esp, ah, comp.</param>
/// <param name="Spi">Security parameter index.</param>
/// <param name="ReqId">reqid.</param>
/// <param name="Mode">tunnel, transport, beet.</param>
/// <param name="Esn">flag esn: 64-bit extended sequence numbers.</param>
/// <param name="WindowSize">The replay window in packets (replay_window of the ESN context,
/// which ip uses for windows above 32 or with ESN; else the replay-window field).</param>
/// <param name="Seq">Highest inbound sequence number accepted (with seq-hi in the top half).</param>
/// <param name="OutSeq">Last outbound sequence number used (with oseq-hi).</param>
/// <param name="Bitmap">The replay bitmap words as printed (one for the legacy context).</param>
/// <param name="Bytes">lifetime current bytes.</param>
/// <param name="Packets">lifetime current packets.</param>
/// <param name="ReplayWindow">stats replay-window: packets older than the window.</param>
/// <param name="Replay">stats replay: duplicates within the window.</param>
/// <param name="IntegrityFailed">stats failed: ICV check failures.</param>
public sealed partial record XfrmSaCounters(
    string Source,
    string Destination,
    string Protocol,
    uint Spi,
    uint ReqId,
    string Mode,
    bool Esn,
    uint WindowSize,
    ulong Seq,
    ulong OutSeq,
    IReadOnlyList<uint> Bitmap,
    ulong Bytes,
    ulong Packets,
    uint ReplayWindow,
    uint Replay,
    uint IntegrityFailed)
{
    /// <summary>Parses every SA block of `ip -s xfrm state` output.</summary>
    public static IReadOnlyList<XfrmSaCounters> ParseAll(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<XfrmSaCounters>();
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var start = -1;
        for (var i = 0; i <= lines.Length; i++)
        {
            var boundary = i == lines.Length || lines[i].StartsWith("src ", StringComparison.Ordinal);
            if (!boundary)
                continue;
            if (start >= 0)
                result.Add(ParseBlock(lines[start..i]));
            start = i;
        }
        return result;
    }

    private static XfrmSaCounters ParseBlock(string[] block)
    {
        var head = Need(HeadLine(), block[0], "src ... dst ...");
        string? proto = null, mode = null;
        uint spi = 0, reqId = 0, window = 0, replayWindow = 0, replay = 0, failed = 0;
        ulong seq = 0, oseq = 0, bytes = 0, packets = 0;
        bool esn = false, sawStats = false, sawLifetime = false;
        var bitmap = new List<uint>();
        for (var i = 1; i < block.Length; i++)
        {
            var line = block[i].Trim();
            Match m;
            if ((m = ProtoLine().Match(line)).Success)
            {
                proto = m.Groups["proto"].Value;
                spi = Hex(m.Groups["spi"].Value);
                reqId = uint.Parse(m.Groups["reqid"].Value, CultureInfo.InvariantCulture);
                mode = m.Groups["mode"].Value;
            }
            else if ((m = WindowLine().Match(line)).Success)
            {
                window = uint.Parse(m.Groups["w"].Value, CultureInfo.InvariantCulture);
                esn = m.Groups["flags"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("esn");
            }
            else if ((m = LegacyContext().Match(line)).Success)
            {
                seq = Hex(m.Groups["seq"].Value);
                oseq = Hex(m.Groups["oseq"].Value);
                bitmap.Add(Hex(m.Groups["bitmap"].Value));
            }
            else if ((m = EsnSeqLine().Match(line)).Success)
            {
                seq = ((ulong)Hex(m.Groups["seqhi"].Value) << 32) | Hex(m.Groups["seq"].Value);
                oseq = ((ulong)Hex(m.Groups["oseqhi"].Value) << 32) | Hex(m.Groups["oseq"].Value);
            }
            else if ((m = EsnWindowLine().Match(line)).Success)
            {
                window = uint.Parse(m.Groups["w"].Value, CultureInfo.InvariantCulture);
                var words = int.Parse(m.Groups["len"].Value, CultureInfo.InvariantCulture);
                // The bitmap words follow, eight per line.
                while (bitmap.Count < words && i + 1 < block.Length && BitmapWords().IsMatch(block[i + 1].Trim()))
                {
                    i++;
                    foreach (var w in block[i].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                        bitmap.Add(Hex(w));
                }
            }
            else if (line == "lifetime current:" && i + 1 < block.Length)
            {
                var c = Need(CurrentLine(), block[++i].Trim(), "N(bytes), N(packets)");
                bytes = ulong.Parse(c.Groups["bytes"].Value, CultureInfo.InvariantCulture);
                packets = ulong.Parse(c.Groups["packets"].Value, CultureInfo.InvariantCulture);
                sawLifetime = true;
            }
            else if (line == "stats:" && i + 1 < block.Length)
            {
                var s = Need(StatsLine(), block[++i].Trim(), "replay-window N replay N failed N");
                replayWindow = uint.Parse(s.Groups["rw"].Value, CultureInfo.InvariantCulture);
                replay = uint.Parse(s.Groups["r"].Value, CultureInfo.InvariantCulture);
                failed = uint.Parse(s.Groups["f"].Value, CultureInfo.InvariantCulture);
                sawStats = true;
            }
        }
        if (proto is null || mode is null)
            throw new FormatException($"xfrm state '{block[0]}': no 'proto ... spi ... mode' line");
        if (!sawStats || !sawLifetime)
            throw new FormatException($"xfrm state '{block[0]}': no statistics (was it printed with ip -s?)");
        return new XfrmSaCounters(head.Groups["src"].Value, head.Groups["dst"].Value, proto, spi, reqId, mode,
            esn, window, seq, oseq, bitmap, bytes, packets, replayWindow, replay, failed);
    }

    private static Match Need(Regex r, string line, string expected)
    {
        var m = r.Match(line);
        return m.Success ? m : throw new FormatException($"ip xfrm state: expected '{expected}', found '{line}'");
    }

    private static uint Hex(string s) =>
        uint.Parse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^src (?<src>\S+) dst (?<dst>\S+)\s*$")]
    private static partial Regex HeadLine();

    [GeneratedRegex(@"^proto (?<proto>\S+) spi (?<spi>0x[0-9a-f]+)\(\d+\) reqid (?<reqid>\d+)\(0x[0-9a-f]+\) mode (?<mode>\S+)")]
    private static partial Regex ProtoLine();

    [GeneratedRegex(@"^replay-window (?<w>\d+) seq 0x[0-9a-f]+ flag (?<flags>[^(]*)\(0x[0-9a-f]+\)")]
    private static partial Regex WindowLine();

    [GeneratedRegex(@"^anti-replay context: seq (?<seq>0x[0-9a-f]+), oseq (?<oseq>0x[0-9a-f]+), bitmap (?<bitmap>0x[0-9a-f]+)")]
    private static partial Regex LegacyContext();

    [GeneratedRegex(@"^seq-hi (?<seqhi>0x[0-9a-f]+), seq (?<seq>0x[0-9a-f]+), oseq-hi (?<oseqhi>0x[0-9a-f]+), oseq (?<oseq>0x[0-9a-f]+)")]
    private static partial Regex EsnSeqLine();

    [GeneratedRegex(@"^replay_window (?<w>\d+), bitmap-length (?<len>\d+)")]
    private static partial Regex EsnWindowLine();

    [GeneratedRegex(@"^([0-9a-f]{8} ?)+$")]
    private static partial Regex BitmapWords();

    [GeneratedRegex(@"^(?<bytes>\d+)\(bytes\), (?<packets>\d+)\(packets\)")]
    private static partial Regex CurrentLine();

    [GeneratedRegex(@"^replay-window (?<rw>\d+) replay (?<r>\d+) failed (?<f>\d+)")]
    private static partial Regex StatsLine();
}

/// <summary>/proc/net/xfrm_stat: the LINUX_MIB_XFRM* counters by their kernel names, in file order.</summary>
public sealed class XfrmStat
{
    private readonly Dictionary<string, long> _byName;

    public XfrmStat(IReadOnlyList<KeyValuePair<string, long>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
    }

    public IReadOnlyList<KeyValuePair<string, long>> Entries { get; }

    /// <summary>A counter by its kernel name, e.g. XfrmInStateSeqError.</summary>
    public long this[string name] => _byName.TryGetValue(name, out var v)
        ? v
        : throw new KeyNotFoundException($"/proc/net/xfrm_stat has no counter {name}");

    public long XfrmInNoStates => this[nameof(XfrmInNoStates)];

    public long XfrmInStateProtoError => this[nameof(XfrmInStateProtoError)];

    public long XfrmInStateSeqError => this[nameof(XfrmInStateSeqError)];

    public long XfrmInNoPols => this[nameof(XfrmInNoPols)];

    public static XfrmStat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<KeyValuePair<string, long>>();
        foreach (var raw in text.Split('\n'))
        {
            var f = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0)
                continue;
            if (f.Length != 2 || !f[0].StartsWith("Xfrm", StringComparison.Ordinal)
                || !long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw new FormatException($"/proc/net/xfrm_stat: expected 'XfrmName value', found '{raw.Trim()}'");
            entries.Add(new(f[0], v));
        }
        return new XfrmStat(entries);
    }
}
