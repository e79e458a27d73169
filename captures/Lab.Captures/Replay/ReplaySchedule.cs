namespace Lab.Captures.Replay;

/// <summary>
/// When each packet is due, in nanoseconds after the first: a pure function of the timing,
/// the capture's timestamps and the frame lengths (no clock), so it is tested exactly.
/// <list type="bullet">
/// <item>original: the timestamp minus the first timestamp of the pass; a timestamp that goes
/// backwards is sent at once (never earlier than the packet before); pass k+1 starts at the
/// due time of the last packet of pass k (no gap between loops, as tcpreplay --loop).</item>
/// <item>pps:N: packet i is due at i/N seconds.</item>
/// <item>mbps:N: a packet is due once the bits before it would have been sent at N Mbit/s.</item>
/// <item>topspeed: everything is due at once.</item>
/// </list>
/// </summary>
public struct ReplaySchedule
{
    readonly ReplayTiming _timing;
    long _firstTimestamp;
    long _loopBase;
    long _lastDue;
    long _packets;
    double _bits;

    public ReplaySchedule(ReplayTiming timing)
    {
        _timing = timing;
        _firstTimestamp = long.MinValue;
        _loopBase = 0;
        _lastDue = 0;
        _packets = 0;
        _bits = 0;
    }

    /// <summary>The due time of the latest packet: the replay's scheduled duration so far.</summary>
    public readonly long LastDue => _lastDue;

    public long Next(long timestampNanoseconds, int frameLength)
    {
        long due;
        switch (_timing.Kind)
        {
            case ReplayTimingKind.Original:
                if (_firstTimestamp == long.MinValue) _firstTimestamp = timestampNanoseconds;
                due = _loopBase + (timestampNanoseconds - _firstTimestamp);
                break;
            case ReplayTimingKind.PacketsPerSecond:
                due = (long)Math.Round(_packets * 1e9 / _timing.Rate);
                break;
            case ReplayTimingKind.MegabitsPerSecond:
                due = (long)Math.Round(_bits * 1e3 / _timing.Rate);
                _bits += frameLength * 8.0;
                break;
            default:
                due = 0;
                break;
        }
        _packets++;
        if (due < _lastDue) due = _lastDue;
        _lastDue = due;
        return due;
    }

    /// <summary>Call before the first packet of the next pass over the capture.</summary>
    public void StartNextLoop()
    {
        _loopBase = _lastDue;
        _firstTimestamp = long.MinValue;
    }
}
