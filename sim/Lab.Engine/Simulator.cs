using System.Runtime.CompilerServices;
using Lab.Core;

namespace Lab.Engine;

/// <summary>
/// The discrete-event engine: a clock in picoseconds and a queue of events ordered by
/// (time, insertion sequence). Components register once and are then addressed by an integer
/// id; an event carries its arguments inline (see <see cref="ScheduledEvent"/>). Plain events
/// cost nothing beyond their queue entry; cancellable ones (timers) also take a pooled slot
/// with a generation, so a stale handle can never cancel a later event. Nothing allocates once
/// the pools have grown to the simulation's working set.
/// </summary>
public sealed class Simulator
{
    struct TimerSlot
    {
        public uint Generation;
        public bool Armed;
    }

    readonly RadixEventQueue _queue;
    IEventTarget[] _targets = new IEventTarget[16];
    int _targetCount;
    TimerSlot[] _timers = new TimerSlot[16];
    int[] _freeTimers = new int[16];
    int _freeTimerCount;
    int _timersUsed;
    bool _stopRequested;

    // Pending is derived from these two and EventsExecuted, so running an event updates one
    // counter instead of two.
    long _scheduled;
    long _cancelled;

    public Simulator(int initialCapacity = 1024)
    {
        _queue = new RadixEventQueue(initialCapacity);
    }

    /// <summary>The current simulated time in picoseconds.</summary>
    public long Now { get; private set; }

    /// <summary>Events scheduled and neither run nor cancelled.</summary>
    public int Pending => (int)(_scheduled - _cancelled - EventsExecuted);

    /// <summary>Events run since the start (cancelled ones are not counted).</summary>
    public long EventsExecuted { get; private set; }

    /// <summary>Registers a component; the returned id addresses it in <see cref="Schedule"/>.</summary>
    public int Register(IEventTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_targetCount == _targets.Length) Array.Resize(ref _targets, _targets.Length * 2);
        _targets[_targetCount] = target;
        return _targetCount++;
    }

    /// <summary>Schedules an event that cannot be cancelled (packet arrivals, departures).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Schedule(long at, int target, int kind = 0, int arg = 0, long data = 0)
    {
        if (at < Now) ThrowPast(at);
        var e = new ScheduledEvent { Time = at, Target = target, Kind = kind, Arg = arg, Data = data, Timer = -1 };
        _queue.PushChecked(in e);
        _scheduled++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ScheduleIn(long delay, int target, int kind = 0, int arg = 0, long data = 0) =>
        Schedule(Now + delay, target, kind, arg, data);

    /// <summary>Schedules a cancellable event (keepalive, garbage collection, retransmission timers).</summary>
    public EventHandle ScheduleTimer(long at, int target, int kind = 0, int arg = 0, long data = 0)
    {
        if (at < Now) ThrowPast(at);
        int slot = AllocateTimer();
        ref TimerSlot t = ref _timers[slot];
        t.Armed = true;
        var e = new ScheduledEvent { Time = at, Target = target, Kind = kind, Arg = arg, Data = data, Timer = slot };
        _queue.Push(in e);
        _scheduled++;
        return new EventHandle(slot, t.Generation);
    }

    /// <summary>Cancels a pending timer; returns false when it already ran or was cancelled.</summary>
    public bool Cancel(EventHandle handle)
    {
        if (!IsPending(handle)) return false;
        _timers[handle.Slot].Armed = false;
        _cancelled++;
        return true;
    }

    public bool IsPending(EventHandle handle) =>
        handle.Slot >= 0 && handle.Slot < _timersUsed && _timers[handle.Slot].Generation == handle.Generation
        && _timers[handle.Slot].Armed;

    /// <summary>Stops <see cref="RunUntil"/> after the current event.</summary>
    public void Stop() => _stopRequested = true;

    /// <summary>
    /// Checked every <see cref="CancellationCheckInterval"/> events by <see cref="RunUntil"/>, which then
    /// throws <see cref="OperationCanceledException"/> (Ctrl-C ends a long run within milliseconds;
    /// a mask test per event costs nothing measurable and never changes what is simulated).
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    public const long CancellationCheckInterval = 1 << 16;

    /// <summary>
    /// Runs every event whose time is before <paramref name="end"/> (the interval is half-open,
    /// so back-to-back calls never run an event twice or skip one), then sets the clock to
    /// <paramref name="end"/> unless stopped early.
    /// </summary>
    public void RunUntil(long end)
    {
        _stopRequested = false;
        while (true)
        {
            // The entry stays valid until the next push, so its fields are read before the event runs.
            ref ScheduledEvent e = ref _queue.Pop(end);
            if (Unsafe.IsNullRef(ref e)) break;
            int timer = e.Timer;
            if (timer >= 0)
            {
                ref TimerSlot t = ref _timers[timer];
                bool armed = t.Armed;
                t.Armed = false;
                t.Generation++;
                _freeTimers[_freeTimerCount++] = timer;
                if (!armed) continue;
            }
            Now = e.Time;
            EventsExecuted++;
            _targets[e.Target].OnEvent(e.Kind, e.Arg, e.Data);
            if (_stopRequested) return;
            if ((EventsExecuted & (CancellationCheckInterval - 1)) == 0) Cancellation.ThrowIfCancellationRequested();
        }
        if (end > Now) Now = end;
    }

    /// <summary>The time of the next queued event (cancelled timers included), or long.MaxValue.</summary>
    public long NextEventTime => _queue.PeekTime();

    int AllocateTimer()
    {
        if (_freeTimerCount > 0) return _freeTimers[--_freeTimerCount];
        if (_timersUsed == _timers.Length)
        {
            Array.Resize(ref _timers, _timers.Length * 2);
            Array.Resize(ref _freeTimers, _timers.Length);
        }
        return _timersUsed++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ThrowPast(long at) =>
        throw new InvalidOperationException($"cannot schedule at {SimTime.Format(at)}, before now ({SimTime.Format(Now)})");
}
