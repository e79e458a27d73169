using Lab.Calibration;

namespace Lab.Cli.Tests;

/// <summary>
/// The within-pass estimator of lab calibrate (<see cref="PairedDifferences"/>): the median of paired block
/// differences, on synthetic samples whose answer is known exactly.
/// </summary>
public sealed class CalibrationEstimatorTests
{
    [Fact]
    public void A_drift_during_the_pass_cancels_in_the_paired_differences()
    {
        // The machine drifts by +20 ns per block (608 -> 688 over four blocks: the kind of drift seen between runs);
        // B costs 100 ns more than A. Blocks alternate A B, B A, A B, B A, so each pair is measured side by side:
        //   A: 600, 620, 640, 660     B: 700, 720, 740, 760
        // Paired differences: 100, 100, 100, 100 -> median 100. Whole-window means measured one after the other
        // (A over the first half of the pass, B over the second, as one window each) would give 730 - 610 = 120.
        double[] a = [600, 620, 640, 660];
        double[] b = [700, 720, 740, 760];
        Assert.Equal([100, 100, 100, 100], PairedDifferences.Of(b, a));
        Assert.Equal(100, PairedDifferences.Median(b, a));
    }

    [Fact]
    public void One_disturbed_block_does_not_move_the_median()
    {
        // Differences 98, 101, 400 (another tenant ran during B's third block), 103, 99: sorted 98, 99, 101, 103, 400,
        // median 101, where the mean would be 801 / 5 = 160.2.
        double[] a = [500, 500, 500, 500, 500];
        double[] b = [598, 601, 900, 603, 599];
        Assert.Equal(101, PairedDifferences.Median(b, a));
        // An even count takes the mean of the middle two: 98, 101, 103, 400 -> (101 + 103) / 2 = 102.
        Assert.Equal(102, PairedDifferences.Median([598, 601, 900, 603], [500, 500, 500, 500]));
        // A block that delivered nothing (NaN) is left out: 98, 103 -> 100.5; nothing left -> NaN.
        Assert.Equal(100.5, PairedDifferences.Median([598, double.NaN, 603], [500, 500, 500]));
        Assert.True(double.IsNaN(PairedDifferences.Median([double.NaN], [500])));
    }

    [Fact]
    public void Blocks_must_pair_and_the_order_alternates_across_blocks_and_passes()
    {
        Assert.Throws<ArgumentException>(() => PairedDifferences.Of([1, 2], [1]));
        string[] w = ["A", "B", "C"];
        // Two blocks per pass: pass 0 block 0 forward, block 1 reversed; pass 1 block 0 is the third block overall, forward again.
        Assert.Equal(["A", "B", "C"], PairedDifferences.Order(w, 0, 2, 0));
        Assert.Equal(["C", "B", "A"], PairedDifferences.Order(w, 0, 2, 1));
        Assert.Equal(["A", "B", "C"], PairedDifferences.Order(w, 1, 2, 0));
        // Three blocks per pass: pass 1 block 0 is the fourth block overall (index 3): reversed.
        Assert.Equal(["C", "B", "A"], PairedDifferences.Order(w, 1, 3, 0));
    }
}
