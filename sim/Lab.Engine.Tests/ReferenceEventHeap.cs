using Lab.Engine;

namespace Lab.Engine.Tests;

/// <summary>
/// A second oracle for <see cref="RadixEventQueue"/>, small enough to check by eye: a binary
/// min-heap of (time, push sequence) keys, i.e. the order the engine guarantees (earliest time
/// first, equal times in the order they were pushed). No buckets, no levels, no monotonicity
/// needed: every push gets the next sequence number, every pop takes the smallest key.
/// </summary>
sealed class ReferenceEventHeap
{
    readonly List<(long Time, long Seq, ScheduledEvent Event)> _heap = [];
    long _seq;

    public int Count => _heap.Count;

    /// <summary>The time of the last popped entry (0 before any pop, as the radix queue starts).</summary>
    public long LastPopped { get; private set; }

    public void Push(in ScheduledEvent e)
    {
        _heap.Add((e.Time, _seq++, e));
        int i = _heap.Count - 1;
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Less(i, parent)) break;
            (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
            i = parent;
        }
    }

    public long PeekTime() => _heap.Count == 0 ? long.MaxValue : _heap[0].Time;

    /// <summary>Pops the smallest key if its time is before <paramref name="end"/>.</summary>
    public bool TryPopBefore(long end, out ScheduledEvent e)
    {
        if (_heap.Count == 0 || _heap[0].Time >= end)
        {
            e = default;
            return false;
        }
        e = _heap[0].Event;
        LastPopped = e.Time;
        _heap[0] = _heap[^1];
        _heap.RemoveAt(_heap.Count - 1);
        int i = 0;
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, smallest = i;
            if (left < _heap.Count && Less(left, smallest)) smallest = left;
            if (right < _heap.Count && Less(right, smallest)) smallest = right;
            if (smallest == i) return true;
            (_heap[i], _heap[smallest]) = (_heap[smallest], _heap[i]);
            i = smallest;
        }
    }

    bool Less(int a, int b) =>
        _heap[a].Time < _heap[b].Time || (_heap[a].Time == _heap[b].Time && _heap[a].Seq < _heap[b].Seq);
}
