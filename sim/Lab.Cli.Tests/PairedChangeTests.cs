using Lab.Benchmarking;

namespace Lab.Cli.Tests;

/// <summary>
/// The interleaved confirmation's verdict: pairs of processes (the baseline's code, then the
/// candidate), each benchmark rated against its own process's reference. Numbers worked out by
/// hand with natural logs; t(0.975; 3) = 3.182446, t(0.975; 14) = 2.144787 (Student t tables).
/// </summary>
public sealed class PairedChangeTests
{
    static BenchMeasurement M(string bench, double median, bool reference = false) =>
        new("s", bench, "", median, median, 0, 15, 0, "op", reference);

    static IReadOnlyList<BenchMeasurement> Process(double reference, double b) => [M("Ref", reference, reference: true), M("T.B", b)];

    static BenchComparison Flagged(double firstChange) =>
        new([new BenchDelta("s/T.B", null, null, firstChange, 0.01, BenchVerdict.Slower, 0.10),
             new BenchDelta("s/T.C", null, null, 0.02, 0.01, BenchVerdict.Unchanged, 0.10)], 0.10, 0.02);

    // Four pairs whose candidate is 1.30, 1.25, 1.35 and 1.20 times its partner. The references
    // differ from process to process (1000, 800, 1250, 1000 ns: a slow phase, a fast one), and the
    // baseline ratios with them (2.0, 2.2, 1.8, 2.1); only the pairing makes those cancel.
    // d = log 1.30, log 1.25, log 1.35, log 1.20 = 0.2623643, 0.2231436, 0.3001046, 0.1823216;
    // mean 0.2419835, median (0.2231436 + 0.2623643) / 2 = 0.2427539 -> +27.475%;
    // sample sd 0.0506884, half-width 3.182446 x 0.0506884 / 2 = 0.0806565;
    // interval exp(0.2419835 -+ 0.0806565) - 1 = +17.507% .. +38.077%.
    static readonly (IReadOnlyList<BenchMeasurement>, IReadOnlyList<BenchMeasurement>)[] Pairs =
    [
        (Process(1000, 2000), Process(1000, 2600)),
        (Process(800, 1760), Process(800, 2200)),
        (Process(1250, 2250), Process(1250, 3037.5)),
        (Process(1000, 2100), Process(1000, 2520)),
    ];

