using System.Globalization;
using Lab.Core;
using Lab.Esp.Replay;
using Lab.Esp.Sa;

namespace Lab.Esp.Reference;

/// <summary>The SA a <c>lab esp replay</c> run starts from (iproute2's replay-window, replay-seq, replay-seq-hi).</summary>
public sealed record ReplayReferenceOptions(XfrmReplayMode Mode, uint Window, uint InitSeq = 0, uint InitSeqHi = 0);

/// <summary>
/// <c>lab esp replay</c>: feeds sequence numbers, in arrival order, through one inbound SA with
/// synchronous crypto (check, seq_hi inference, ICV, recheck, advance; see
/// <see cref="XfrmStateIn"/>) and prints the kernel's verdicts and final state. This is the
/// reference the kernel validation compares against; the output format is a contract.
/// <para><b>Input</b>: one number per line, decimal or 0x-prefixed hex, the full number the sender
/// used (64-bit with <c>--mode esn</c>; at most 0xffffffff otherwise). Blank lines and lines whose
/// first non-blank character is '#' are ignored. All input is read and checked before anything is
/// printed: bad lines raise <see cref="LabInputException"/> naming FILE:line:column and nothing
/// goes to the output.</para>
/// <para><b>Output</b> (lines end in '\n'):</para>
/// <code>
/// accept | drop REASON            one line per input number, in input order
/// replay mode MODE replay-window W    W after the kernel's clamp (legacy: at most 32)
/// stats:
///   replay-window A replay B failed C   per-SA counters (ip -s xfrm state)
/// XfrmInStateSeqError N            /proc/net/xfrm_stat
/// XfrmInStateProtoError M
/// anti-replay context: seq 0xS, oseq 0x0, bitmap 0xBBBBBBBB    legacy
/// anti-replay esn context:                                       bmp and esn
///  seq-hi 0xH, seq 0xS, oseq-hi 0x0, oseq 0x0
///  replay_window W, bitmap-length L
///  WWWWWWWW WWWWWWWW ...          L words, highest index first, a new line every 8 words (none when L = 0)
/// </code>
/// REASON is the kernel counter the drop increments: <c>replay_window</c> (too old, or an ESN
/// recheck that saw seq_hi move), <c>replay</c> (duplicate), <c>integrity_failed</c> (ICV: with
/// ESN a wrong seq_hi inference), or <c>XfrmInStateSeqError</c> (sequence number 0, which has no
/// per-SA counter). Hex numbers are lower case without leading zeros except the bitmap words
/// (%08x), as iproute2 prints them.
/// </summary>
public static class ReplayReference
{
    const int MaxReportedProblems = 20;

    /// <summary>Problems with the options, by parameter (the front end names them), or empty.</summary>
    public static IReadOnlyList<ParameterProblem> Validate(ReplayReferenceOptions o)
    {
        var problems = new List<ParameterProblem>();
        if (o.Mode != XfrmReplayMode.Esn && o.InitSeqHi != 0)
            problems.Add(new("init-seq-hi", ["only ESN SAs have a seq_hi; use ", new ParameterName("mode"), $" esn (found {o.InitSeqHi})"]));
        var kernel = XfrmReplay.Validate(o.Mode, o.Window, 0);
        if (kernel is not null) problems.Add(new("window", [kernel]));
        return problems;
    }

