namespace Lab.Radio.Reordering;

/// <summary>RFC 5236 Reorder Density and Reorder Buffer-occupancy Density of one arrival sequence.</summary>
/// <param name="DisplacementFrequency">FD[k] for k in [-DT, DT], at index k + DT (section 3.5).</param>
/// <param name="BufferOccupancyFrequency">FB[b] for b in [0, BT] (section 3.10).</param>
/// <param name="RdDiscarded">Arrivals RD did not take: duplicates, and packets older than RI when they arrived.</param>
/// <param name="LostSequenceNumbers">Receive-index values skipped as lost (section 6).</param>
/// <param name="BeyondThreshold">Packets discarded because their displacement exceeded DT.</param>
/// <param name="RbdDiscarded">Arrivals RBD discarded as duplicates or excessively delayed.</param>
public sealed record Rfc5236Result(
    int DisplacementThreshold,
    int BufferThreshold,
    IReadOnlyList<long> DisplacementFrequency,
    IReadOnlyList<long> BufferOccupancyFrequency,
    long RdDiscarded,
    long LostSequenceNumbers,
    long BeyondThreshold,
    long RbdDiscarded)
{
    /// <summary>N' of section 3.6: packets with a displacement (sum of FD).</summary>
    public long Accepted
    {
        get
        {
            long t = 0;
            foreach (long f in DisplacementFrequency) t += f;
            return t;
        }
    }

    /// <summary>FD[k] (k &gt; 0: the packet arrived k positions late; k &lt; 0: early).</summary>
    public long FrequencyOfDisplacement(int k) => Math.Abs(k) > DisplacementThreshold ? 0 : DisplacementFrequency[k + DisplacementThreshold];

    /// <summary>RD[k] = FD[k] / N' (section 3.6).</summary>
    public double ReorderDensity(int k)
    {
        long total = Accepted;
        return total == 0 ? 0 : (double)FrequencyOfDisplacement(k) / total;
    }

    /// <summary>RBD[b] = FB[b] / sum of FB (section 3.11).</summary>
    public double BufferOccupancyDensity(int b)
    {
        long total = 0;
        foreach (long f in BufferOccupancyFrequency) total += f;
        return b < 0 || b >= BufferOccupancyFrequency.Count || total == 0 ? 0 : (double)BufferOccupancyFrequency[b] / total;
    }

    /// <summary>Share of packets with a non-zero displacement: 1 - RD[0].</summary>
    public double DisplacedShare => Accepted == 0 ? 0 : 1 - ReorderDensity(0);

    /// <summary>Largest |k| with FD[k] &gt; 0.</summary>
    public int MaxDisplacement
    {
        get
        {
            for (int k = DisplacementThreshold; k > 0; k--)
                if (FrequencyOfDisplacement(k) > 0 || FrequencyOfDisplacement(-k) > 0) return k;
            return 0;
        }
    }

    /// <summary>Mean occupancy of the recovery buffer: sum of b x RBD[b] (section 9).</summary>
    public double MeanBufferOccupancy
    {
        get
        {
            double m = 0;
            for (int b = 0; b < BufferOccupancyFrequency.Count; b++) m += b * BufferOccupancyDensity(b);
            return m;
        }
    }

    /// <summary>Largest b with FB[b] &gt; 0.</summary>
    public int MaxBufferOccupancy
    {
        get
        {
            for (int b = BufferOccupancyFrequency.Count - 1; b > 0; b--) if (BufferOccupancyFrequency[b] > 0) return b;
            return 0;
        }
    }
}

/// <summary>RFC 5236 over a whole arrival sequence: <see cref="Rfc5236Tracker"/> fed in order, then drained.</summary>
public static class Rfc5236Metrics
{
    /// <param name="arrivals">sequence numbers in arrival order</param>
    /// <param name="displacementThreshold">DT (section 3.4)</param>
    /// <param name="bufferThreshold">BT (section 3.9); defaults to DT, as in the RFC's examples</param>
    /// <param name="firstExpected">the first sequence number sent; defaults to the smallest of the first DT+1 arrivals</param>
    public static Rfc5236Result Analyze(ReadOnlySpan<long> arrivals, int displacementThreshold, int? bufferThreshold = null, long? firstExpected = null)
    {
        long first = firstExpected ?? FirstExpected(arrivals, displacementThreshold + 1);
        var t = new Rfc5236Tracker(displacementThreshold, bufferThreshold ?? displacementThreshold, first);
        foreach (long s in arrivals) t.Add(s);
        t.Finish();
        return t.Result();
    }

    /// <summary>The smallest of the first <paramref name="lookahead"/> arrivals (0 for an empty stream).</summary>
    public static long FirstExpected(ReadOnlySpan<long> arrivals, int lookahead)
    {
        if (arrivals.IsEmpty) return 0;
        long min = long.MaxValue;
        for (int i = 0; i < arrivals.Length && i < lookahead; i++) min = Math.Min(min, arrivals[i]);
        return min;
    }
}