    [Fact]
    public void A_slowdown_in_every_pair_stands_with_its_median_and_interval()
    {
        var judged = InterleavedConfirmation.Judge(Flagged(0.6), Pairs, 0.10);
        var p = judged["s/T.B"];
        Assert.Equal(4, p.Pairs);
        Assert.Equal(0.2427539, p.MedianLog, 1e-6);
        Assert.Equal(0.2419835, p.MeanLog, 1e-6);
        Assert.Equal(0.0806565, p.HalfWidthLog, 1e-6);
        Assert.Equal(0.274755, p.Change, 1e-6);
        Assert.Equal(0.175069, p.Low, 1e-6);
        Assert.Equal(0.380768, p.High, 1e-6);
        Assert.Equal(BenchVerdict.Slower, p.Verdict);
        // Only the flagged benchmark is judged.
        Assert.False(judged.ContainsKey("s/T.C"));

        var combined = InterleavedConfirmation.Combine(Flagged(0.6), judged);
        Assert.True(combined.Failed);
        Assert.Equal(0.274755, combined.Deltas[0].Change, 1e-6);
        string text = InterleavedConfirmation.Format(Flagged(0.6), judged, "0123456789ab", 4);
        Assert.Contains("confirmation interleaved with commit 0123456789ab", text, StringComparison.Ordinal);
        Assert.Matches(@"\ns/T\.B +\+60\.0% +\+27\.5% +\+17\.5% \.\. \+38\.1% +\+10\.0% +SLOWER \(confirmed\)\n", text);
        Assert.EndsWith("result: 1 benchmark(s) got slower than the threshold (confirmed)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_median_beyond_the_bar_is_not_enough_when_the_interval_reaches_below_it()
    {
        // Threshold 20%: bar log 1.2 = 0.1823216. Median 0.2427539 is beyond it, the low end
        // 0.2419835 - 0.0806565 = 0.1613270 is not.
        var p = InterleavedConfirmation.Judge(Flagged(0.6), Pairs, 0.20)["s/T.B"];
        Assert.Equal(0.1823216, p.BarLog, 1e-6);
        Assert.Equal(BenchVerdict.Unchanged, p.Verdict);
        Assert.False(InterleavedConfirmation.Combine(Flagged(0.6), new Dictionary<string, PairedChange> { ["s/T.B"] = p }).Failed);
    }

    [Fact]
    public void A_slow_phase_that_hits_both_halves_of_each_pair_cancels()
    {
        // The first run was +60% against stored numbers. In pairs 1 and 4 the machine is in a slow
        // phase that slows T.B against the reference on both sides (ratios 1.6/1.62 and 1.55/1.57);
        // pairs 2 and 3 are normal. d = log(1.62/1.6), log 1.01, log 0.99, log(1.57/1.55)
        // = 0.0124225, 0.0099503, -0.0100503, 0.0128207; median (0.0099503 + 0.0124225) / 2
        // = 0.0111864 -> +1.125%: far below log 1.1.
        (IReadOnlyList<BenchMeasurement>, IReadOnlyList<BenchMeasurement>)[] phase =
        [
            (Process(1000, 1600), Process(1000, 1620)),
            (Process(1000, 1000), Process(1000, 1010)),
            (Process(1000, 1000), Process(1000, 990)),
            (Process(1000, 1550), Process(1000, 1570)),
        ];
        var judged = InterleavedConfirmation.Judge(Flagged(0.6), phase, 0.10);
        var p = judged["s/T.B"];
        Assert.Equal(0.0111864, p.MedianLog, 1e-6);
        Assert.Equal(BenchVerdict.Unchanged, p.Verdict);
        string text = InterleavedConfirmation.Format(Flagged(0.6), judged, "0123456789ab", 4);
        Assert.Contains("ok (not slower than the baseline's code)", text, StringComparison.Ordinal);
        Assert.EndsWith("result: no slowdown stands; no benchmark got slower\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void One_pair_uses_its_within_run_interval()
    {
        // Baseline ratio 1.0 (relative standard error 0.03), candidate 1.5 (0.04), 14 degrees of
        // freedom each: se sqrt(0.03^2 + 0.04^2) = 0.05, half-width 2.144787 x 0.05 = 0.1072393;
        // low end log 1.5 - 0.1072393 = 0.4054651 - 0.1072393 = 0.2982258 -> exp - 1 = +34.7466%.
        var b = new RatedMeasurement(M("T.B", 1), 1.0, 0.03, 14);
        var c = new RatedMeasurement(M("T.B", 1.5), 1.5, 0.04, 14);
        var p = PairedChange.Of([(b, c)], 0.10);
        Assert.Equal(0.1072393, p.HalfWidthLog, 1e-6);
        Assert.Equal(0.347466, p.Low, 1e-6);
        Assert.Equal(0.5, p.Change, 9);
        Assert.Equal(BenchVerdict.Slower, p.Verdict);
    }

    [Fact]
    public void A_benchmark_the_baselines_code_did_not_measure_keeps_its_first_verdict()
    {
        (IReadOnlyList<BenchMeasurement>, IReadOnlyList<BenchMeasurement>)[] without = [([M("Ref", 1000, reference: true)], Process(1000, 2000))];
        var judged = InterleavedConfirmation.Judge(Flagged(0.6), without, 0.10);
        Assert.Empty(judged);
        Assert.True(InterleavedConfirmation.Combine(Flagged(0.6), judged).Failed);
        Assert.Contains("SLOWER (the baseline's code did not measure it)", InterleavedConfirmation.Format(Flagged(0.6), judged, "0123456789ab", 1), StringComparison.Ordinal);
    }
}
