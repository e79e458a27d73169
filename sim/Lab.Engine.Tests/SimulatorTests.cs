using CsCheck;
using Lab.Engine;

namespace Lab.Engine.Tests;

public class SimulatorTests
{
    sealed class Recorder : IEventTarget
    {
        readonly Simulator sim;
        public readonly List<(long Time, int Arg)> Seen = [];
        public readonly int Id;

        public Recorder(Simulator sim)
        {
            this.sim = sim;
            Id = sim.Register(this);
        }

        public void OnEvent(int kind, int arg, long data) => Seen.Add((sim.Now, arg));
    }

    [Fact]
    public void Equal_times_run_in_insertion_order_and_times_in_order()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        sim.Schedule(30, r.Id, arg: 1);
        sim.ScheduleTimer(10, r.Id, arg: 2);
        sim.Schedule(30, r.Id, arg: 3);
        sim.ScheduleTimer(10, r.Id, arg: 4);
        sim.Schedule(20, r.Id, arg: 5);
        sim.RunUntil(1000);
        Assert.Equal([(10L, 2), (10L, 4), (20L, 5), (30L, 1), (30L, 3)], r.Seen);
        Assert.Equal(1000, sim.Now);
        Assert.Equal(5, sim.EventsExecuted);
    }

    [Fact]
    public void RunUntil_is_half_open_and_resumable()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        sim.ScheduleTimer(100, r.Id, arg: 1);
        sim.ScheduleTimer(200, r.Id, arg: 2);
        sim.RunUntil(100);
        Assert.Empty(r.Seen);
        Assert.Equal(100, sim.Now);
        sim.ScheduleTimer(150, r.Id, arg: 3);
        sim.RunUntil(201);
        Assert.Equal([(100L, 1), (150L, 3), (200L, 2)], r.Seen);
    }

    [Fact]
    public void Cancelled_events_do_not_run_and_stale_handles_do_nothing()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        var a = sim.ScheduleTimer(10, r.Id, arg: 1);
        sim.ScheduleTimer(20, r.Id, arg: 2);
        Assert.True(sim.Cancel(a));
        Assert.False(sim.Cancel(a));
        Assert.Equal(1, sim.Pending);
        sim.RunUntil(15);
        // The slot of the cancelled event is reused by the next schedule: the old handle must not cancel it.
        var b = sim.ScheduleTimer(30, r.Id, arg: 3);
        Assert.Equal(a.Slot, b.Slot);
        Assert.False(sim.Cancel(a));
        sim.RunUntil(100);
        Assert.Equal([(20L, 2), (30L, 3)], r.Seen);
    }

    [Fact]
    public void Scheduling_into_the_past_is_refused()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        sim.Schedule(50, r.Id);
        sim.RunUntil(60);
        Assert.Throws<InvalidOperationException>(() => sim.Schedule(59, r.Id));
    }

    [Fact]
    public void Matches_a_reference_ordering_by_time_then_sequence()
    {
        // Reference: a sorted list keyed by (time, sequence number), the definition of the order.
        var gen = Gen.Select(Gen.Long[0, 5_000], Gen.Bool).Array[1, 300];
        gen.Sample(ops =>
        {
            var sim = new Simulator(4);
            var r = new Recorder(sim);
            var reference = new List<(long Time, long Seq, int Arg)>();
            var handles = new List<(EventHandle H, long Time, long Seq, int Arg)>();
            long seq = 0;
            for (int i = 0; i < ops.Length; i++)
            {
                var (t, cancelOne) = ops[i];
                if (cancelOne && handles.Count > 0)
                {
                    var victim = handles[(int)(t % handles.Count)];
                    if (sim.Cancel(victim.H)) reference.Remove((victim.Time, victim.Seq, victim.Arg));
                }
                else
                {
                    // Every third event is a plain one: both kinds share one ordering.
                    var h = i % 3 == 0 ? EventHandle.None : sim.ScheduleTimer(t, r.Id, arg: i);
                    if (h.IsNone) sim.Schedule(t, r.Id, arg: i);
                    handles.Add((h, t, seq, i));
                    reference.Add((t, seq++, i));
                }
            }
            sim.RunUntil(long.MaxValue);
            var expected = reference.OrderBy(x => x.Time).ThenBy(x => x.Seq).Select(x => (x.Time, x.Arg)).ToList();
            return expected.SequenceEqual(r.Seen);
        });
    }

    [Fact]
    public void Interleaved_push_and_pop_keep_the_order()
    {
        // Monotone workload like a real run: each popped event schedules more at or after now.
        var rng = new RandomStream(7);
        var sim = new Simulator(2);
        long last = -1;
        long count = 0;
        var checker = new OrderChecker(sim, rng, t => { Assert.True(t >= last); last = t; count++; });
        for (int i = 0; i < 1000; i++) sim.Schedule(rng.NextInt(0, 1000), checker.Id);
        sim.RunUntil(200_000);
        Assert.True(count > 100_000);
    }

    sealed class OrderChecker : IEventTarget
    {
        readonly Simulator sim;
        readonly RandomStream rng;
        readonly Action<long> seen;
        public readonly int Id;

        public OrderChecker(Simulator sim, RandomStream rng, Action<long> seen)
        {
            (this.sim, this.rng, this.seen) = (sim, rng, seen);
            Id = sim.Register(this);
        }

        public void OnEvent(int kind, int arg, long data)
        {
            seen(sim.Now);
            sim.Schedule(sim.Now + (long)rng.Exponential(1000), Id);
        }
    }
}

