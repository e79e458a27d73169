using Lab.Engine;
using Lab.Models.Path;
using Lab.Core;

namespace Lab.Models.Traffic;

public enum ArrivalProcess
{
    /// <summary>Constant bit rate: each packet follows the previous after its own wire time at the rate.</summary>
    ConstantBitRate,
    /// <summary>Poisson arrivals: exponential gaps whose mean gives the rate at the mean packet size.</summary>
    Poisson,
    /// <summary>Exponential on and off periods; constant bit rate while on.</summary>
    OnOff,
}

/// <summary>What a generator emits. Rates count the wire: frame + 20 B preamble and gap, as line rate does.</summary>
public sealed record TrafficSpec(
    string Name,
    ArrivalProcess Process,
    double WireBitsPerSecond,
    SizeDistribution Sizes,
    int Flows,
    bool ChurnFlows,
    double FlowAlpha,
    double FlowMeanPackets,
    long MeanOn,
    long MeanOff,
    byte Dscp,
    long Start,
    long Stop);

/// <summary>A packet generator: constant bit rate, Poisson, or on/off bursts, with a size mix and a flow mix.</summary>
public sealed class TrafficSource : IEventTarget, IResettable
{
    const int Emit = 0;
    const int Toggle = 1;

    readonly SimulationContext _ctx;
    readonly int _id;
    readonly TrafficSpec _spec;
    readonly short _index;
    readonly RandomStream _rng;
    readonly FlowMix _flows;
    readonly SizeDistribution.Sampler _sizes;
    readonly double _psPerWireBit;
    bool _on = true;
    bool _emitting = true;
    long _seq;
    double _carry;

    public TrafficSource(SimulationContext ctx, TrafficSpec spec, short index, IPacketReceiver next)
    {
        _ctx = ctx;
        _id = ctx.Sim.Register(this);
        _spec = spec;
        _index = index;
        _rng = ctx.Random("traffic." + spec.Name);
        _flows = spec.ChurnFlows
            ? FlowMix.ParetoChurn(index, spec.Flows, spec.FlowAlpha, spec.FlowMeanPackets)
            : FlowMix.Uniform(index, spec.Flows);
        _sizes = spec.Sizes.NewSampler();
        _psPerWireBit = SimTime.Second / spec.WireBitsPerSecond;
        Next = next;
        ctx.OnWarmupEnd(this);
        ctx.Sim.Schedule(spec.Start, _id, Emit);
        if (spec.Process == ArrivalProcess.OnOff)
            ctx.Sim.Schedule(spec.Start + (long)_rng.Exponential(spec.MeanOn), _id, Toggle);
    }

    public IPacketReceiver Next { get; }
    public string Name => _spec.Name;
    public long Sent { get; private set; }
    /// <summary>Flows started since the statistics reset (churning mixes; 0 otherwise).</summary>
    public long FlowsStarted => _flows.FlowsStarted - _flowsAtReset;

    long _flowsAtReset;

    public void OnEvent(int kind, int arg, long data)
    {
        long now = _ctx.Sim.Now;
        if (_spec.Stop > 0 && now >= _spec.Stop) return;
        if (kind == Toggle)
        {
            _on = !_on;
            _ctx.Sim.ScheduleIn(Math.Max(1, (long)_rng.Exponential(_on ? _spec.MeanOn : _spec.MeanOff)), _id, Toggle);
            if (_on && !_emitting)
            {
                _emitting = true;
                _ctx.Sim.Schedule(now, _id, Emit);
            }
            return;
        }
        if (!_on)
        {
            // The emission chain ends here; the next toggle to "on" restarts it (exactly one chain).
            _emitting = false;
            return;
        }
        int size = _sizes.Draw(_rng);
        int p = _ctx.Packets.Allocate();
        ref Packet pkt = ref _ctx.Packets[p];
        pkt.CreatedAt = now;
        pkt.Seq = ++_seq;
        pkt.Size = size;
        pkt.InnerBytes = size - 18; // Ethernet header (14) and FCS (4)
        pkt.Source = _index;
        pkt.Dscp = _spec.Dscp;
        pkt.Flow = _flows.Next(_rng, out bool first, out bool last);
        pkt.Flags = (first ? PacketFlags.FlowFirst : 0) | (last ? PacketFlags.FlowLast : 0);
        Sent++;
        Next.Receive(p);
        _ctx.Sim.ScheduleIn(Gap(size), _id, Emit);
    }

    long Gap(int size)
    {
        if (_spec.Process == ArrivalProcess.Poisson)
            return Math.Max(1, (long)Math.Round(_rng.Exponential((_spec.Sizes.MeanBytes + Link.WireOverheadBytes) * 8 * _psPerWireBit)));
        // Constant bit rate: carry the fraction of a picosecond so the long-run rate is exact.
        double exact = (size + Link.WireOverheadBytes) * 8 * _psPerWireBit + _carry;
        long gap = (long)Math.Floor(exact);
        _carry = exact - gap;
        return Math.Max(1, gap);
    }

    public void ResetStatistics(long now)
    {
        Sent = 0;
        _flowsAtReset = _flows.FlowsStarted;
    }
}
