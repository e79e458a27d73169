using CsCheck;
using Lab.Engine;

namespace Lab.Engine.Tests;

public class RadixQueueReferenceHeapTests
{
    [Fact]
    public void The_reference_heap_itself_pops_by_time_then_push_order()
    {
        var h = new ReferenceEventHeap();
        foreach (var (time, arg) in new[] { (5L, 1), (3L, 2), (5L, 3), (3L, 4), (9L, 5) })
            h.Push(new ScheduledEvent { Time = time, Arg = arg });
        Assert.False(h.TryPopBefore(3, out _)); // 3 is not before 3
        var order = new List<int>();
        while (h.TryPopBefore(long.MaxValue, out var e)) order.Add(e.Arg);
        Assert.Equal([2, 4, 1, 3, 5], order);
        Assert.Equal((9L, long.MaxValue), (h.LastPopped, h.PeekTime()));
    }

    /// <summary>
    /// Random schedule/pop sequences through the radix queue and the reference heap: every pop
    /// (including pops bounded by an end that refuses the earliest entry), every peek and the last
    /// popped time agree, and every field of every event comes back unchanged. Pushes are at or after
    /// the last popped time, as the simulator's are; delays span ties, picoseconds and up to 2^56 ps
    /// so every radix level is used, and bursts of equal times exercise the first-in first-out rule.
    /// </summary>
    [Fact]
    public void Random_schedule_and_pop_sequences_come_out_identically_from_both()
    {
        var op = Gen.Select(Gen.Int[0, 9], Gen.Long[0, long.MaxValue], Gen.Int[0, 4], Gen.Long[0, 1L << 40]);
        op.Array[1, 500].Sample(ops =>
        {
            var radix = new RadixEventQueue(4);
            var heap = new ReferenceEventHeap();
            int n = 0;
            foreach (var (scale, raw, pops, endOffset) in ops)
            {
                long now = heap.LastPopped;
                long delay = scale switch
                {
                    0 => 0,
                    1 => raw % 8,
                    2 => raw % 4_096,
                    3 => raw % 1_000_000,
                    4 => raw % (1L << 32),
                    5 => raw % (1L << 56),
                    6 => raw % 4 * 256,
                    _ => 0,
                };
                int copies = scale == 7 ? 40 : scale == 8 ? 3 : 1;
                for (int c = 0; c < copies; c++, n++)
                {
                    var e = new ScheduledEvent { Time = now + delay, Data = raw ^ n, Target = n % 7, Kind = n % 3, Arg = n, Timer = n % 5 - 1 };
                    radix.Push(e);
                    heap.Push(e);
                }
                // a bounded pop: the end may lie before, at or after the earliest entry
                long end = endOffset % 3 == 0 ? long.MaxValue : now + endOffset % (delay + 2);
                for (int p = 0; p < pops; p++)
                {
                    bool a = radix.TryPopBefore(end, out var got);
                    bool b = heap.TryPopBefore(end, out var want);
                    if (a != b || (a && !got.Equals(want)))
                        throw new InvalidOperationException($"pop before {end}: radix {a} {got.Time}/{got.Arg}, heap {b} {want.Time}/{want.Arg}, now {now}");
                    if (radix.PeekTime() != heap.PeekTime())
                        throw new InvalidOperationException($"peek after pop before {end} ({a}): radix {radix.PeekTime()}, heap {heap.PeekTime()}, now {now}");
                    if (a && radix.LastPopped != heap.LastPopped)
                        throw new InvalidOperationException($"last popped: radix {radix.LastPopped}, heap {heap.LastPopped}");
                }
            }
            while (heap.TryPopBefore(long.MaxValue, out var want))
            {
                if (!radix.TryPopBefore(long.MaxValue, out var got) || !got.Equals(want)) return false;
                if (radix.PeekTime() != heap.PeekTime() || radix.LastPopped != heap.LastPopped) return false;
            }
            return heap.Count == 0 && !radix.TryPopBefore(long.MaxValue, out _);
        }, iter: 3000);
    }
}

public class RadixQueueRefusedPopTests
{
    [Fact]
    public void A_pop_refused_by_its_end_leaves_room_for_an_earlier_push_on_the_same_level()
    {
        // Found by the reference heap. 1850 = 0x73A is popped; 2618 = 0xA3A and 2619 differ from it first in
        // byte 1: two entries in level 1, digit 0x0A, few enough to be drained in place. A pop before 1917 is
        // refused. 2106 = 0x83A, pushed next, lands on level 1 too, at digit 0x08, below the other bucket:
        // it is the earliest entry and must be peeked and popped first.
        var q = new RadixEventQueue();
        q.Push(new ScheduledEvent { Time = 1850, Arg = 1 });
        Assert.True(q.TryPopBefore(long.MaxValue, out _));
        q.Push(new ScheduledEvent { Time = 2618, Arg = 2 });
        q.Push(new ScheduledEvent { Time = 2619, Arg = 3 });
        Assert.False(q.TryPopBefore(1917, out _));
        q.Push(new ScheduledEvent { Time = 2106, Arg = 4 });
        Assert.Equal(2106, q.PeekTime());
        var order = new List<(long, int)>();
        while (q.TryPopBefore(long.MaxValue, out var e)) order.Add((e.Time, e.Arg));
        Assert.Equal([(2106L, 4), (2618, 2), (2619, 3)], order);
    }

    [Fact]
    public void The_simulator_runs_an_event_scheduled_after_a_run_stopped_before_later_ones()
    {
        var sim = new Simulator();
        var seen = new List<long>();
        int id = sim.Register(new At(sim, seen));
        sim.Schedule(1850, id);
        sim.RunUntil(1851);
        sim.Schedule(2618, id);
        sim.Schedule(2619, id);
        sim.RunUntil(1917);
        sim.Schedule(2106, id);
        sim.RunUntil(long.MaxValue);
        Assert.Equal([1850L, 2106, 2618, 2619], seen);
    }

    sealed class At(Simulator sim, List<long> seen) : IEventTarget
    {
        public void OnEvent(int kind, int arg, long data) => seen.Add(sim.Now);
    }
}
