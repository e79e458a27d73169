using Lab.Core;

namespace Lab.Netfilter.Conntrack;

/// <summary>
/// gc_worker of nf_conntrack_core.c in its 5.17+ form ("revisit gc autotuning"; kernel 6.12): each run
/// walks the buckets from where the last run stopped, frees expired entries (at most
/// GC_SCAN_EXPIRED_MAX = 64000 / HZ per run, then re-arms one jiffy later), and computes the next run
/// from the average remaining timeout of the entries it saw (clamped to 1..300 s per entry, starting
/// from a bias of 100 entries at 60 s), clamped to [1 s, 60 s]. When an allocation failed because the
/// table was full, the next run also kills non-assured (and closing TCP) entries while the count is
/// at or above 95 % of nf_conntrack_max. Offloaded entries are skipped (the flowtable owns them).
/// Not modelled: the 10 ms real-time budget per run (simulated time does not pass during the walk).
/// </summary>
public sealed partial class ConntrackTable
{
    /// <summary>GC_SCAN_INTERVAL_MAX: the longest the gc worker waits between runs.</summary>
    public const long GcIntervalMax = 60 * SimTime.Second;

    /// <summary>GC_SCAN_INTERVAL_MIN: the shortest.</summary>
    public const long GcIntervalMin = SimTime.Second;
    static readonly long GcIntervalClamp = 300 * SimTime.Second;
    const int GcInitialCount = 100;

    int _gcNextBucket;
    long _gcAvgTimeout;
    long _gcCount;
    long _gcStartTime;
    bool _gcEarlyDrop;
    long _gcNextRunAt;

    /// <summary>When the gc worker runs next (the caller schedules <see cref="RunGc"/> at this time).</summary>
    public long NextGcRunAt => _gcNextRunAt;

    long Jiffy => SimTime.Second / Config.Hz;

    /// <summary>One gc_worker run at <paramref name="now"/>; returns (and remembers) the time of the next run.</summary>
    public long RunGc(long now)
    {
        int expiredMax = 64000 / Config.Hz;
        int max95 = _gcEarlyDrop ? Config.Max / 100 * 95 : 0;
        int i = _gcNextBucket;
        if (i == 0)
        {
            _gcAvgTimeout = GcIntervalMax;
            _gcCount = GcInitialCount;
            _gcStartTime = now;
        }
        long nextRun = _gcAvgTimeout;
        long count = _gcCount;
        int expired = 0;

        for (; i < _heads.Length; i++)
        {
            for (int node = _heads[i]; node >= 0; node = _next[node])
            {
                if (_prev[node] == Unlinked) continue;
                int id = node >> 1;
                ref var e = ref _e[id];
                if (e.Is(ConntrackStatus.Offload)) continue;
                if (expired > expiredMax)
                {
                    _gcNextBucket = i;
                    _gcAvgTimeout = nextRun;
                    _gcCount = count;
                    // re-arm immediately (one jiffy) unless the whole cycle already took longer than 60 s
                    long delta = now - _gcStartTime;
                    long again = delta < GcIntervalMax ? Jiffy : 0;
                    if (again != 0) _gcEarlyDrop = false;
                    return _gcNextRunAt = now + again;
                }
                if (Expired(e, now))
                {
                    GcExpired(id);
                    Stats.LabExpiredByGc++;
                    expired++;
                    continue;
                }
                long expires = Math.Clamp(e.Timeout - now, GcIntervalMin, GcIntervalClamp);
                nextRun += (expires - nextRun) / ++count;

                if (max95 == 0 || !e.Is(ConntrackStatus.Confirmed) || e.Is(ConntrackStatus.Dying)) continue;
                if (_count < max95) continue;
                bool canDrop = !e.Is(ConntrackStatus.Assured)
                    || (e.Orig.Proto == IpProto.Tcp && TcpConntrack.CanEarlyDrop(e.TcpState));
                if (canDrop && Kill(id))
                {
                    Stats.LabGcEarlyDropped++;
                    expired++;
                }
            }
        }

        _gcNextBucket = 0;
        nextRun = Math.Clamp(nextRun, GcIntervalMin, GcIntervalMax);
        long spent = Math.Max(now - _gcStartTime, Jiffy);
        nextRun = nextRun > spent ? nextRun - spent : Jiffy;
        _gcEarlyDrop = false;
        return _gcNextRunAt = now + nextRun;
    }
}