public class RadixEventQueueTests
{
    /// <summary>
    /// Interleaved pushes and pops against the definition of the order: a .NET PriorityQueue keyed
    /// by (time, push sequence). Delays mix zero (ties, which must pop first-in first-out), a few
    /// picoseconds, nanoseconds, microseconds and up to 2^50 ps, so entries land on every level and
    /// move down through refills; bursts of a hundred equal times grow buckets past their arrays
    /// and past the size a bucket keeps when emptied; coarse steps make later pushes tie with
    /// entries pushed before a pop.
    /// </summary>
    [Fact]
    public void Interleaved_pushes_and_pops_follow_time_then_push_order_on_every_level()
    {
        var gen = Gen.Select(Gen.Int[0, 8], Gen.Long[0, long.MaxValue], Gen.Int[0, 3]).Array[1, 400];
        gen.Sample(ops =>
        {
            var q = new RadixEventQueue(4);
            var reference = new PriorityQueue<int, (long Time, int Seq)>();
            int seq = 0;
            long now = 0;
            foreach (var (scale, raw, pops) in ops)
            {
                long delay = scale switch
                {
                    0 => 0,
                    1 => raw % 16,
                    2 => raw % 5_000,
                    3 => raw % 3_000_000,
                    4 => raw % (1L << 30),
                    5 => raw % (1L << 50),
                    // a few coarse steps: later pushes often tie with entries pushed before a pop
                    7 => raw % 8 * 97,
                    _ => 0,
                };
                int copies = scale == 6 ? 100 : 1;
                for (int c = 0; c < copies; c++)
                {
                    q.Push(new ScheduledEvent { Time = now + delay, Arg = seq });
                    reference.Enqueue(seq, (now + delay, seq));
                    seq++;
                }
                for (int p = 0; p < pops; p++)
                {
                    bool any = q.TryPopBefore(long.MaxValue, out var e);
                    if (any != reference.TryDequeue(out int expected, out var key)) return false;
                    if (!any) break;
                    if (e.Arg != expected || e.Time != key.Time) return false;
                    now = e.Time;
                }
            }
            while (reference.TryDequeue(out int expected, out var key))
            {
                if (!q.TryPopBefore(long.MaxValue, out var e) || e.Arg != expected || e.Time != key.Time) return false;
                if (q.PeekTime() != (reference.TryPeek(out _, out var next) ? next.Time : long.MaxValue)) return false;
            }
            return !q.TryPopBefore(long.MaxValue, out _);
        }, iter: 2000);
    }

