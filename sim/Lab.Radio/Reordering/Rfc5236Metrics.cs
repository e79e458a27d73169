namespace Lab.Radio.Reordering;

/// <summary>RFC 5236 Reorder Density and Reorder Buffer-occupancy Density of one arrival sequence.</summary>
public sealed record Rfc5236Result(
    int DisplacementThreshold,
    IReadOnlyList<long> DisplacementFrequency,
    IReadOnlyList<long> BufferOccupancyFrequency,
    int Accepted,
    int Duplicates,
    int Lost,
    int BeyondThreshold)
{
    /// <summary>FD[k] for displacement k in [-DT, DT] (k &gt; 0: the packet arrived k positions late).</summary>
    public long FrequencyOfDisplacement(int k) => Math.Abs(k) > DisplacementThreshold ? 0 : DisplacementFrequency[k + DisplacementThreshold];

    /// <summary>RD[k] = FD[k] / sum of FD (RFC 5236 section 3).</summary>
    public double ReorderDensity(int k)
    {
        long total = 0;
        foreach (long f in DisplacementFrequency) total += f;
        return total == 0 ? 0 : (double)FrequencyOfDisplacement(k) / total;
    }

    /// <summary>RBD[b] = FB[b] / sum of FB: the share of arrivals after which the reorder buffer held b packets.</summary>
    public double BufferOccupancyDensity(int b)
    {
        long total = 0;
        foreach (long f in BufferOccupancyFrequency) total += f;
        return b < 0 || b >= BufferOccupancyFrequency.Count || total == 0 ? 0 : (double)BufferOccupancyFrequency[b] / total;
    }
}

/// <summary>
/// RFC 5236 (Improved Packet Reordering Metrics), computed offline over a whole arrival sequence.
/// Displacement (section 3): each accepted packet gets a receive index RI in arrival order; the index
/// skips the values of lost packets, so loss alone displaces nothing; D = RI - s. A packet displaced by
/// more than the displacement threshold DT counts as lost (it is left out of FD and its sequence number
/// joins the lost set; the indices are recomputed until no more packets cross DT). Duplicates are
/// discarded. RBD (section 4): a hypothetical in-order reorder buffer releases packets in sequence,
/// skipping lost sequence numbers; after each accepted arrival the number of packets it holds is counted.
/// RFC 5236's online algorithm declares loss when the window passes DT; this offline form knows the lost
/// set in advance, which gives the same displacements for sequences whose lost packets never arrive.
/// </summary>
public static class Rfc5236Metrics
{
    public static Rfc5236Result Analyze(ReadOnlySpan<long> arrivals, int displacementThreshold, long? firstExpected = null)
    {
        if (displacementThreshold < 0) throw new ArgumentOutOfRangeException(nameof(displacementThreshold), "DT must be >= 0");
        var seen = new HashSet<long>();
        var seq = new List<long>(arrivals.Length);
        int duplicates = 0;
        long min = long.MaxValue, max = long.MinValue;
        foreach (long s in arrivals)
        {
            if (!seen.Add(s)) { duplicates++; continue; }
            seq.Add(s);
            min = Math.Min(min, s);
            max = Math.Max(max, s);
        }
        long first = firstExpected ?? (seq.Count == 0 ? 0 : min);
        var lost = new SortedSet<long>();
        for (long v = first; v <= max; v++) if (!seen.Contains(v)) lost.Add(v);
        int neverArrived = lost.Count;
        var excluded = new bool[seq.Count];
        long[] displacement;
        while (true)
        {
            displacement = Displacements(seq, excluded, lost, first);
            bool changed = false;
            for (int i = 0; i < seq.Count; i++)
            {
                if (excluded[i] || Math.Abs(displacement[i]) <= displacementThreshold) continue;
                excluded[i] = true;
                lost.Add(seq[i]);
                changed = true;
            }
            if (!changed) break;
        }
        var fd = new long[2 * displacementThreshold + 1];
        int accepted = 0, beyond = 0;
        for (int i = 0; i < seq.Count; i++)
        {
            if (excluded[i]) { beyond++; continue; }
            fd[displacement[i] + displacementThreshold]++;
            accepted++;
        }
        var fb = BufferOccupancy(seq, excluded, lost, first);
        return new Rfc5236Result(displacementThreshold, fd, fb, accepted, duplicates, neverArrived + beyond, beyond);
    }

    static long[] Displacements(List<long> seq, bool[] excluded, SortedSet<long> lost, long first)
    {
        var d = new long[seq.Count];
        long ri = first;
        for (int i = 0; i < seq.Count; i++)
        {
            if (excluded[i]) continue;
            while (lost.Contains(ri)) ri++;
            d[i] = ri - seq[i];
            ri++;
        }
        return d;
    }

    static long[] BufferOccupancy(List<long> seq, bool[] excluded, SortedSet<long> lost, long first)
    {
        var held = new HashSet<long>();
        var fb = new List<long>();
        long next = first;
        for (int i = 0; i < seq.Count; i++)
        {
            if (excluded[i]) continue;
            long s = seq[i];
            if (s >= next) held.Add(s);
            while (held.Remove(next) || lost.Contains(next)) next++;
            int b = held.Count;
            while (fb.Count <= b) fb.Add(0);
            fb[b]++;
        }
        return fb.ToArray();
    }
}
