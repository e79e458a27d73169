using System.Globalization;
using Lab.Core;

namespace Lab.Radio.Reordering;

/// <summary>Drops of one anti-replay run, by the per-SA counter they increment.</summary>
/// <param name="TooOld">struct xfrm_stats replay_window (include/uapi/linux/xfrm.h; <c>ip -s xfrm state</c> prints replay-window): left of the window.</param>
/// <param name="Duplicate">struct xfrm_stats replay: seen inside the window.</param>
/// <param name="Other">No per-SA counter, only the MIB's XfrmInStateSeqError (net/xfrm/xfrm_proc.c): sequence number 0.</param>
public readonly record struct ReplayDrops(long TooOld, long Duplicate, long Other)
{
    public long Total => TooOld + Duplicate + Other;
}

/// <summary>
/// An inbound SA's anti-replay check run over a whole arrival sequence (the command line supplies the
/// kernel-exact one from Lab.Esp: net/xfrm/xfrm_replay.c, so this project stays independent of ESP).
/// </summary>
public interface IReplayWindowModel
{
    /// <summary>legacy, bmp or esn.</summary>
    string ModeName { get; }

    /// <summary>The largest window the mode allows (legacy 32, bmp/esn 4096).</summary>
    uint MaxWindow { get; }

    ReplayDrops Run(ReadOnlySpan<long> sequenceNumbers, uint window);
}

/// <summary>Sequence numbers in arrival order, with arrival times (ps) when the input had them.</summary>
public sealed record ArrivalTrace(string Name, long[] Sequence, long[]? Times);

/// <summary>Options of <c>lab reorder</c>.</summary>
public sealed record ReorderReportOptions(IReadOnlyList<uint> Windows, long Target, int DisplacementThreshold, int BufferThreshold)
{
    /// <summary>How the user can supply arrival times, as the front end names its inputs; the rule of thumb's n/a line ends with it in parentheses.</summary>
    public string? ArrivalTimesHint { get; init; }
}

/// <summary>
/// <c>lab reorder</c>: RFC 4737 and RFC 5236 metrics of a measured arrival sequence, the anti-replay
/// drops it causes for each window, the smallest window that keeps drops at or under a target, and the
/// rule of thumb window &gt;= rate x worst reorder delay against that window. The output format is a contract.
/// <code>
/// input               NAME: N arrivals (with arrival times | without arrival times)
/// received            R (duplicates D)
/// rfc4737 reordered   K (ratio 0.xxxxxx)
/// rfc4737 extent      max E, mean M
/// rfc4737 n-reordered n=1 0.xxxxxx, n=3 0.xxxxxx
/// rfc4737 late time   max T            (or n/a without times)
/// sequence distance   max S (smallest window without too-old drops S+1)
/// rfc5236 rd          DT d: displaced 0.xxxxxx, max displacement k, RD[-1] .., RD[0] .., RD[+1] ..
/// rfc5236 rbd         BT b: mean occupancy x.xxxx, max occupancy m
/// replay mode MODE
/// window  drops  replay-window  replay  other
/// W       ...                                      one line per --windows entry
/// minimum window      W (drops &lt;= TARGET)     (or: none up to MAX ...)
/// rule of thumb       ...
/// </code>
/// </summary>
public static class ReorderReport
{
    const int MaxProblems = 20;