    [Fact]
    public void A_drain_pop_that_moves_the_last_time_into_a_lower_bucket_keeps_time_order()
    {
        // Found by the property above (CsCheck seed brdjBhzQGFo2). After 0x1FBCFFFD is popped,
        // 0x1FBD1019 and 0x1FBD0002 share level 2's bucket 0xBD, small enough to be drained. The
        // drain pops 0x1FBD0002; 0x1FBD10BB is then pushed on level 1 (bucket 0x10). When the
        // drain pops 0x1FBD1019, the last time's byte 1 becomes 0x10 too, so 0x1FBD10BB no longer
        // differs from it on level 1, and a later push of 0x1FBD10DB lands on level 0. Time order
        // is 0x10BB before 0x10DB whatever the levels: 6, then 9 (pushed last), then 7.
        var q = new RadixEventQueue(4);
        long[] times = [0x1FBCFFFD, 0x1FBD1019, 0x1FBD0002, 0x1FBD10BB, 0x1FBD130F];
        q.Push(new ScheduledEvent { Time = times[0], Arg = 0 });
        Assert.True(q.TryPopBefore(long.MaxValue, out var e) && e.Arg == 0);
        q.Push(new ScheduledEvent { Time = times[1], Arg = 2 });
        q.Push(new ScheduledEvent { Time = times[2], Arg = 3 });
        Assert.True(q.TryPopBefore(long.MaxValue, out e) && e.Arg == 3);
        q.Push(new ScheduledEvent { Time = times[3], Arg = 6 });
        q.Push(new ScheduledEvent { Time = times[4], Arg = 7 });
        Assert.True(q.TryPopBefore(long.MaxValue, out e) && e.Arg == 2);
        q.Push(new ScheduledEvent { Time = 0x1FBD10DB, Arg = 9 });
        Assert.Equal(0x1FBD10BB, q.PeekTime());
        var order = new List<int>();
        while (q.TryPopBefore(long.MaxValue, out e)) order.Add(e.Arg);
        Assert.Equal([6, 9, 7], order);
    }

    [Fact]
    public void A_push_tying_with_an_entry_of_a_bucket_being_drained_pops_after_it()
    {
        // 300, 400 and 500 ps differ from 0 first in bit 8: one bucket of level 1 (digit 1), small
        // enough to be popped in place. After 300 is popped, 400 differs from it first in bit 7,
        // so a new push at 400 lands on level 0, beside the bucket still holding the older 400.
        var q = new RadixEventQueue();
        q.Push(new ScheduledEvent { Time = 300, Arg = 1 });
        q.Push(new ScheduledEvent { Time = 400, Arg = 2 });
        q.Push(new ScheduledEvent { Time = 500, Arg = 3 });
        Assert.True(q.TryPopBefore(long.MaxValue, out var first));
        Assert.Equal(1, first.Arg);
        q.Push(new ScheduledEvent { Time = 400, Arg = 4 });
        q.Push(new ScheduledEvent { Time = 350, Arg = 5 });
        var order = new List<int>();
        while (q.TryPopBefore(long.MaxValue, out var e)) order.Add(e.Arg);
        Assert.Equal([5, 2, 4, 3], order);
    }

    [Fact]
    public void Pop_before_end_leaves_later_entries_and_peek_shows_the_earliest()
    {
        var q = new RadixEventQueue();
        q.Push(new ScheduledEvent { Time = 1_000_000, Arg = 1 });
        q.Push(new ScheduledEvent { Time = 300, Arg = 2 });
        q.Push(new ScheduledEvent { Time = 300, Arg = 3 });
        Assert.Equal(300, q.PeekTime());
        Assert.True(q.TryPopBefore(301, out var a));
        Assert.True(q.TryPopBefore(301, out var b));
        Assert.False(q.TryPopBefore(301, out _));
        Assert.Equal((2, 3), (a.Arg, b.Arg));
        // The entry a level up is not refilled by a refused pop: it is still there, and still next.
        Assert.Equal(1_000_000, q.PeekTime());
        Assert.False(q.TryPopBefore(1_000_000, out _));
        Assert.True(q.TryPopBefore(1_000_001, out var c));
        Assert.Equal(1, c.Arg);
        Assert.Equal(long.MaxValue, q.PeekTime());
    }
}
