using System.Globalization;
using System.Text;
using Lab.Core;
using Lab.Simulation.Running;

namespace Lab.Benchmarking;

/// <summary>The tables `lab bench` prints: a run, a comparison with a baseline, and the history across runs.</summary>
public static class BenchReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The run's table under a header naming the bench command as <paramref name="wording"/> does (null: the library's names).</summary>
    public static string FormatRun(BenchRun run, Wording? wording = null)
    {
        var sb = new StringBuilder();
        sb.Append((wording ?? Wording.Library).Render(new CommandName("bench"), ": "));
        sb.Append(Inv, $"{run.Mode.ToString().ToLowerInvariant()} run {run.RunId}, commit {run.Commit}, {run.Machine}\n");
        if (run.Runs > 1) sb.Append(Inv, $"{run.Runs} runs of each suite, interleaved: medians over the runs\n");
        if (!run.Optimized) sb.Append("warning: the measured code is a Debug build; the times say nothing about the lab's speed\n");
        if (run.Slowdown) sb.Append($"warning: {BenchHost.SlowdownVariable}=1: the packet-path benchmark carries deliberate extra work\n");
        var rated = run.Rated().ToDictionary(r => r.M, r => r);
        foreach (var suite in run.Measurements.Select(m => m.Suite).Distinct())
        {
            var t = new TextTable("benchmark", "median/op", "± stderr", "op", "rate", "alloc/op", "ratio").RightAlign(1, 2, 4, 5, 6);
            foreach (var m in run.Measurements.Where(m => m.Suite == suite))
            {
                rated.TryGetValue(m, out var r);
                t.Add(Name(m), Time(m.MedianNs), Time(m.StdErrNs), m.OpUnit, Rate(m), Bytes(m.AllocatedBytes),
                    m.IsReference ? "(reference)" : r is null ? "-" : r.Ratio.ToString("0.0000", Inv));
            }
            sb.Append('\n').Append("suite ").Append(suite).Append('\n').Append(t);
        }
        return sb.ToString();
    }

    public static string Name(BenchMeasurement m) => m.Parameters.Length == 0 ? m.Benchmark : $"{m.Benchmark}({m.Parameters})";

    /// <summary>Operations per second; for whole scenario runs also simulated events and packets per wall second.</summary>
    public static string Rate(BenchMeasurement m)
    {
        if (m.MedianNs <= 0) return "-";
        double ops = 1e9 / m.MedianNs;
        var s = Si(ops) + " " + m.OpUnit + "/s";
        if (m.EventsPerOp is { } e) s += ", " + Si(e * ops) + " events/s";
        if (m.PacketsPerOp is { } p) s += ", " + Si(p * ops) + " pkt/s";
        return s;
    }

    public static string Si(double v) => Math.Abs(v) switch
    {
        >= 1e9 => (v / 1e9).ToString("0.00", Inv) + " G",
        >= 1e6 => (v / 1e6).ToString("0.00", Inv) + " M",
        >= 1e3 => (v / 1e3).ToString("0.00", Inv) + " k",
        _ => v.ToString("0.00", Inv),
    };

    public static string Time(double ns) => !double.IsFinite(ns) ? "-" : Math.Abs(ns) switch
    {
        >= 1e9 => (ns / 1e9).ToString("0.000", Inv) + " s",
        >= 1e6 => (ns / 1e6).ToString("0.000", Inv) + " ms",
        >= 1e3 => (ns / 1e3).ToString("0.000", Inv) + " us",
        _ => ns.ToString("0.00", Inv) + " ns",
    };

    public static string Bytes(double? b) => b is { } x ? x.ToString("0.#", Inv) + " B" : "-";

    static string Pct(double f) => double.IsFinite(f) ? (f >= 0 ? "+" : "") + (f * 100).ToString("0.0", Inv) + "%" : "-";

    public static string FormatComparison(BenchComparison c, BenchRun baseline, string baselineName)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"\ncompared with {baselineName} (commit {baseline.Commit}, {baseline.Mode.ToString().ToLowerInvariant()}, {baseline.Machine}) on ratios to each suite's reference\n");
        var t = new TextTable("benchmark", "baseline ratio", "ratio", "change", "± noise (95%)", "bar", "verdict").RightAlign(1, 2, 3, 4, 5);
        foreach (var d in c.Deltas)
        {
            t.Add(d.Key, d.Baseline is null ? "-" : d.Baseline.Ratio.ToString("0.0000", Inv), d.Current is null ? "-" : d.Current.Ratio.ToString("0.0000", Inv),
                Pct(d.Change), d.Verdict is BenchVerdict.New or BenchVerdict.Missing or BenchVerdict.Reference ? "-" : "±" + Pct(d.Noise).TrimStart('+'),
                d.Verdict is BenchVerdict.New or BenchVerdict.Missing or BenchVerdict.Reference ? "-" : Pct(d.Bar),
                d.Verdict switch
                {
                    BenchVerdict.Slower => "SLOWER",
                    BenchVerdict.Faster => "faster",
                    BenchVerdict.New => "new",
                    BenchVerdict.Missing => "not run",
                    BenchVerdict.Reference => "reference",
                    _ => "ok",
                });
        }
        sb.Append(t);
        int slower = c.Deltas.Count(d => d.Verdict == BenchVerdict.Slower);
        sb.Append(Inv, $"run-to-run scatter (median |change| of the benchmarks both runs have): {(double.IsFinite(c.Scatter) ? (c.Scatter * 100).ToString("0.0", Inv) + "%" : "-")}\n");
        sb.Append(Inv, $"threshold {(c.Threshold * 100).ToString("0.#", Inv)}%: a benchmark fails when even the low end of its 95% interval is slower than its bar, "
            + $"the threshold or {RunNoiseModel.K.ToString("0", Inv)} x its run-to-run noise when the baseline recorded one (saved from 3 or more runs) and that is larger\n");
        sb.Append(slower == 0 ? "result: no benchmark got slower\n" : $"result: {slower} benchmark(s) got slower than the threshold\n");
        return sb.ToString();
    }

    /// <summary>Per benchmark, its ratio to the reference in each of the last runs (oldest first) and the change from the first shown to the last.</summary>
    public static string FormatHistory(IReadOnlyList<BenchRun> runs, string? suite, int last)
    {
        var shown = runs.Where(r => suite is null || r.Measurements.Any(m => m.Suite == suite)).ToList();
        if (shown.Count > last) shown = shown.GetRange(shown.Count - last, last);
        if (shown.Count == 0) return suite is null ? "no benchmark runs recorded yet\n" : $"no benchmark runs of suite '{suite}' recorded yet\n";
        var sb = new StringBuilder();
        sb.Append("ratio to the suite's reference per run (lower is faster), oldest first\n");
        for (int i = 0; i < shown.Count; i++)
        {
            var r = shown[i];
            sb.Append(Inv, $"  #{i + 1}: {r.Date.UtcDateTime:yyyy-MM-dd HH:mm} commit {r.Commit} {r.Mode.ToString().ToLowerInvariant()}{(r.Slowdown ? " SLOWDOWN" : "")}{(r.Optimized ? "" : " DEBUG")} {r.RunId}\n");
        }
        var ratios = shown.Select(r => r.Rated().Where(x => suite is null || x.M.Suite == suite).ToDictionary(x => x.Key, x => x.Ratio, StringComparer.Ordinal)).ToList();
        var keys = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in shown)
        {
            foreach (var m in r.Measurements)
            {
                if ((suite is null || m.Suite == suite) && !m.IsReference && seen.Add(m.Key)) keys.Add(m.Key);
            }
        }
        var cols = new List<string> { "benchmark" };
        cols.AddRange(Enumerable.Range(1, shown.Count).Select(i => "#" + i.ToString(Inv)));
        cols.Add("change");
        var t = new TextTable([.. cols]).RightAlign([.. Enumerable.Range(1, shown.Count + 1)]);
        foreach (var k in keys)
        {
            var row = new List<string> { k };
            double first = double.NaN, lastV = double.NaN;
            foreach (var d in ratios)
            {
                if (d.TryGetValue(k, out double v))
                {
                    row.Add(v.ToString("0.0000", Inv));
                    if (double.IsNaN(first)) first = v;
                    lastV = v;
                }
                else row.Add("-");
            }
            row.Add(Pct(lastV / first - 1));
            t.Add([.. row]);
        }
        sb.Append(t);
        return sb.ToString();
    }
}