    public static void Write(ArrivalTrace trace, ReorderReportOptions o, IReplayWindowModel replay, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        bool timed = trace.Times is not null;
        var meter = new ReorderMeter(o.DisplacementThreshold, o.BufferThreshold);
        for (int i = 0; i < trace.Sequence.Length; i++) meter.Add(trace.Sequence[i], timed ? trace.Times![i] : 0);
        var s = meter.Finish();
        var rd = s.Density;

        output.WriteLine($"input               {trace.Name}: {trace.Sequence.Length} arrivals ({(timed ? "with" : "without")} arrival times)");
        output.WriteLine(string.Create(c, $"received            {s.Received} (duplicates {s.Duplicates})"));
        output.WriteLine(string.Create(c, $"rfc4737 reordered   {s.Reordered} (ratio {s.ReorderedRatio:F6})"));
        output.WriteLine(string.Create(c, $"rfc4737 extent      max {s.MaxExtent}, mean {s.MeanExtent:F2}"));
        output.WriteLine(string.Create(c, $"rfc4737 n-reordered n=1 {s.NReorderingRatio(1):F6}, n=3 {s.NReorderingRatio(3):F6}"));
        output.WriteLine(timed ? $"rfc4737 late time   max {SimTime.Format(s.MaxLateTimeOffset)}" : "rfc4737 late time   n/a (no arrival times)");
        output.WriteLine(string.Create(c, $"sequence distance   max {s.MaxSequenceDistance} (smallest window without too-old drops {s.MinimumWindow})"));
        output.WriteLine(string.Create(c,
            $"rfc5236 rd          DT {rd.DisplacementThreshold}: displaced {rd.DisplacedShare:F6}, max displacement {rd.MaxDisplacement}, RD[-1] {rd.ReorderDensity(-1):F6}, RD[0] {rd.ReorderDensity(0):F6}, RD[+1] {rd.ReorderDensity(1):F6}"));
        output.WriteLine(string.Create(c, $"rfc5236 rbd         BT {rd.BufferThreshold}: mean occupancy {rd.MeanBufferOccupancy:F4}, max occupancy {rd.MaxBufferOccupancy}"));

        output.WriteLine($"replay mode {replay.ModeName}");
        output.WriteLine("window  drops  replay-window  replay  other");
        foreach (uint w in o.Windows)
        {
            var d = replay.Run(trace.Sequence, w);
            string clamp = w > replay.MaxWindow ? $"  (clamped to {replay.MaxWindow})" : "";
            output.WriteLine(string.Create(c, $"{w,-7} {d.Total,-6} {d.TooOld,-14} {d.Duplicate,-7} {d.Other}{clamp}"));
        }

        long minimum = MinimumWindow(trace.Sequence, o.Target, replay);
        output.WriteLine(minimum > 0
            ? string.Create(c, $"minimum window      {minimum} (drops <= {o.Target})")
            : string.Create(c, $"minimum window      none up to {replay.MaxWindow} (drops stay above {o.Target}{(replay.ModeName == "legacy" ? "; legacy clamps the window to 32: use bmp or esn" : "")})"));

        output.WriteLine(RuleOfThumb(s, timed, minimum, replay, o.Target, o.ArrivalTimesHint));
    }

