using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Lab.Core;

namespace Lab.Engine;

/// <summary>
/// A monotone priority queue of events: a radix heap (Ahuja, Mehlhorn, Orlin and
/// Tarjan 1990) with 256-way digits, valid because a discrete-event simulation never schedules
/// into the past. An entry sits at level L, the index of the highest byte in which its time
/// differs from the last popped time, in the bucket named by that byte of its time. Level 0
/// buckets therefore hold entries of one exact time each and are popped first-in first-out.
/// Push is an append; popping refills level 0 from the lowest non-empty bucket, so an entry
/// moves at most seven times over its life (one or two in practice), with a per-level
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

    /// <summary>
    /// A bucket's array, fill, earliest time and (at level 0 only) the next entry to pop, side by
    /// side so that placing an entry touches one cache line of bookkeeping. Keeping the earliest
    /// time as entries arrive spares a refill a pass over the bucket to find it.
    /// </summary>
    struct Bucket
    {
        public ScheduledEvent[] Items;
        public long Min;
        public int Count;
        public int Head;
    }

    readonly Bucket[] _buckets = new Bucket[Levels * BucketsPerLevel];
    readonly ulong[] _bitmaps = new ulong[Levels * 4];
    uint _levelMask;
    long _last;

    public RadixEventQueue(int initialCapacity = 64)
    {
        // Buckets start small and grow to the working set: with 2,048 of them, sizing each for
        // the whole population would touch far more memory than the events need.
        _baseLength = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(initialCapacity / 256, 4, 64));
        for (int i = 0; i < _buckets.Length; i++) _buckets[i].Items = new ScheduledEvent[_baseLength];
        for (int i = 0; i < _spares.Length; i++) _spares[i] = new Stack<ScheduledEvent[]>();
    }

    // Bucket arrays circulate: a bucket emptied by a refill gives a large array back and takes
    // a small one, and a bucket that outgrows its array takes the next size from the spares.
    // The arrays in use never exceed what the largest simultaneous occupancies need, so once
    // the pools hold that much nothing is allocated, however long the run.
    readonly int _baseLength;
    readonly Stack<ScheduledEvent[]>[] _spares = new Stack<ScheduledEvent[]>[32];

    // A bucket keeps an array of up to this many entries (8 KiB) when it is emptied: refilled
    // buckets of the lower levels fill up again within microseconds of simulated time, and
    // growing them anew each time (copying 1 + 2 + 4 ... of their entries) cost more than the
    // moves themselves. Only larger arrays go back to the spares.
    const int KeepLength = 256;

    int SizeClass(int length) => BitOperations.Log2((uint)(length / _baseLength));

    ScheduledEvent[] Take(int sizeClass) =>
        _spares[sizeClass].TryPop(out var a) ? a : new ScheduledEvent[_baseLength << sizeClass];

    /// <summary>The time of the last popped entry; no entry may be pushed before it.</summary>
    public long LastPopped => _last;

    // The hot paths index with Unsafe.Add: every index is a level (0..7) times 256 plus a byte,
    // or a bitmap word level * 4 + 0..3, in range by construction.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ref Bucket BucketAt(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buckets), index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ref ulong Word(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_bitmaps), index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(in ScheduledEvent e)
    {
        if (e.Time < _last) ThrowPast(e.Time);
        Place(in e);
    }

    /// <summary>
    /// <see cref="Push"/> for a caller that has already refused times before <see cref="LastPopped"/>
    /// (the simulator checks against its clock, which never runs behind the last popped time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void PushChecked(in ScheduledEvent e)
    {
        Place(in e);
    }

    /// <summary>Pops the earliest entry if its time is before <paramref name="end"/>.</summary>
    public bool TryPopBefore(long end, out ScheduledEvent e)
    {
        ref ScheduledEvent popped = ref Pop(end);
        if (Unsafe.IsNullRef(ref popped))
        {
            e = default;
            return false;
        }
        e = popped;
        return true;
    }

    /// <summary>
    /// Pops the earliest entry if its time is before <paramref name="end"/> and returns where it
    /// still lies (its bucket's slot, which no one writes before the next push), or a null
    /// reference. The simulator reads the fields it needs from there instead of copying the whole
    /// entry out first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref ScheduledEvent Pop(long end)
    {
        if (_drain >= 0 && DrainIsEarliest()) return ref PopDrain(end);
        if ((_levelMask & 1) == 0)
        {
            if (_levelMask == 0) return ref Unsafe.NullRef<ScheduledEvent>();
            int index = LowestBucket(BitOperations.TrailingZeroCount(_levelMask));
            ref Bucket k = ref BucketAt(index);
            if (k.Count == 1)
            {
                // The common case when events are spread out: a bucket holding one entry is the
                // minimum itself, with no need to pass it through level 0.
                ref ScheduledEvent only = ref MemoryMarshal.GetArrayDataReference(k.Items);
                if (only.Time >= end) return ref Unsafe.NullRef<ScheduledEvent>();
                _last = only.Time;
                k.Count = 0;
                ClearBit(index);
                return ref only;
            }
            if (k.Count <= DrainLimit && _drain < 0)
            {
                // Only a bucket that gives up an entry now becomes the drain: until one of its
                // entries is popped, the last popped time differs from it on its level, and a push
                // can still land below it on that level, where DrainIsEarliest does not look.
                if (k.Min >= end) return ref Unsafe.NullRef<ScheduledEvent>();
                _drain = index;
                return ref PopDrain(end);
            }
            if (!Refill(index, end)) return ref Unsafe.NullRef<ScheduledEvent>();
        }
        int b = LowestBucket(0);
        ref Bucket z = ref BucketAt(b);
        ref ScheduledEvent head = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(z.Items), z.Head);
        if (head.Time >= end) return ref Unsafe.NullRef<ScheduledEvent>();
        // Entries at level 0 share every byte but the lowest with the last popped time, and those
        // above differ from it in a higher byte: moving it up to this entry keeps both true.
        _last = head.Time;
        if (++z.Head == z.Count)
        {
            z.Head = 0;
            z.Count = 0;
            ClearBit(b);
        }
        return ref head;
    }

    // A bucket above level 0 with a few entries is popped where it is, earliest first, instead of
    // being spread over level 0 (a refill, then a pop per entry there). Once one of its entries
    // is popped no push can land in it (a push lands in a bucket whose digit differs from the
    // last popped time's, and this bucket's is the same), but pushes can land on the levels
    // below it, inside its range: each pop takes the earlier of its minimum and theirs, and on a
    // tie its own, pushed before any of theirs. One such bucket at a time.
    const int DrainLimit = 4;
    int _drain = -1;

    /// <summary>Whether the bucket being drained holds the earliest entry (no level below it has an earlier one).</summary>
    bool DrainIsEarliest()
    {
        uint below = _levelMask & ((1u << (_drain >> 8)) - 1);
        if (below == 0) return true;
        int level = BitOperations.TrailingZeroCount(below);
        ref Bucket low = ref BucketAt(LowestBucket(level));
        long lowMin = level == 0 ? low.Items[low.Head].Time : low.Min;
        return BucketAt(_drain).Min <= lowMin;
    }

    /// <summary>Pops the first entry with the earliest time from the bucket being drained.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    ref ScheduledEvent PopDrain(long end)
    {
        ref Bucket k = ref BucketAt(_drain);
        long min = k.Min;
        if (min >= end) return ref Unsafe.NullRef<ScheduledEvent>();
        ScheduledEvent[] a = k.Items;
        int n = k.Count;
        int at = 0;
        while (a[at].Time != min) at++;
        // The entries after it move up over its slot: hand it out from a copy.
        _drained = a[at];
        _last = min;
        for (int i = at + 1; i < n; i++) a[i - 1] = a[i];
        k.Count = --n;
        int level = _drain >> 8;
        if ((_levelMask & ((1u << level) - 1)) > 1) Resettle(level);
        if (n == 0)
        {
            ClearBit(_drain);
            _drain = -1;
            return ref _drained;
        }
        long next = long.MaxValue;
        for (int i = 0; i < n; i++)
        {
            if (a[i].Time < next) next = a[i].Time;
        }
        k.Min = next;
        return ref _drained;
    }

    ScheduledEvent _drained;

    /// <summary>
    /// Restores the placement rule below a drained bucket after its pop moved the last popped
    /// time forward. Entries pushed below it during the drain were placed against an earlier last
    /// time; each level can now hold one bucket whose digit equals the new last time's (a bucket
    /// that a plain radix heap never has, because it refills only the lowest level). Every entry
    /// there is at or after the new last time (the drain pops only when it is the earliest), so it
    /// belongs lower: moving it keeps equal times in one bucket, in push order.
    /// </summary>
    void Resettle(int drainLevel)
    {
        for (int level = drainLevel - 1; level >= 1; level--)
        {
            int index = (level << 8) | (int)((ulong)_last >> (level << 3)) & 0xFF;
            if (BucketAt(index).Count != 0) Redistribute(index);
        }
    }

    /// <summary>The earliest time without removing it, or <see cref="long.MaxValue"/> when empty.</summary>
    public long PeekTime()
    {
        if (_drain >= 0 && DrainIsEarliest()) return BucketAt(_drain).Min;
        if (_levelMask == 0) return long.MaxValue;
        int level = BitOperations.TrailingZeroCount(_levelMask);
        ref Bucket k = ref _buckets[LowestBucket(level)];
        return level == 0 ? k.Items[k.Head].Time : k.Min;
    }

    /// <summary>Moves the lowest non-empty bucket down into lower levels, unless its minimum is at or after end.</summary>
    // Kept out of line: inlined into the simulator's loop, its registers pushed the hot path's
    // locals onto the stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    bool Refill(int index, long end)
    {
        ref Bucket k = ref BucketAt(index);
        long min = k.Min;
        if (min >= end) return false;
        _last = min;
        Redistribute(index);
        return true;
    }

    /// <summary>Empties a bucket into the levels below it, placing each entry against the last popped time.</summary>
    void Redistribute(int index)
    {
        ref Bucket k = ref BucketAt(index);
        ScheduledEvent[] src = k.Items;
        int n = k.Count;
        k.Count = 0;
        ClearBit(index);
        // Every entry of the bucket now differs from the new last time below this level, so none
        // lands back in this bucket: reading src while placing is safe.
        ref ScheduledEvent first = ref MemoryMarshal.GetArrayDataReference(src);
        for (int i = 0; i < n; i++) Place(in Unsafe.Add(ref first, i));
        if (src.Length > KeepLength)
        {
            _spares[SizeClass(src.Length)].Push(src);
            k.Items = Take(0);
        }
    }

    // A bucket index is level * 256 + digit, so it alone names the bitmap word (index / 64),
    // the bit (index % 64) and the level (index / 256): the hot paths carry nothing else.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Place(in ScheduledEvent e)
    {
        long time = e.Time;
        int level = BitOperations.Log2((ulong)(time ^ _last) | 1) >> 3;
        int index = (level << 8) | (int)((ulong)time >> (level << 3)) & 0xFF;
        ref Bucket k = ref BucketAt(index);
        int n = k.Count;
        ScheduledEvent[] a = k.Items;
        // Every bucket has a free slot: the one that fills its array grows it afterwards, when
        // nothing of the hot path is needed any more.
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), n) = e;
        k.Count = n + 1;
        if (n == 0)
        {
            k.Min = time;
            SetBit(index);
        }
        else if (time < k.Min) k.Min = time;
        if (n + 1 == a.Length) Grow(index);
    }

    /// <summary>Moves a full bucket to an array twice the size (from the spares when there is one).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    void Grow(int index)
    {
        ref Bucket k = ref BucketAt(index);
        var old = k.Items;
        int sizeClass = SizeClass(old.Length);
        var bigger = Take(sizeClass + 1);
        Array.Copy(old, bigger, k.Count);
        _spares[sizeClass].Push(old);
        k.Items = bigger;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void SetBit(int index)
    {
        Word(index >> 6) |= 1UL << index;
        _levelMask |= 1u << (index >> 8);
    }

    /// <summary>The index of the lowest non-empty bucket of a non-empty level.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int LowestBucket(int level)
    {
        int first = level << 8;
        ref ulong w = ref Word(level << 2);
        if (w != 0) return first + BitOperations.TrailingZeroCount(w);
        if (Unsafe.Add(ref w, 1) != 0) return first + 64 + BitOperations.TrailingZeroCount(Unsafe.Add(ref w, 1));
        if (Unsafe.Add(ref w, 2) != 0) return first + 128 + BitOperations.TrailingZeroCount(Unsafe.Add(ref w, 2));
        return first + 192 + BitOperations.TrailingZeroCount(Unsafe.Add(ref w, 3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ClearBit(int index)
    {
        Word(index >> 6) &= ~(1UL << index);
        ref ulong w = ref Word((index >> 8) << 2);
        if ((w | Unsafe.Add(ref w, 1) | Unsafe.Add(ref w, 2) | Unsafe.Add(ref w, 3)) == 0)
            _levelMask &= ~(1u << (index >> 8));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ThrowPast(long time) =>
        throw new InvalidOperationException($"cannot schedule at {SimTime.Format(time)}, before the current time {SimTime.Format(_last)}");
}
