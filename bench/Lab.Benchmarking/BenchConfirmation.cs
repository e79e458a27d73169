using System.Globalization;
using System.Text;
using Lab.Simulation.Running;

namespace Lab.Benchmarking;

/// <summary>
/// The second look of <c>lab bench --compare</c>: benchmarks the first measurement flagged slower
/// are measured again in <c>--confirm N</c> more separate runs (only those benchmarks and the
/// reference), and a benchmark stays slower only when the median of all its runs is still beyond
/// its bar. Why: on the 2-core EPYC machine the cache-bound replay benchmarks land in a slow mode
/// in some processes (+20-81% for a whole run, while iterations inside a run agree within a few
/// percent), so one run in that mode cleared a bar set from five baseline runs. A process-layout or
/// load excursion does not repeat in most of N fresh processes; a real slowdown does, in all of them.
/// </summary>
public static class BenchConfirmation
{
    /// <summary>Confirmation runs when <c>--confirm</c> is not given: with the first run, a median of five.</summary>
    public const int DefaultRuns = 4;

    /// <summary>The flagged benchmarks as a <c>--filter</c> (Type.Method globs, comma-separated) and the suites that hold them.</summary>
    public static (string Filter, IReadOnlyList<string> Suites) Selection(BenchComparison first)
    {
        var flagged = first.Deltas.Where(d => d.Verdict == BenchVerdict.Slower && d.Current is not null).Select(d => d.Current!.M).ToList();
        string filter = string.Join(',', flagged.Select(m => m.Benchmark).Distinct(StringComparer.Ordinal));
        return (filter, [.. flagged.Select(m => m.Suite).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// The verdicts after confirmation: the comparison of the merged runs (<paramref name="second"/>),
    /// where only a benchmark that both comparisons call slower stays slower; any other change the
    /// merge made to a benchmark that was not flagged is not a new finding, so its first verdict stands.
    /// </summary>
    public static BenchComparison Combine(BenchComparison first, BenchComparison second)
    {
        var again = second.Deltas.ToDictionary(d => d.Key, StringComparer.Ordinal);
        var deltas = first.Deltas.Select(d =>
        {
            if (d.Verdict != BenchVerdict.Slower) return d;
            if (!again.TryGetValue(d.Key, out var c)) return d;
            return c.Verdict == BenchVerdict.Slower ? c : c with { Verdict = c.Verdict == BenchVerdict.Faster ? BenchVerdict.Faster : BenchVerdict.Unchanged };
        }).ToList();
        return first with { Deltas = deltas };
    }

    /// <summary>One row per benchmark the first measurement flagged: its first change, its change over all runs, and what stands.</summary>
    public static string Format(BenchComparison first, BenchComparison confirmed, int runs)
    {
        var inv = CultureInfo.InvariantCulture;
        var after = confirmed.Deltas.ToDictionary(d => d.Key, StringComparer.Ordinal);
        var t = new TextTable("benchmark", "first run", $"median of {runs} runs", "bar", "verdict").RightAlign(1, 2, 3);
        int stands = 0;
        foreach (var d in first.Deltas.Where(d => d.Verdict == BenchVerdict.Slower))
        {
            var c = after[d.Key];
            bool slower = c.Verdict == BenchVerdict.Slower;
            if (slower) stands++;
            t.Add(d.Key, Pct(d.Change, inv), Pct(c.Change, inv), Pct(c.Bar, inv), slower ? "SLOWER (confirmed)" : "ok (within run noise)");
        }
        var sb = new StringBuilder();
        sb.Append(inv, $"\nconfirmation: the benchmarks flagged above, measured in {runs - 1} more separate run(s); a slowdown stands when the median of all {runs} runs is still beyond its bar\n");
        sb.Append(t);
        sb.Append(stands == 0 ? "result: no slowdown stands; no benchmark got slower\n" : $"result: {stands} benchmark(s) got slower than the threshold (confirmed)\n");
        return sb.ToString();
    }

    static string Pct(double x, IFormatProvider inv) => double.IsFinite(x) ? (x >= 0 ? "+" : "") + (x * 100).ToString("0.0", inv) + "%" : "-";
}
