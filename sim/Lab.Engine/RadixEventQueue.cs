using System.Numerics;
using System.Runtime.CompilerServices;

namespace Lab.Engine;

/// <summary>
/// A monotone priority queue of (time, slot) entries: a radix heap (Ahuja, Mehlhorn, Orlin and
/// Tarjan 1990) over 64-bit times, which is valid because a discrete-event simulation never
/// schedules into the past. Bucket 0 holds entries equal to the last popped time; bucket i
/// holds entries whose highest bit differing from it is bit i-1. Push is O(1) (an append);
/// an entry moves to a lower bucket at most 64 times over its life and usually a few.
///
/// Equal times pop in insertion order: entries with the same time always share a bucket,
/// appends keep order, and redistribution into the (then empty) lower buckets is stable.
/// The simulator relies on this for its (time, insertion sequence) ordering.
/// </summary>
public sealed class RadixEventQueue
{
    struct Entry
    {
        public long Time;
        public int Slot;
    }

    readonly Entry[][] _buckets = new Entry[65][];
    readonly int[] _counts = new int[65];
    int _head0;
    ulong _nonEmpty; // bit i-1 set when bucket i (1..64) holds entries
    long _last;

    public RadixEventQueue(int initialCapacity = 64)
    {
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] = new Entry[Math.Max(4, initialCapacity / 8)];
    }

    public int Count { get; private set; }

    /// <summary>The time of the last popped entry; no entry may be pushed before it.</summary>
    public long LastPopped => _last;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(long time, int slot)
    {
        if (time < _last) ThrowPast(time);
        int b = BucketOf(time);
        Append(b, time, slot);
        if (b != 0) _nonEmpty |= 1UL << (b - 1);
        Count++;
    }

    /// <summary>Pops the earliest entry if its time is before <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPopBefore(long end, out long time, out int slot)
    {
        if (_head0 == _counts[0] && !Refill(end))
        {
            time = 0;
            slot = -1;
            return false;
        }
        ref Entry e = ref _buckets[0][_head0];
        if (e.Time >= end)
        {
            time = 0;
            slot = -1;
            return false;
        }
        time = e.Time;
        slot = e.Slot;
        _head0++;
        Count--;
        return true;
    }

    /// <summary>The earliest time without removing it, or <see cref="long.MaxValue"/> when empty.</summary>
    public long PeekTime()
    {
        if (_head0 < _counts[0]) return _buckets[0][_head0].Time;
        if (_nonEmpty == 0) return long.MaxValue;
        int b = BitOperations.TrailingZeroCount(_nonEmpty) + 1;
        return MinOf(b);
    }

    /// <summary>Moves the lowest non-empty bucket into bucket 0 and below, unless its minimum is at or after end.</summary>
    bool Refill(long end)
    {
        _head0 = 0;
        _counts[0] = 0;
        if (_nonEmpty == 0) return false;
        int b = BitOperations.TrailingZeroCount(_nonEmpty) + 1;
        long min = MinOf(b);
        if (min >= end) return false;
        _last = min;
        Entry[] src = _buckets[b];
        int n = _counts[b];
        _counts[b] = 0;
        _nonEmpty &= ~(1UL << (b - 1));
        for (int i = 0; i < n; i++)
        {
            int nb = BucketOf(src[i].Time);
            Append(nb, src[i].Time, src[i].Slot);
            if (nb != 0) _nonEmpty |= 1UL << (nb - 1);
        }
        return true;
    }

    long MinOf(int b)
    {
        Entry[] a = _buckets[b];
        int n = _counts[b];
        long min = long.MaxValue;
        for (int i = 0; i < n; i++)
        {
            if (a[i].Time < min) min = a[i].Time;
        }
        return min;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int BucketOf(long time) => time == _last ? 0 : 64 - BitOperations.LeadingZeroCount((ulong)(time ^ _last));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Append(int b, long time, int slot)
    {
        Entry[] a = _buckets[b];
        int n = _counts[b];
        if (n == a.Length) a = Grow(b);
        a[n].Time = time;
        a[n].Slot = slot;
        _counts[b] = n + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    Entry[] Grow(int b)
    {
        var bigger = new Entry[_buckets[b].Length * 2];
        Array.Copy(_buckets[b], bigger, _counts[b]);
        _buckets[b] = bigger;
        return bigger;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ThrowPast(long time) =>
        throw new InvalidOperationException($"cannot schedule at {SimTime.Format(time)}, before the current time {SimTime.Format(_last)}");
}
