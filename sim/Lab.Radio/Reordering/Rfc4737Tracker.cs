namespace Lab.Radio.Reordering;

/// <summary>
/// RFC 4737 (Packet Reordering Metrics) evaluated online, with bounded memory, plus the sequence
/// distance that decides an anti-replay window. Per arrival: section 3.3 reordered singleton (NextExp),
/// section 4.2.1 reordering extent (positions back to the first earlier-received packet with a larger
/// number), section 4.3 reordering late time offset (arrival-time difference to that packet), section 5
/// n-reordering (how many immediately preceding arrivals carry larger numbers). The results match
/// <see cref="Rfc4737Metrics.Analyze"/> whenever extents stay within the horizon.
/// <para>Sequence distance: for a reordered packet, NextExp - 1 - s, the distance below the highest
/// number received so far. An anti-replay window of W accepts the packet only if that distance is
/// below W (net/xfrm/xfrm_replay.c: diff = top - seq; diff &gt;= replay_window is too old), so the
/// largest distance + 1 is the smallest window without "too old" drops.</para>
/// <para>Bounded memory: duplicates are recognised within <c>horizon</c> sequence numbers below NextExp;
/// extents and n-reordering look back at most <c>horizon</c> in-order packets and arrivals (longer ones
/// are clipped and counted in <see cref="ExtentsClipped"/>). Nothing is allocated after construction.</para>
/// </summary>
public sealed class Rfc4737Tracker
{
    public const int DefaultHorizon = 1 << 16;
    public const int DegreeBuckets = 64;

    readonly int _horizon;
    readonly ulong[] _seen;           // bit per sequence number in [NextExp - horizon, NextExp)
    readonly long[] _inOrderPos, _inOrderSeq, _inOrderTime;
    int _inOrderHead, _inOrderCount;
    bool _inOrderWrapped;
    readonly long[] _recent;          // the last arrivals' sequence numbers
    int _recentHead, _recentCount;
    long _nextExp;
    long _position;
    long _topSendTime = -1, _topArrival;

