using System.Globalization;
using System.Text;
using Lab.Simulation.Running;

namespace Lab.Benchmarking;

/// <summary>
/// The confirmation of a flagged comparison when the baseline's commit can be run: the baseline's
/// own code and the candidate are measured alternately in separate processes (baseline, candidate,
/// baseline, candidate, ...), only the flagged benchmarks and their suites' references, and each
/// benchmark is judged on its paired changes (<see cref="PairedChange"/>). Why: on the 2-core EPYC
/// machine, session 6's quiet back-to-back reruns were confirmed slower (+39% to +101% on
/// cache-bound sub-nanosecond benchmarks) in 4 of 10 models runs, with the flags clustered in
/// time: slow phases of the machine lasting tens of seconds. Re-measuring the candidate alone in
/// such a phase confirms its own flag; a pair taken within seconds sees the phase on both sides.
/// </summary>
public static class InterleavedConfirmation
{
    /// <summary>Per flagged benchmark, its pairs (baseline's process, candidate's process), rated within each process.</summary>
    public static IReadOnlyDictionary<string, PairedChange> Judge(BenchComparison first,
        IReadOnlyList<(IReadOnlyList<BenchMeasurement> Baseline, IReadOnlyList<BenchMeasurement> Candidate)> pairs, double threshold)
    {
        var rated = pairs.Select(p => (B: BenchRatios.Rate(p.Baseline).ToDictionary(r => r.Key, StringComparer.Ordinal),
            C: BenchRatios.Rate(p.Candidate).ToDictionary(r => r.Key, StringComparer.Ordinal))).ToList();
        var judged = new Dictionary<string, PairedChange>(StringComparer.Ordinal);
        foreach (var d in first.Deltas.Where(d => d.Verdict == BenchVerdict.Slower))
        {
            var both = rated.Where(p => p.B.ContainsKey(d.Key) && p.C.ContainsKey(d.Key)).Select(p => (p.B[d.Key], p.C[d.Key])).ToList();
            if (both.Count > 0) judged[d.Key] = PairedChange.Of(both, threshold);
        }
        return judged;
    }

    /// <summary>
    /// The verdicts after confirmation: a flagged benchmark stays slower only when its paired change
    /// is; one the baseline's code did not measure keeps its first verdict. Other benchmarks keep theirs.
    /// </summary>
    public static BenchComparison Combine(BenchComparison first, IReadOnlyDictionary<string, PairedChange> judged) =>
        first with
        {
            Deltas = [.. first.Deltas.Select(d => d.Verdict != BenchVerdict.Slower || !judged.TryGetValue(d.Key, out var p) ? d
                : d with { Change = p.Change, Noise = Math.Exp(p.HalfWidthLog) - 1, Bar = p.Bar, Verdict = p.Verdict == BenchVerdict.Slower ? BenchVerdict.Slower : BenchVerdict.Unchanged })],
        };

    /// <summary>One row per flagged benchmark: its first change against the stored numbers, the paired median and 95% interval, the bar, the verdict.</summary>
    public static string Format(BenchComparison first, IReadOnlyDictionary<string, PairedChange> judged, string commit, int pairs)
    {
        var inv = CultureInfo.InvariantCulture;
        var t = new TextTable("benchmark", "first run", "paired median", "95% interval", "bar", "verdict").RightAlign(1, 2, 3, 4);
        int stands = 0;
        foreach (var d in first.Deltas.Where(d => d.Verdict == BenchVerdict.Slower))
        {
            if (!judged.TryGetValue(d.Key, out var p))
            {
                stands++;
                t.Add(d.Key, Pct(d.Change, inv), "-", "-", Pct(d.Bar, inv), "SLOWER (the baseline's code did not measure it)");
                continue;
            }
            bool slower = p.Verdict == BenchVerdict.Slower;
            if (slower) stands++;
            t.Add(d.Key, Pct(d.Change, inv), Pct(p.Change, inv), $"{Pct(p.Low, inv)} .. {Pct(p.High, inv)}", Pct(p.Bar, inv),
                slower ? "SLOWER (confirmed)" : "ok (not slower than the baseline's code)");
        }
        var sb = new StringBuilder();
        sb.Append(inv, $"\nconfirmation interleaved with commit {commit}: the benchmarks flagged above, measured in {pairs} pair(s) of separate processes, ");
        sb.Append("the baseline's own code then this one, each against its own process's reference; a slowdown stands when the median paired change ");
        sb.Append("and the low end of its 95% interval are both beyond the bar\n");
        sb.Append(t);
        sb.Append(stands == 0 ? "result: no slowdown stands; no benchmark got slower\n" : $"result: {stands} benchmark(s) got slower than the threshold (confirmed)\n");
        return sb.ToString();
    }

    static string Pct(double x, IFormatProvider inv) => double.IsFinite(x) ? (x >= 0 ? "+" : "") + (x * 100).ToString("0.0", inv) + "%" : "-";
}
