using Lab.Core;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Esp.Wire;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Esp.Path;

/// <summary>The outbound SA(s) of an <c>esp_out</c> path element.</summary>
public sealed record EspOutConfig(
    EspSaGeometry Geometry,
    bool Esn,
    bool PerCpu,
    bool OseqMayWrap,
    uint InitialOseq,
    uint InitialOseqHi,
    int Batch,
    int Mtu,
    bool DontFragment,
    EspCosts Costs);

/// <summary>
/// ESP output as a path stage: policy already matched (all traffic of the element uses it),
/// the SA chosen (one shared SA, or per-CPU SAs as RFC 9611 and Linux 6.13+ allow: one SA per
/// core, each with its own sequence counter), the sequence number taken under the SA lock
/// (xfrm_output_one, xfrm_replay_overflow*), the packet grown to its ESP size (esp_output,
/// esp4.c) and checked against the MTU (xfrm4_tunnel_check_size). The packet leaves carrying
/// its 64-bit sequence number in <see cref="Packet.Seq"/>, its SA in <see cref="Packet.Tag"/>
/// and an outer flow per SA, so that the receiver's RSS puts one SA on one core, as NICs that
/// hash the SPI (or the outer UDP ports) do.
/// </summary>
public sealed class EspOutputStage : IPacketStage, IResettable
{
    public const int OuterFlowBase = 0x4000_0000;

    readonly EspOutConfig _cfg;
    readonly List<XfrmStateOut> _sas = [];
    readonly int[] _drop = new int[16];
    readonly int _dropMtu;
    readonly SimulationContext _ctx;
    long _lockFreeAt;
    int _lockOwner = -1;

    public EspOutputStage(string name, EspOutConfig cfg, SimulationContext ctx)
    {
        Name = name;
        _cfg = cfg;
        _ctx = ctx;
        for (int i = 0; i < _drop.Length; i++) _drop[i] = -1;
        // xfrm4_tunnel_check_size / xfrm_output: an inner packet with DF that does not fit the path MTU after ESP is refused.
        _dropMtu = ctx.Drops.Register($"{name}.XfrmOutStateModeError",
            new DropCause("packets over the MTU", $"raise path.{name}.mtu, set path.{name}.df: false, or lower the traffic size"));
        ctx.OnWarmupEnd(this);
    }

    ulong _baseSeqError, _baseModeError;

    /// <summary>Kernel counters are cumulative; the lab reports them over the measurement window.</summary>
    public void ResetStatistics(long now)
    {
        _baseSeqError = Mib.XfrmOutStateSeqError;
        _baseModeError = Mib.XfrmOutStateModeError;
        LockWait = 0;
        FragCreates = 0;
    }

    public ulong SeqErrorsMeasured => Mib.XfrmOutStateSeqError - _baseSeqError;

    public ulong ModeErrorsMeasured => Mib.XfrmOutStateModeError - _baseModeError;

    public string Name { get; }
    public XfrmMib Mib { get; } = new();
    public IReadOnlyList<XfrmStateOut> Sas => _sas;

    /// <summary>Time cores spent waiting for the shared SA lock (ps).</summary>
    public long LockWait { get; private set; }

    /// <summary>Outer IP fragments created (Ip FragCreates) for packets sent fragmented.</summary>
    public long FragCreates { get; private set; }

    XfrmStateOut Sa(int index)
    {
        while (_sas.Count <= index)
        {
            uint spi = 0x1000u + (uint)_sas.Count;
            var replay = XfrmReplay.Create(_cfg.Esn ? XfrmReplayMode.Esn : XfrmReplayMode.Legacy, _cfg.Esn ? 32u : 0u,
                oseq: _cfg.InitialOseq, oseqHi: _cfg.InitialOseqHi, inbound: false);
            _sas.Add(new XfrmStateOut(new XfrmId(spi, XfrmAddress.Parse("192.0.2.2"), 50), _cfg.Geometry.Mode, _cfg.Geometry.Encap, replay, _cfg.OseqMayWrap));
        }
        return _sas[index];
    }

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        var c = _cfg.Costs;
        int sa = _cfg.PerCpu ? core : 0;
        long cost = 0;
        if (!_cfg.PerCpu)
        {
            // One SA for all cores: its lock serialises the sequence-number section, in the order
            // the cores get to it; the cache line moves when the owner changes.
            long start = Math.Max(now, _lockFreeAt);
            long wait = start - now;
            long hold = c.SaLockHold + (_lockOwner >= 0 && _lockOwner != core ? c.CacheLineBounce : 0);
            _lockFreeAt = start + hold;
            _lockOwner = core;
            LockWait += wait;
            cost += wait + hold;
        }
        else cost += c.SaLockHold;

        int innerL3 = packet.Size - 18;
        var mtu = EspMtu.Decide(_cfg.Geometry, innerL3, _cfg.Mtu, _cfg.DontFragment);
        if (mtu.Verdict is MtuVerdict.FragmentationNeeded or MtuVerdict.PacketTooBig or MtuVerdict.LocalMessageTooBig)
        {
            Mib.XfrmOutStateModeError++;
            return StageVerdict.Drop(cost + c.Fixed(c.OutPerPacket, _cfg.Batch), _dropMtu);
        }
        var reason = Sa(sa).Output(1, cryptoOffload: false, Mib, out ulong seq, out _);
        if (reason != DropReason.None) return StageVerdict.Drop(cost + c.Fixed(c.OutPerPacket, _cfg.Batch), DropId(reason));

        var layout = _cfg.Geometry.Layout(innerL3, _cfg.Mtu);
        if (mtu.Verdict == MtuVerdict.OuterFragmented) FragCreates += mtu.Fragments;
        packet.Size = 14 + layout.Total + 4;
        packet.Seq = (long)seq;
        packet.Tag = sa;
        packet.Flow = OuterFlowBase + sa;
        cost += c.Fixed(c.OutPerPacket, _cfg.Batch) + c.Crypto(layout.EncryptedBytes);
        return StageVerdict.Pass(cost);
    }

    int DropId(DropReason r)
    {
        int i = (int)r;
        if (_drop[i] < 0) _drop[i] = _ctx.Drops.Register($"{Name}.{r.CounterName()}");
        return _drop[i];
    }
}
