namespace Lab.Calibration;

/// <summary>
/// The estimator of a differential stage within one pass. A pass runs every window in short blocks, the windows
/// alternating block by block (A B, B A, A B, ...), so the two halves of a pair are seconds apart. The pass's
/// value is the median over the blocks of the paired differences: a slow drift of the machine (thermal, another
/// tenant's load) moves both halves of a pair alike and cancels, and one disturbed block cannot move a median.
/// </summary>
public static class PairedDifferences
{
    /// <summary>Block by block <c>test[i] - reference[i]</c>; both lists must have one value per block.</summary>
    public static double[] Of(IReadOnlyList<double> test, IReadOnlyList<double> reference)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(reference);
        if (test.Count != reference.Count)
            throw new ArgumentException($"paired differences need one reference block per test block, found {test.Count} and {reference.Count}");
        var d = new double[test.Count];
        for (int i = 0; i < d.Length; i++) d[i] = test[i] - reference[i];
        return d;
    }

    /// <summary>The median of the paired differences (NaN blocks, where a window delivered nothing, left out; NaN if none is left).</summary>
    public static double Median(IReadOnlyList<double> test, IReadOnlyList<double> reference) => Median(Of(test, reference));

    /// <summary>The median (the mean of the middle two for an even count); NaN values are left out.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>
    /// The order of the windows in block <paramref name="block"/> of pass <paramref name="pass"/>: forward and reversed
    /// in turn (ABBA), continuing across passes so that no window always runs first.
    /// </summary>
    public static IReadOnlyList<T> Order<T>(IReadOnlyList<T> windows, int pass, int blocks, int block)
    {
        ArgumentNullException.ThrowIfNull(windows);
        return (pass * blocks + block) % 2 == 0 ? windows : [.. windows.Reverse()];
    }
}
