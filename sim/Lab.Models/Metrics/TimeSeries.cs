using Lab.Engine;
using Lab.Models.Path;
using Lab.Core;

namespace Lab.Models.Metrics;

/// <summary>One sample of the time series: rates over the interval that ends at <see cref="Time"/>.</summary>
public readonly record struct TimeSeriesPoint(
    long Time,
    double DeliveredPps,
    double WireBitsPerSecond,
    double GoodputBitsPerSecond,
    long QueueDepth,
    long Drops,
    bool Warmup);

/// <summary>
/// Samples the sink, the queues and the drop counters every interval from the start of the
/// run. It differences lifetime totals, so the warm-up reset does not disturb it; samples
/// that end inside the warm-up are kept and flagged, so a plot can show the transient.
/// </summary>
public sealed class TimeSeriesSampler : IEventTarget
{
    readonly SimulationContext _ctx;
    readonly int _id;
    readonly Sink _sink;
    readonly Func<long> _queueDepth;
    readonly long _interval;
    readonly long _warmup;
    long _lastPackets, _lastWire, _lastGood, _lastDrops;

    public TimeSeriesSampler(SimulationContext ctx, Sink sink, Func<long> queueDepth, long interval, long warmup)
    {
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _sink = sink;
        _queueDepth = queueDepth;
        _interval = interval;
        _warmup = warmup;
        ctx.Sim.Schedule(interval, _id);
    }

    public List<TimeSeriesPoint> Points { get; } = [];

    public void OnEvent(int kind, int arg, long data)
    {
        long now = _ctx.Sim.Now;
        double seconds = SimTime.ToSeconds(_interval);
        long drops = _ctx.Drops.LifetimeTotal;
        Points.Add(new TimeSeriesPoint(
            now,
            (_sink.LifetimePackets - _lastPackets) / seconds,
            (_sink.LifetimeWireBytes - _lastWire) * 8 / seconds,
            (_sink.LifetimeGoodputBytes - _lastGood) * 8 / seconds,
            _queueDepth(),
            drops - _lastDrops,
            now <= _warmup));
        _lastPackets = _sink.LifetimePackets;
        _lastWire = _sink.LifetimeWireBytes;
        _lastGood = _sink.LifetimeGoodputBytes;
        _lastDrops = drops;
        _ctx.Sim.ScheduleIn(_interval, _id);
    }
}
