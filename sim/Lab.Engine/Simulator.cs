using System.Runtime.CompilerServices;

namespace Lab.Engine;

/// <summary>
/// The discrete-event engine: a clock in picoseconds and a queue of events ordered by
/// (time, insertion sequence). Events live in pooled slots addressed by index, so scheduling,
/// cancelling and running events allocates nothing once the pools have grown to the
/// simulation's working set.
/// </summary>
public sealed class Simulator
{
    struct Slot
    {
        public IEventTarget? Target;
        public long Data;
        public int Kind;
        public int Arg;
        public uint Generation;
        public bool Cancelled;
    }

    readonly RadixEventQueue _queue;
    Slot[] _slots;
    int[] _free;
    int _freeCount;
    int _used;
    bool _stopRequested;

    public Simulator(int initialCapacity = 1024)
    {
        _queue = new RadixEventQueue(initialCapacity);
        _slots = new Slot[initialCapacity];
        _free = new int[initialCapacity];
    }

    /// <summary>The current simulated time in picoseconds.</summary>
    public long Now { get; private set; }

    /// <summary>Events scheduled and neither run nor cancelled.</summary>
    public int Pending { get; private set; }

    /// <summary>Events run since the start (cancelled ones are not counted).</summary>
    public long EventsExecuted { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public EventHandle Schedule(long at, IEventTarget target, int kind = 0, int arg = 0, long data = 0)
    {
        if (at < Now) ThrowPast(at);
        int s = AllocateSlot();
        ref Slot slot = ref _slots[s];
        slot.Target = target;
        slot.Kind = kind;
        slot.Arg = arg;
        slot.Data = data;
        slot.Cancelled = false;
        _queue.Push(at, s);
        Pending++;
        return new EventHandle(s, slot.Generation);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public EventHandle ScheduleIn(long delay, IEventTarget target, int kind = 0, int arg = 0, long data = 0) =>
        Schedule(Now + delay, target, kind, arg, data);

    /// <summary>Cancels a pending event; returns false when it already ran or was cancelled.</summary>
    public bool Cancel(EventHandle handle)
    {
        if (!IsPending(handle)) return false;
        ref Slot slot = ref _slots[handle.Slot];
        slot.Cancelled = true;
        slot.Target = null;
        Pending--;
        return true;
    }

    public bool IsPending(EventHandle handle) =>
        handle.Slot >= 0 && handle.Slot < _used && _slots[handle.Slot].Generation == handle.Generation
        && !_slots[handle.Slot].Cancelled && _slots[handle.Slot].Target is not null;

    /// <summary>Stops <see cref="RunUntil"/> after the current event.</summary>
    public void Stop() => _stopRequested = true;

    /// <summary>
    /// Runs every event whose time is before <paramref name="end"/> (the interval is half-open,
    /// so back-to-back calls never run an event twice or skip one), then sets the clock to
    /// <paramref name="end"/> unless stopped early.
    /// </summary>
    public void RunUntil(long end)
    {
        _stopRequested = false;
        while (_queue.TryPopBefore(end, out long time, out int s))
        {
            ref Slot slot = ref _slots[s];
            IEventTarget? target = slot.Target;
            int kind = slot.Kind, arg = slot.Arg;
            long data = slot.Data;
            bool cancelled = slot.Cancelled;
            FreeSlot(s);
            if (cancelled) continue;
            Now = time;
            Pending--;
            EventsExecuted++;
            target!.OnEvent(kind, arg, data);
            if (_stopRequested) return;
        }
        if (end > Now) Now = end;
    }

    /// <summary>The time of the next pending event (cancelled ones included), or long.MaxValue.</summary>
    public long NextEventTime => _queue.PeekTime();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int AllocateSlot()
    {
        if (_freeCount > 0) return _free[--_freeCount];
        if (_used == _slots.Length) GrowSlots();
        return _used++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void FreeSlot(int s)
    {
        ref Slot slot = ref _slots[s];
        slot.Target = null;
        slot.Generation++;
        _free[_freeCount++] = s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void GrowSlots()
    {
        Array.Resize(ref _slots, _slots.Length * 2);
        Array.Resize(ref _free, _slots.Length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ThrowPast(long at) =>
        throw new InvalidOperationException($"cannot schedule at {SimTime.Format(at)}, before now ({SimTime.Format(Now)})");
}
