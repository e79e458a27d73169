using System.Numerics;
using System.Runtime.CompilerServices;

namespace Lab.Engine;

/// <summary>
/// A monotone priority queue of events: a radix heap (Ahuja, Mehlhorn, Orlin and
/// Tarjan 1990) with 256-way digits, valid because a discrete-event simulation never schedules
/// into the past. An entry sits at level L, the index of the highest byte in which its time
/// differs from the last popped time, in the bucket named by that byte of its time. Level 0
/// buckets therefore hold entries of one exact time each and are popped first-in first-out.
/// Push is an append; popping refills level 0 from the lowest non-empty bucket, so an entry
/// moves at most seven times over its life (two or three in practice), with a per-level
/// bitmap finding the lowest non-empty bucket in a few instructions.
///
/// Equal times pop in insertion order: an entry's bucket is a function of its time and the
/// last popped time, so equal times always share a bucket; appends keep order, and
/// redistribution goes into empty lower levels in order. The simulator relies on this for its
/// (time, insertion sequence) ordering.
/// </summary>
public sealed class RadixEventQueue
{

    const int Levels = 8;
    const int BucketsPerLevel = 256;

    readonly ScheduledEvent[][] _buckets = new ScheduledEvent[Levels * BucketsPerLevel][];
    readonly int[] _counts = new int[Levels * BucketsPerLevel];
    readonly int[] _heads0 = new int[BucketsPerLevel];
    readonly ulong[] _bitmaps = new ulong[Levels * 4];
    uint _levelMask;
    long _last;