    /// <summary>Reads and checks every line, then runs and prints (nothing is printed if any line is bad).</summary>
    public static void Run(ReplayReferenceOptions options, TextReader input, string inputName, TextWriter output)
    {
        var optionProblems = Validate(options);
        if (optionProblems.Count > 0) throw new ParameterException(optionProblems);
        var seqs = ReadSequenceNumbers(input, inputName, options.Mode == XfrmReplayMode.Esn);

        var replay = XfrmReplay.Create(options.Mode, options.Window, options.InitSeq, options.InitSeqHi);
        var sa = new XfrmStateIn(new XfrmId(1, default, XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.None, replay);
        var mib = new XfrmMib();
        foreach (var s in seqs)
        {
            var reason = sa.Input(s, mib);
            output.WriteLine(reason == DropReason.None ? "accept" : "drop " + reason.CounterName());
        }
        WriteState(sa, mib, output);
    }

    /// <summary>The summary block (everything after the per-packet lines).</summary>
    public static void WriteState(XfrmStateIn sa, XfrmMib mib, TextWriter o)
    {
        var r = sa.Replay;
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv, $"replay mode {ModeName(r.Mode)} replay-window {r.ReplayWindow}"));
        o.WriteLine("stats:");
        o.WriteLine(string.Create(inv, $"  replay-window {sa.Stats.ReplayWindow} replay {sa.Stats.Replay} failed {sa.Stats.IntegrityFailed}"));
        o.WriteLine(string.Create(inv, $"XfrmInStateSeqError {mib.XfrmInStateSeqError}"));
        o.WriteLine(string.Create(inv, $"XfrmInStateProtoError {mib.XfrmInStateProtoError}"));
        if (r.Mode == XfrmReplayMode.Legacy)
        {
            o.WriteLine(string.Create(inv, $"anti-replay context: seq 0x{r.Seq:x}, oseq 0x{r.Oseq:x}, bitmap 0x{r.Bitmap:x8}"));
            return;
        }
        o.WriteLine("anti-replay esn context:");
        o.WriteLine(string.Create(inv, $" seq-hi 0x{r.SeqHi:x}, seq 0x{r.Seq:x}, oseq-hi 0x{r.OseqHi:x}, oseq 0x{r.Oseq:x}"));
        o.WriteLine(string.Create(inv, $" replay_window {r.ReplayWindow}, bitmap-length {r.BmpLen}"));
        for (int start = r.BmpLen - 1; start >= 0; start -= 8)
        {
            var line = new System.Text.StringBuilder(" ");
            for (int i = start; i > start - 8 && i >= 0; i--)
            {
                if (i != start) line.Append(' ');
                line.Append(r.Bmp[i].ToString("x8", inv));
            }
            o.WriteLine(line.ToString());
        }
    }

    public static string ModeName(XfrmReplayMode m) => m switch
    {
        XfrmReplayMode.Legacy => "legacy",
        XfrmReplayMode.Bmp => "bmp",
        _ => "esn",
    };

    /// <summary>
    /// All sequence numbers of the input, or a <see cref="LabInputException"/> listing up to 20 bad
    /// lines as NAME:line:column.
    /// </summary>
    public static ulong[] ReadSequenceNumbers(TextReader input, string inputName, bool esn)
    {
        var values = new List<ulong>();
        var problems = new List<string>();
        int lineNo = 0;
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            lineNo++;
            int start = 0;
            while (start < line.Length && char.IsWhiteSpace(line[start])) start++;
            if (start == line.Length || line[start] == '#') continue;
            int end = line.Length;
            while (end > start && char.IsWhiteSpace(line[end - 1])) end--;
            var token = line[start..end];
            string where = string.Create(CultureInfo.InvariantCulture, $"{inputName}:{lineNo}:{start + 1}");
            if (!TryParseNumber(token, out var v))
            {
                if (problems.Count < MaxReportedProblems)
                    problems.Add($"{where}: expected a sequence number (decimal or 0x hex, at most {(esn ? "0xffffffffffffffff" : "0xffffffff")}), found '{token}'");
                continue;
            }
            if (!esn && v > uint.MaxValue)
            {
                if (problems.Count < MaxReportedProblems)
                    problems.Add($"{where}: {token} does not fit 32 bits; only an ESN SA has 64-bit sequence numbers");
                continue;
            }
            values.Add(v);
        }
        if (problems.Count > 0) throw new LabInputException(problems);
        return [.. values];
    }

    /// <summary>Decimal digits, or "0x"/"0X" and hex digits, fitting 64 bits; nothing else.</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        value = 0;
        if (text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        {
            var hex = text.AsSpan(2);
            foreach (var c in hex) if (!char.IsAsciiHexDigit(c)) return false;
            return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (text.Length == 0) return false;
        foreach (var c in text) if (!char.IsAsciiDigit(c)) return false;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
