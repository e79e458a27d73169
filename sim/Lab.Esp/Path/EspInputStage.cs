using Lab.Core;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Models;
using Lab.Models.Path;

namespace Lab.Esp.Path;

/// <summary>The inbound SA(s) of an <c>esp_in</c> path element.</summary>
public sealed record EspInConfig(
    XfrmReplayMode Mode,
    uint Window,
    uint InitialSeq,
    uint InitialSeqHi,
    bool AsyncCrypto,
    int Batch,
    EspCosts Costs)
{
    /// <summary>SPI of SA 0; SA k has FirstSpi + k. Scripted packets name their SA by SPI.</summary>
    public uint FirstSpi { get; init; } = 0x1000;

    /// <summary>x->props.mode of the SAs: decides what x->curlft.bytes counts (<see cref="XfrmStateIn.CountedBytes"/>).</summary>
    public XfrmMode SaMode { get; init; } = XfrmMode.Tunnel;

    /// <summary>x->props.family of the SAs (the outer header's).</summary>
    public IpFamily Family { get; init; } = IpFamily.Ipv4;
}

/// <summary>
/// ESP input as a path stage, in xfrm_input's order (net/xfrm/xfrm_input.c, Linux v6.12): SA
/// lookup by the packet's SA, replay check before decryption, seq_hi inference, the ICV check
/// (which fails when the inferred high half differs from the sender's, RFC 4303 appendix A),
/// then recheck and advance. With synchronous crypto the whole sequence runs here. With
/// asynchronous crypto (cryptd, pcrypt) this stage runs only up to the check and stores the
/// ticket in the packet; an <see cref="EspCryptoEngine"/> later in the path completes the
/// crypto and runs the recheck and advance, possibly in another order than the checks ran.
/// </summary>
public sealed partial class EspInputStage : IPacketStage, IResettable
{
    readonly EspInConfig _cfg;
    readonly List<XfrmStateIn> _sas = [];
    readonly int[] _drop = new int[16];
    readonly SimulationContext _ctx;

    public EspInputStage(string name, EspInConfig cfg, SimulationContext ctx)
    {
        Name = name;
        _cfg = cfg;
        _ctx = ctx;
        Array.Fill(_drop, -1);
        ctx.OnWarmupEnd(this);
    }

    (ulong Window, ulong Replay, ulong Integrity, ulong SeqError, ulong ProtoError) _baseline;

    /// <summary>Kernel counters are cumulative; the lab reports them over the measurement window.</summary>
    public void ResetStatistics(long now)
    {
        var (w, r, i) = RawTotals();
        _baseline = (w, r, i, Mib.XfrmInStateSeqError, Mib.XfrmInStateProtoError);
    }

    public ulong SeqErrorsMeasured => Mib.XfrmInStateSeqError - _baseline.SeqError;

    public ulong ProtoErrorsMeasured => Mib.XfrmInStateProtoError - _baseline.ProtoError;

    public string Name { get; }
    public XfrmMib Mib { get; } = new();
    public IReadOnlyList<XfrmStateIn> Sas => _sas;
    public EspInConfig Config => _cfg;

    public XfrmStateIn Sa(int index)
    {
        while (_sas.Count <= index)
        {
            uint spi = _cfg.FirstSpi + (uint)_sas.Count;
            var replay = XfrmReplay.Create(_cfg.Mode, _cfg.Window, _cfg.InitialSeq, _cfg.InitialSeqHi);
            var dst = XfrmAddress.Parse(_cfg.Family == IpFamily.Ipv6 ? "2001:db8::2" : "192.0.2.2");
            _sas.Add(new XfrmStateIn(new XfrmId(spi, dst, 50), _cfg.SaMode, EspEncap.None, replay, _cfg.Family));
        }
        return _sas[index];
    }

    public StageVerdict Process(ref Packet packet, int core, long now)
    {
        var c = _cfg.Costs;
        long cost = c.Fixed(c.InPerPacket, _cfg.Batch) + c.SaLockHold;
        if ((packet.Flags & PacketFlags.Scripted) != 0 && !ScriptedSa(ref packet)) return StageVerdict.Drop(cost, DropId(DropReason.NoState));
        var sa = Sa(packet.Tag);
        ulong senderSeq = (ulong)packet.Seq;
        var reason = sa.InputBegin((uint)senderSeq, sa.Encap, Mib, out var ticket);
        if (reason != DropReason.None) return StageVerdict.Drop(cost, DropId(reason));
        if (_cfg.AsyncCrypto)
        {
            packet.Aux = (long)ticket.Seq64;
            return StageVerdict.Pass(cost);
        }
        int bytes = packet.InnerBytes;
        cost += c.Crypto(bytes);
        reason = sa.InputResume(ticket, ticket.IcvMatches(senderSeq, sa.Esn), sa.CountedBytes(bytes), Mib);
        return reason == DropReason.None ? StageVerdict.Pass(cost) : StageVerdict.Drop(cost, DropId(reason));
    }

    /// <summary>The second half of xfrm_input after asynchronous crypto completed (xfrm_input_resume).</summary>
    public DropReason Resume(ref Packet packet)
    {
        var sa = Sa(packet.Tag);
        ulong t = (ulong)packet.Aux;
        var ticket = new EspInputTicket((uint)t, (uint)(t >> 32));
        return sa.InputResume(ticket, ticket.IcvMatches((ulong)packet.Seq, sa.Esn), sa.CountedBytes(packet.InnerBytes), Mib);
    }

    /// <summary>replay_window drops behind a legacy window the kernel clamped: the configured window never took effect.</summary>
    DropCause? ClampCause() => XfrmReplay.ClampNote(_cfg.Mode, _cfg.Window) is { } note
        ? new DropCause($"replay window clamped: {note}", $"set path.{Name}.replay: bmp (or esn with esn: true) to get the window of {_cfg.Window}")
        : null;

    public int DropId(DropReason r)
    {
        int i = (int)r;
        if (_drop[i] < 0) _drop[i] = _ctx.Drops.Register($"{Name}.{r.CounterName()}", r == DropReason.ReplayWindow ? ClampCause() : null);
        return _drop[i];
    }

    /// <summary>Per-SA counters summed over SAs (names as <c>ip -s xfrm state</c> prints them), over the measurement window.</summary>
    public (ulong ReplayWindow, ulong Replay, ulong IntegrityFailed) Totals()
    {
        var (w, r, i) = RawTotals();
        return (w - _baseline.Window, r - _baseline.Replay, i - _baseline.Integrity);
    }

    (ulong, ulong, ulong) RawTotals()
    {
        ulong a = 0, b = 0, d = 0;
        foreach (var s in _sas)
        {
            a += s.Stats.ReplayWindow;
            b += s.Stats.Replay;
            d += s.Stats.IntegrityFailed;
        }
        return (a, b, d);
    }
}
