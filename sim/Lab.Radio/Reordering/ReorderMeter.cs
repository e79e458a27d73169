namespace Lab.Radio.Reordering;

/// <summary>What a <see cref="ReorderMeter"/> measured (one sequence space, or several added up).</summary>
public sealed record ReorderSummary(
    long Received,
    long Duplicates,
    long Reordered,
    long MaxExtent,
    double MeanExtent,
    long MaxSequenceDistance,
    long MaxLateTimeOffset,
    long MaxDelayExcess,
    long ExtentsClipped,
    long[] DegreeCounts,
    long FirstArrival,
    long LastArrival,
    Rfc5236Result Density)
{
    /// <summary>RFC 4737 section 4.1 Type-P-Reordered-Ratio-Stream.</summary>
    public double ReorderedRatio => Received == 0 ? 0 : (double)Reordered / Received;

    /// <summary>The smallest anti-replay window that drops nothing as too old: the largest sequence distance + 1 (1 when nothing was late).</summary>
    public long MinimumWindow => Reordered == 0 ? 1 : MaxSequenceDistance + 1;

    /// <summary>RFC 4737 section 5 ratio of n-reordered packets (1 &lt;= n &lt; 64).</summary>
    public double NReorderingRatio(int n)
    {
        long c = 0;
        for (int d = n; d < DegreeCounts.Length; d++) c += DegreeCounts[d];
        return Received == 0 ? 0 : (double)c / Received;
    }

    /// <summary>Adds two summaries of separate sequence spaces (same DT and BT).</summary>
    public static ReorderSummary Combine(ReorderSummary a, ReorderSummary b)
    {
        var degrees = new long[a.DegreeCounts.Length];
        for (int i = 0; i < degrees.Length; i++) degrees[i] = a.DegreeCounts[i] + b.DegreeCounts[i];
        var fd = new long[a.Density.DisplacementFrequency.Count];
        for (int i = 0; i < fd.Length; i++) fd[i] = a.Density.DisplacementFrequency[i] + b.Density.DisplacementFrequency[i];
        var fb = new long[a.Density.BufferOccupancyFrequency.Count];
        for (int i = 0; i < fb.Length; i++) fb[i] = a.Density.BufferOccupancyFrequency[i] + b.Density.BufferOccupancyFrequency[i];
        long reordered = a.Reordered + b.Reordered;
        double mean = reordered == 0 ? 0 : (a.MeanExtent * a.Reordered + b.MeanExtent * b.Reordered) / reordered;
        var d = new Rfc5236Result(a.Density.DisplacementThreshold, a.Density.BufferThreshold, fd, fb,
            a.Density.RdDiscarded + b.Density.RdDiscarded, a.Density.LostSequenceNumbers + b.Density.LostSequenceNumbers,
            a.Density.BeyondThreshold + b.Density.BeyondThreshold, a.Density.RbdDiscarded + b.Density.RbdDiscarded);
        return new ReorderSummary(a.Received + b.Received, a.Duplicates + b.Duplicates, reordered, Math.Max(a.MaxExtent, b.MaxExtent), mean,
            Math.Max(a.MaxSequenceDistance, b.MaxSequenceDistance), Math.Max(a.MaxLateTimeOffset, b.MaxLateTimeOffset),
            Math.Max(a.MaxDelayExcess, b.MaxDelayExcess), a.ExtentsClipped + b.ExtentsClipped, degrees,
            Math.Min(a.FirstArrival, b.FirstArrival), Math.Max(a.LastArrival, b.LastArrival), d);
    }
}

/// <summary>
/// RFC 4737 and RFC 5236 metrics of one sequence space, fed one arrival at a time. When the first
/// sequence number the sender used is not known (a capture that starts mid-stream, a measurement
/// that starts after a warm-up), the first DT+1 arrivals are held back and the smallest of them is
/// taken as the first expected number, as RFC 5236 section 7.1 step 1 fills its window. Nothing is
/// allocated per packet.
/// </summary>
public sealed class ReorderMeter
{
    readonly int _dt, _bt, _horizon;
    readonly long[] _stagedSeq, _stagedArrival, _stagedSent;
    int _staged;
    Rfc4737Tracker? _rfc4737;
    Rfc5236Tracker? _rfc5236;
    long? _firstExpected;

    public ReorderMeter(int displacementThreshold, int bufferThreshold, long? firstExpected = null, int horizon = Rfc4737Tracker.DefaultHorizon)
    {
        _dt = displacementThreshold;
        _bt = bufferThreshold;
        _horizon = horizon;
        _firstExpected = firstExpected;
        int lookahead = displacementThreshold + 1;
        _stagedSeq = new long[lookahead];
        _stagedArrival = new long[lookahead];
        _stagedSent = new long[lookahead];
        if (firstExpected is { } f) Start(f);
    }

    public void Add(long seq, long arrival = 0, long sent = -1)
    {
        if (_rfc4737 is null)
        {
            _stagedSeq[_staged] = seq;
            _stagedArrival[_staged] = arrival;
            _stagedSent[_staged] = sent;
            if (++_staged == _stagedSeq.Length) StartFromStage();
            return;
        }
        _rfc4737.Add(seq, arrival, sent);
        _rfc5236!.Add(seq);
    }

    /// <summary>The summary so far; the RFC 5236 window is drained, so call it once, at the end.</summary>
    public ReorderSummary Finish()
    {
        if (_rfc4737 is null) StartFromStage();
        _rfc5236!.Finish();
        var a = _rfc4737!;
        return new ReorderSummary(a.Received, a.Duplicates, a.Reordered, a.MaxExtent, a.MeanExtent, a.MaxSequenceDistance,
            a.MaxLateTimeOffset, a.MaxDelayExcess, a.ExtentsClipped, (long[])a.DegreeCounts.Clone(),
            a.FirstArrival < 0 ? 0 : a.FirstArrival, a.LastArrival, _rfc5236.Result());
    }

    void StartFromStage()
    {
        long first = 0;
        if (_staged > 0)
        {
            first = long.MaxValue;
            for (int i = 0; i < _staged; i++) first = Math.Min(first, _stagedSeq[i]);
        }
        Start(_firstExpected ?? first);
        for (int i = 0; i < _staged; i++)
        {
            _rfc4737!.Add(_stagedSeq[i], _stagedArrival[i], _stagedSent[i]);
            _rfc5236!.Add(_stagedSeq[i]);
        }
        _staged = 0;
    }

    void Start(long first)
    {
        _rfc4737 = new Rfc4737Tracker(first, _horizon);
        _rfc5236 = new Rfc5236Tracker(_dt, _bt, first);
    }
}
