using Lab.Core;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Radio.Reordering;

/// <summary>Which packets share a sequence space for a <see cref="ReorderProbe"/>.</summary>
public enum SequenceSpace
{
    /// <summary>By <see cref="Packet.Tag"/>: the SA an esp_out element put the packet on (0 without ESP).</summary>
    Sa,
    /// <summary>By <see cref="Packet.Source"/>: the traffic generator (its own sequence numbers).</summary>
    Source,
}

/// <summary>
/// A zero-cost path stage that measures the order in which packets pass it: RFC 4737 and RFC 5236
/// metrics on <see cref="Packet.Seq"/> (the ESP sequence number after esp_out, else the generator's),
/// one <see cref="ReorderMeter"/> per sequence space. Placed right after a reordering element (cellular,
/// esp_crypto) it measures that element's output order. Statistics restart at the end of the warm-up;
/// the first expected number of each space is then found from its first arrivals.
/// </summary>
public sealed class ReorderProbe : IPacketStage, IResettable
{
    readonly SequenceSpace _space;
    readonly int _dt, _bt;
    readonly Dictionary<int, ReorderMeter> _meters = [];
    readonly List<int> _keys = []; // creation order, so the summary does not depend on hash order

    public ReorderProbe(string name, SequenceSpace space, int displacementThreshold, int bufferThreshold, SimulationContext ctx)
    {
        Name = name;
        _space = space;
        _dt = displacementThreshold;
        _bt = bufferThreshold;
        ctx.OnWarmupEnd(this);
    }

    public string Name { get; }

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        int key = _space == SequenceSpace.Sa ? packet.Tag : packet.Source;
        if (!_meters.TryGetValue(key, out var meter))
        {
            meter = new ReorderMeter(_dt, _bt);
            _meters[key] = meter;
            _keys.Add(key);
        }
        meter.Add(packet.Seq, now, packet.CreatedAt);
        return StageVerdict.Pass(0);
    }

    public void ResetStatistics(long now)
    {
        _meters.Clear();
        _keys.Clear();
    }

    /// <summary>
    /// The per-space summaries (in the order the spaces were first seen), with each space's rule-of-thumb
    /// windows: ceil(rate x worst late time offset) and ceil(rate x worst delay excess), the rate being the
    /// space's packets over <paramref name="measuredSeconds"/>.
    /// </summary>
    public IReadOnlyList<(ReorderSummary Summary, long RuleWindowLateTime, long RuleWindowDelay)> Finish(double measuredSeconds)
    {
        var list = new List<(ReorderSummary, long, long)>();
        foreach (int k in _keys)
        {
            var s = _meters[k].Finish();
            double rate = measuredSeconds > 0 ? s.Received / measuredSeconds : 0;
            list.Add((s, RuleWindow(rate, s.MaxLateTimeOffset), RuleWindow(rate, s.MaxDelayExcess)));
        }
        return list;
    }

    /// <summary>The rule of thumb window &gt;= rate x delay, rounded up to whole packets.</summary>
    public static long RuleWindow(double packetsPerSecond, long delayPs) =>
        (long)Math.Ceiling(packetsPerSecond * delayPs / SimTime.Second - 1e-9);
}