    public RadixEventQueue(int initialCapacity = 64)
    {
        // Buckets start small and grow to the working set: with 2,048 of them, sizing each for
        // the whole population would touch far more memory than the events need.
        _baseLength = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(initialCapacity / 256, 4, 64));
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] = new ScheduledEvent[_baseLength];
        for (int i = 0; i < _spares.Length; i++) _spares[i] = new Stack<ScheduledEvent[]>();
    }

    // Bucket arrays circulate: a bucket emptied by a refill gives its large array back and takes
    // a small one, and a bucket that outgrows its array takes the next size from the spares.
    // The arrays in use never exceed what the largest simultaneous occupancies need, so once
    // the pools hold that much nothing is allocated, however long the run.
    readonly int _baseLength;
    readonly Stack<ScheduledEvent[]>[] _spares = new Stack<ScheduledEvent[]>[32];

    int SizeClass(int length) => BitOperations.Log2((uint)(length / _baseLength));

    ScheduledEvent[] Take(int sizeClass) =>
        _spares[sizeClass].TryPop(out var a) ? a : new ScheduledEvent[_baseLength << sizeClass];

    public int Count { get; private set; }

    /// <summary>The time of the last popped entry; no entry may be pushed before it.</summary>
    public long LastPopped => _last;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(in ScheduledEvent e)
    {
        if (e.Time < _last) ThrowPast(e.Time);
        Place(in e);
        Count++;
    }

    /// <summary>Pops the earliest entry if its time is before <paramref name="end"/>.</summary>
    public bool TryPopBefore(long end, out ScheduledEvent e)
    {
        if ((_levelMask & 1) == 0)
        {
            if (_levelMask == 0)
            {
                e = default;
                return false;
            }
            int level = BitOperations.TrailingZeroCount(_levelMask);
            int bucket = LowestBucket(level);
            int index = level * BucketsPerLevel + bucket;
            if (_counts[index] == 1)
            {
                // The common case when events are spread out: a bucket holding one entry is the
                // minimum itself, with no need to pass it through level 0.
                ref ScheduledEvent only = ref _buckets[index][0];
                if (only.Time >= end)
                {
                    e = default;
                    return false;
                }
                e = only;
                _last = e.Time;
                _counts[index] = 0;
                ClearBit(level, bucket);
                Count--;
                return true;
            }
            if (!Refill(level, bucket, end))
            {
                e = default;
                return false;
            }
        }
        int b = LowestBucket(0);
        ref ScheduledEvent head = ref _buckets[b][_heads0[b]];
        if (head.Time >= end)
        {
            e = default;
            return false;
        }
        e = head;
        // Entries at level 0 share every byte but the lowest with the last popped time, and those
        // above differ from it in a higher byte: moving it up to this entry keeps both true.
        _last = e.Time;
        if (++_heads0[b] == _counts[b])
        {
            _heads0[b] = 0;
            _counts[b] = 0;
            ClearBit(0, b);
        }
        Count--;
        return true;
    }

    /// <summary>The earliest time without removing it, or <see cref="long.MaxValue"/> when empty.</summary>
    public long PeekTime()
    {
        if (_levelMask == 0) return long.MaxValue;
        int level = BitOperations.TrailingZeroCount(_levelMask);
        int b = LowestBucket(level);
        if (level == 0) return _buckets[b][_heads0[b]].Time;
        return MinOf(level * BucketsPerLevel + b);
    }

    /// <summary>Moves the lowest non-empty bucket down into level 0, unless its minimum is at or after end.</summary>
    bool Refill(int level, int bucket, long end)
    {
        int index = level * BucketsPerLevel + bucket;
        long min = MinOf(index);
        if (min >= end) return false;
        _last = min;
        ScheduledEvent[] src = _buckets[index];
        int n = _counts[index];
        _counts[index] = 0;
        ClearBit(level, bucket);
        for (int i = 0; i < n; i++) Place(in src[i]);
        if (src.Length > _baseLength)
        {
            _spares[SizeClass(src.Length)].Push(src);
            _buckets[index] = Take(0);
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Place(in ScheduledEvent e)
    {
        ulong diff = (ulong)(e.Time ^ _last) | 1;
        int level = (63 - BitOperations.LeadingZeroCount(diff)) >> 3;
        int b = (int)((ulong)e.Time >> (level * 8)) & 0xFF;
        int index = level * BucketsPerLevel + b;
        ScheduledEvent[] a = _buckets[index];
        int n = _counts[index];
        if (n == a.Length) a = Grow(index);
        a[n] = e;
        _counts[index] = n + 1;
        _bitmaps[level * 4 + (b >> 6)] |= 1UL << (b & 63);
        _levelMask |= 1u << level;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int LowestBucket(int level)
    {
        int w = level * 4;
        if (_bitmaps[w] != 0) return BitOperations.TrailingZeroCount(_bitmaps[w]);
        if (_bitmaps[w + 1] != 0) return 64 + BitOperations.TrailingZeroCount(_bitmaps[w + 1]);
        if (_bitmaps[w + 2] != 0) return 128 + BitOperations.TrailingZeroCount(_bitmaps[w + 2]);
        return 192 + BitOperations.TrailingZeroCount(_bitmaps[w + 3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ClearBit(int level, int b)
    {
        int w = level * 4 + (b >> 6);
        _bitmaps[w] &= ~(1UL << (b & 63));
        if ((_bitmaps[level * 4] | _bitmaps[level * 4 + 1] | _bitmaps[level * 4 + 2] | _bitmaps[level * 4 + 3]) == 0)
            _levelMask &= ~(1u << level);
    }

    long MinOf(int index)
    {
        ScheduledEvent[] a = _buckets[index];
        int n = _counts[index];
        long min = long.MaxValue;
        for (int i = 0; i < n; i++)
        {
            if (a[i].Time < min) min = a[i].Time;
        }
        return min;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    ScheduledEvent[] Grow(int index)
    {
        var old = _buckets[index];
        int sizeClass = SizeClass(old.Length);
        var bigger = Take(sizeClass + 1);
        Array.Copy(old, bigger, _counts[index]);
        _spares[sizeClass].Push(old);
        _buckets[index] = bigger;
        return bigger;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ThrowPast(long time) =>
        throw new InvalidOperationException($"cannot schedule at {SimTime.Format(time)}, before the current time {SimTime.Format(_last)}");
}