    public Rfc4737Tracker(long firstExpected, int horizon = DefaultHorizon)
    {
        if (horizon < 64 || (horizon & (horizon - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(horizon), "the horizon must be a power of two >= 64");
        _horizon = horizon;
        _seen = new ulong[horizon / 64];
        _inOrderPos = new long[horizon];
        _inOrderSeq = new long[horizon];
        _inOrderTime = new long[horizon];
        _recent = new long[horizon];
        _nextExp = firstExpected;
    }

    public long Received { get; private set; }
    public long Duplicates { get; private set; }
    public long Reordered { get; private set; }
    public long ExtentSum { get; private set; }
    public long MaxExtent { get; private set; }
    public long MaxSequenceDistance { get; private set; }
    /// <summary>Largest late time offset (section 4.3), in the caller's time unit (0 without arrival times).</summary>
    public long MaxLateTimeOffset { get; private set; }
    /// <summary>Largest one-way-delay excess of a reordered packet over the highest-numbered packet received before it (needs send times).</summary>
    public long MaxDelayExcess { get; private set; }
    public long ExtentsClipped { get; private set; }
    public long FirstArrival { get; private set; } = -1;
    public long LastArrival { get; private set; }
    /// <summary>DegreeCounts[d]: reordered packets whose n-reordering degree is d (the last bucket holds d &gt;= 63).</summary>
    public long[] DegreeCounts { get; } = new long[DegreeBuckets];

    public double ReorderedRatio => Received == 0 ? 0 : (double)Reordered / Received;
    public double MeanExtent => Reordered == 0 ? 0 : (double)ExtentSum / Reordered;

    /// <summary>Type-P-Packet-n-Reordering ratio (section 5) for 1 &lt;= n &lt; 64.</summary>
    public double NReorderingRatio(int n)
    {
        if (n is < 1 or >= DegreeBuckets) throw new ArgumentOutOfRangeException(nameof(n), "n-reordering is tracked for 1 <= n < 64");
        long c = 0;
        for (int d = n; d < DegreeBuckets; d++) c += DegreeCounts[d];
        return Received == 0 ? 0 : (double)c / Received;
    }

    /// <param name="seq">the packet's sequence number</param>
    /// <param name="arrival">its arrival time (any unit; 0 when unknown)</param>
    /// <param name="sent">its send time in the same unit, or -1 when unknown</param>
    public void Add(long seq, long arrival = 0, long sent = -1)
    {
        if (seq >= _nextExp)
        {
            Accept(seq, arrival);
            AdvanceSeen(seq);
            long pos = _position++;
            int slot = (_inOrderHead + _inOrderCount) % _horizon;
            if (_inOrderCount == _horizon)
            {
                _inOrderHead = (_inOrderHead + 1) % _horizon;
                _inOrderWrapped = true;
            }
            else _inOrderCount++;
            _inOrderPos[slot] = pos;
            _inOrderSeq[slot] = seq;
            _inOrderTime[slot] = arrival;
            _nextExp = seq + 1;
            _topSendTime = sent;
            _topArrival = arrival;
            Remember(seq);
            return;
        }
        long distance = _nextExp - 1 - seq;
        if (distance < _horizon)
        {
            long bit = seq & (_horizon - 1);
            ref ulong word = ref _seen[bit >> 6];
            ulong mask = 1UL << (int)(bit & 63);
            if ((word & mask) != 0)
            {
                Duplicates++;
                return;
            }
            word |= mask;
        }
        Accept(seq, arrival);
        long i = _position++;
        Reordered++;
        MaxSequenceDistance = Math.Max(MaxSequenceDistance, distance);
        // Section 4.2.1: the earliest in-order packet with a larger number (in-order numbers increase).
        int lo = 0, hi = _inOrderCount - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_inOrderSeq[(_inOrderHead + mid) % _horizon] > seq) hi = mid;
            else lo = mid + 1;
        }
        if (_inOrderCount > 0)
        {
            // (Without any in-order packet yet, only numbers below the first expected one arrived: extent 0.)
            int at = (_inOrderHead + lo) % _horizon;
            if (lo == 0 && _inOrderWrapped) ExtentsClipped++;
            long extent = i - _inOrderPos[at];
            ExtentSum += extent;
            MaxExtent = Math.Max(MaxExtent, extent);
            MaxLateTimeOffset = Math.Max(MaxLateTimeOffset, arrival - _inOrderTime[at]);
        }
        if (sent >= 0 && _topSendTime >= 0)
            MaxDelayExcess = Math.Max(MaxDelayExcess, (arrival - sent) - (_topArrival - _topSendTime));
        // Section 5: the run of immediately preceding arrivals with larger numbers.
        int degree = 0;
        while (degree < _recentCount && _recent[(_recentHead + _recentCount - 1 - degree) % _horizon] > seq) degree++;
        DegreeCounts[Math.Min(degree, DegreeBuckets - 1)]++;
        Remember(seq);
    }

    void Accept(long seq, long arrival)
    {
        Received++;
        if (FirstArrival < 0) FirstArrival = arrival;
        LastArrival = arrival;
    }

    void Remember(long seq)
    {
        int slot = (_recentHead + _recentCount) % _horizon;
        if (_recentCount == _horizon) _recentHead = (_recentHead + 1) % _horizon;
        else _recentCount++;
        _recent[slot] = seq;
    }

    /// <summary>Marks <paramref name="seq"/> seen and forgets the bits of numbers that fall below the horizon.</summary>
    void AdvanceSeen(long seq)
    {
        long from = _nextExp, to = seq; // clear bits for [from, to), set seq
        if (to - from >= _horizon) Array.Clear(_seen);
        else
        {
            for (long v = from; v < to; v++)
            {
                long bit = v & (_horizon - 1);
                _seen[bit >> 6] &= ~(1UL << (int)(bit & 63));
            }
        }
        long b = seq & (_horizon - 1);
        _seen[b >> 6] |= 1UL << (int)(b & 63);
    }
}
