using Lab.Esp;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Radio.Reordering;

namespace Lab.Experiments.Reordering;

/// <summary>One inbound SA with synchronous crypto (XfrmStateIn.Input: check, seq_hi inference, ICV, recheck, advance), fresh per run.</summary>
public sealed class KernelReplayWindow(XfrmReplayMode mode) : IReplayWindowModel
{
    public string ModeName => Lab.Esp.Reference.ReplayReference.ModeName(mode);

    public uint MaxWindow => mode == XfrmReplayMode.Legacy ? XfrmReplay.LegacyBitmapBits : XfrmReplay.MaxEsnWindow;

    public ReplayDrops Run(ReadOnlySpan<long> sequenceNumbers, uint window)
    {
        var sa = new XfrmStateIn(new XfrmId(1, default, XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.None, XfrmReplay.Create(mode, window));
        var mib = new XfrmMib();
        long tooOld = 0, duplicate = 0, other = 0;
        foreach (long s in sequenceNumbers)
        {
            switch (sa.Input(mode == XfrmReplayMode.Esn ? (ulong)s : (uint)s, mib))
            {
                case DropReason.None: break;
                case DropReason.ReplayWindow: tooOld++; break;
                case DropReason.Replay: duplicate++; break;
                default: other++; break;
            }
        }
        return new ReplayDrops(tooOld, duplicate, other);
    }
}
