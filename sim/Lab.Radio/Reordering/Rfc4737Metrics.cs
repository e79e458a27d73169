namespace Lab.Radio.Reordering;

/// <summary>RFC 4737 metrics of one arrival sequence (see <see cref="Rfc4737Metrics.Analyze"/>).</summary>
public sealed record Rfc4737Result(
    int Received,
    int Duplicates,
    int Reordered,
    IReadOnlyList<long> ArrivalSequence,
    IReadOnlyList<int> Extent,
    IReadOnlyList<int> NReorderingDegree)
{
    /// <summary>Type-P-Reordered-Ratio-Stream (RFC 4737 section 4.1): reordered / received.</summary>
    public double ReorderedRatio => Received == 0 ? 0 : (double)Reordered / Received;

    public int MaxExtent
    {
        get
        {
            int m = 0;
            foreach (int e in Extent) m = Math.Max(m, e);
            return m;
        }
    }

    /// <summary>Mean reordering extent over the reordered packets (0 when none are).</summary>
    public double MeanExtent
    {
        get
        {
            long sum = 0;
            foreach (int e in Extent) sum += e;
            return Reordered == 0 ? 0 : (double)sum / Reordered;
        }
    }

    /// <summary>Type-P-Packet-n-Reordering-Stream ratio for one n (RFC 4737 section 5): n-reordered packets / received.</summary>
    public double NReorderingRatio(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "n-reordering is defined for n >= 1");
        int count = 0;
        foreach (int d in NReorderingDegree) if (d >= n) count++;
        return Received == 0 ? 0 : (double)count / Received;
    }
}

/// <summary>
/// RFC 4737 (Packet Reordering Metrics) on the sequence numbers in arrival order.
/// Section 3.3 (reordered singleton): NextExp starts at the first expected sequence number; a packet
/// with s &gt;= NextExp is in order and sets NextExp = s + 1; a packet with s &lt; NextExp is reordered.
/// Duplicates (a sequence number seen before) are left out (section 3.3 counts each packet once).
/// Section 4.2.1 (reordering extent): for a reordered packet at receive position i, e = i - j where j
/// is the earliest position whose packet has a larger sequence number. Section 5 (n-reordering): a
/// reordered packet is n-reordered when the n packets received just before it all carry larger
/// sequence numbers; <see cref="Rfc4737Result.NReorderingDegree"/> holds the largest such n (0 when in order).
/// </summary>
public static class Rfc4737Metrics
{
    /// <param name="arrivals">sequence numbers in arrival order</param>
    /// <param name="firstExpected">the first sequence number the sender sent; defaults to the smallest one received</param>
    public static Rfc4737Result Analyze(ReadOnlySpan<long> arrivals, long? firstExpected = null)
    {
        var seen = new HashSet<long>();
        var seq = new List<long>(arrivals.Length);
        int duplicates = 0;
        long min = long.MaxValue;
        foreach (long s in arrivals)
        {
            if (!seen.Add(s)) { duplicates++; continue; }
            seq.Add(s);
            min = Math.Min(min, s);
        }
        int n = seq.Count;
        var extent = new int[n];
        var degree = new int[n];
        var prefixMax = new long[n];
        long nextExp = firstExpected ?? min;
        int reordered = 0;
        for (int i = 0; i < n; i++)
        {
            long s = seq[i];
            prefixMax[i] = i == 0 ? s : Math.Max(prefixMax[i - 1], s);
            if (s >= nextExp)
            {
                nextExp = s + 1;
                continue;
            }
            reordered++;
            extent[i] = i - FirstAbove(prefixMax, i, s);
            int d = 0;
            while (i - d - 1 >= 0 && seq[i - d - 1] > s) d++;
            degree[i] = d;
        }
        return new Rfc4737Result(n, duplicates, reordered, seq, extent, degree);
    }

    /// <summary>The earliest position j &lt; i with prefixMax[j] &gt; s (prefixMax is non-decreasing).</summary>
    static int FirstAbove(long[] prefixMax, int i, long s)
    {
        int lo = 0, hi = i - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (prefixMax[mid] > s) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
}