    /// <summary>
    /// The smallest window (1 .. the mode's maximum) whose drops are at most <paramref name="target"/>, or 0.
    /// Drops never grow with the window (a larger window accepts a superset of the packets the smaller one
    /// accepts, and the top of the window moves the same way), so a binary search finds it.
    /// </summary>
    public static long MinimumWindow(ReadOnlySpan<long> seqs, long target, IReplayWindowModel replay)
    {
        if (replay.Run(seqs, replay.MaxWindow).Total > target) return 0;
        uint lo = 1, hi = replay.MaxWindow;
        while (lo < hi)
        {
            uint mid = lo + (hi - lo) / 2;
            if (replay.Run(seqs, mid).Total <= target) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    static string RuleOfThumb(ReorderSummary s, bool timed, long minimum, IReplayWindowModel replay, long target, string? hint)
    {
        var c = CultureInfo.InvariantCulture;
        const string Head = "rule of thumb       ";
        if (!timed) return Head + "n/a: the input has no arrival times" + (hint is null ? "" : $" ({hint})");
        long span = s.LastArrival - s.FirstArrival;
        if (s.Received < 2 || span <= 0) return Head + "n/a: fewer than two arrival times";
        double rate = (s.Received - 1) * (double)SimTime.Second / span;
        double exact = rate * s.MaxLateTimeOffset / SimTime.Second;
        long rule = ReorderProbe.RuleWindow(rate, s.MaxLateTimeOffset);
        string versus = minimum <= 0
            ? $"kernel replay: no window up to {replay.MaxWindow} keeps drops <= {target}"
            : minimum == rule ? $"kernel replay minimum {minimum} (the rule is exact)"
            : minimum > rule ? $"kernel replay minimum {minimum} (the rule is {minimum - rule} short)"
            : $"kernel replay minimum {minimum} (the rule is {rule - minimum} over)";
        return string.Create(c,
            $"{Head}window >= rate x worst reorder delay = {rate:F1} pkt/s x {SimTime.Format(s.MaxLateTimeOffset)} = {exact:F1} -> {rule}; {versus}");
    }

    /// <summary>
    /// Reads "SEQ" or "SEQ TIME" lines (SEQ decimal or 0x hex; TIME a duration with a unit, such as 12.5ms);
    /// blank lines and '#' comments are skipped; either every line has a time or none. All lines are
    /// checked before anything is returned: problems are reported as NAME:line:column (up to 20).
    /// </summary>
    public static ArrivalTrace ReadText(TextReader input, string name)
    {
        var seqs = new List<long>();
        var times = new List<long>();
        var problems = new List<string>();
        bool? withTimes = null;
        int lineNo = 0;
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            lineNo++;
            int start = 0;
            while (start < line.Length && char.IsWhiteSpace(line[start])) start++;
            if (start == line.Length || line[start] == '#') continue;
            int end = start;
            while (end < line.Length && !char.IsWhiteSpace(line[end])) end++;
            string seqText = line[start..end];
            int tStart = end;
            while (tStart < line.Length && char.IsWhiteSpace(line[tStart])) tStart++;
            int tEnd = tStart;
            while (tEnd < line.Length && !char.IsWhiteSpace(line[tEnd])) tEnd++;
            string timeText = line[tStart..tEnd];
            int rest = tEnd;
            while (rest < line.Length && char.IsWhiteSpace(line[rest])) rest++;
            void Problem(int column, string message)
            {
                if (problems.Count < MaxProblems) problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name}:{lineNo}:{column}: {message}"));
            }
            if (!TryParseSequence(seqText, out long seq))
            {
                Problem(start + 1, $"expected a sequence number (decimal or 0x hex, below 2^63), found '{seqText}'");
                continue;
            }
            if (rest < line.Length && line[rest] != '#')
            {
                Problem(rest + 1, $"expected at most two fields (SEQ TIME), found '{line[rest..].TrimEnd()}'");
                continue;
            }
            bool hasTime = timeText.Length > 0 && timeText[0] != '#';
            if (withTimes is null) withTimes = hasTime;
            else if (withTimes != hasTime)
            {
                Problem(hasTime ? tStart + 1 : end + 1, withTimes.Value
                    ? "expected an arrival time after the sequence number, as on the first line"
                    : "expected no arrival time, as on the first line");
                continue;
            }
            long t = 0;
            if (hasTime)
            {
                if (!SimTime.TryParse(timeText, out t, out string error))
                {
                    Problem(tStart + 1, error);
                    continue;
                }
                if (times.Count > 0 && t < times[^1])
                {
                    Problem(tStart + 1, $"expected arrival times in order, found {timeText} after {SimTime.Format(times[^1])}");
                    continue;
                }
            }
            seqs.Add(seq);
            if (hasTime) times.Add(t);
        }
        if (problems.Count == 0 && seqs.Count == 0) problems.Add($"{name}: expected at least one sequence number, found none");
        if (problems.Count > 0) throw new LabInputException(problems);
        return new ArrivalTrace(name, [.. seqs], withTimes == true ? [.. times] : null);
    }

    static bool TryParseSequence(string text, out long value)
    {
        value = 0;
        if (text.Length > 2 && text[0] == '0' && (text[1] is 'x' or 'X'))
        {
            foreach (char ch in text.AsSpan(2)) if (!char.IsAsciiHexDigit(ch)) return false;
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value >= 0;
        }
        if (text.Length == 0) return false;
        foreach (char ch in text) if (!char.IsAsciiDigit(ch)) return false;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
