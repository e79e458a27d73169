namespace Lab.Models.Metrics;

/// <summary>
/// Keeps every latency sample so that percentiles are exact (nearest-rank, as in
/// "the smallest sample with at least p% of samples at or below it"), not estimated.
/// Storage grows by doubling; 8 bytes per delivered packet.
/// </summary>
public sealed class LatencyRecorder
{
    long[] _samples = new long[1024];
    bool _sorted = true;

    public long Count { get; private set; }

    public void Add(long ps)
    {
        if (Count == _samples.Length) Array.Resize(ref _samples, _samples.Length * 2);
        _samples[Count++] = ps;
        _sorted = false;
    }

    public void Reset()
    {
        Count = 0;
        _sorted = true;
    }

    public double Mean()
    {
        if (Count == 0) return double.NaN;
        // Sum in Int128: a billion samples of a second each would overflow a long.
        Int128 sum = 0;
        for (long i = 0; i < Count; i++) sum += _samples[i];
        return (double)sum / Count;
    }

    /// <summary>Nearest-rank percentile for p in (0, 100]; 100 is the maximum.</summary>
    public long Percentile(double p)
    {
        if (Count == 0) return 0;
        if (!_sorted)
        {
            Array.Sort(_samples, 0, (int)Count);
            _sorted = true;
        }
        // p x Count first: 99.9 / 100 is 0.9990000000000001, which times 3000 would round rank 2997 up to 2998;
        // 99.9 x 3000 is exactly 299700.0 and divides by 100 exactly.
        long rank = (long)Math.Ceiling(p * Count / 100.0);
        rank = Math.Clamp(rank, 1, Count);
        return _samples[rank - 1];
    }

    /// <summary>The sorted samples, for CDFs.</summary>
    public ReadOnlySpan<long> Sorted()
    {
        Percentile(50);
        return _samples.AsSpan(0, (int)Count);
    }
}
