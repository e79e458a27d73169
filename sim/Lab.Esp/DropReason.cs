namespace Lab.Esp;

/// <summary>
/// Why the xfrm datapath dropped a packet. Each value maps to the most specific kernel counter the
/// drop increments (<see cref="DropReasonNames.CounterName"/>): a per-SA counter of
/// <c>ip -s xfrm state</c> where the kernel keeps one, otherwise the /proc/net/xfrm_stat MIB.
/// </summary>
public enum DropReason : byte
{
    None,

    /// <summary>Too old: left of the window. Per-SA <c>replay_window</c> (+ XfrmInStateSeqError).</summary>
    ReplayWindow,

    /// <summary>Duplicate inside the window. Per-SA <c>replay</c> (+ XfrmInStateSeqError).</summary>
    Replay,

    /// <summary>
    /// Sequence number 0 (or the ESN equivalent): xfrm_replay_check_* reject it without a per-SA
    /// counter, so only XfrmInStateSeqError counts it.
    /// </summary>
    SequenceZero,

    /// <summary>ICV check failed (-EBADMSG). Per-SA <c>integrity_failed</c> (+ XfrmInStateProtoError).</summary>
    IntegrityFailed,

    /// <summary>No SA for (SPI, destination, protocol): XfrmInNoStates.</summary>
    NoState,

    /// <summary>Encapsulation type differs from the SA's (UDP vs plain ESP): XfrmInStateMismatch.</summary>
    StateMismatch,

    /// <summary>Outbound: the sequence counter would wrap (-EOVERFLOW): XfrmOutStateSeqError.</summary>
    OutSequenceOverflow,

    /// <summary>Outbound: inner packet larger than the xfrm path MTU with DF (-EMSGSIZE): XfrmOutStateModeError.</summary>
    OutMessageTooBig,
}

public static class DropReasonNames
{
    /// <summary>The kernel counter name printed for a drop (the contract of <c>lab esp replay</c>).</summary>
    public static string CounterName(this DropReason reason) => reason switch
    {
        DropReason.None => "none",
        DropReason.ReplayWindow => "replay_window",
        DropReason.Replay => "replay",
        DropReason.SequenceZero => "XfrmInStateSeqError",
        DropReason.IntegrityFailed => "integrity_failed",
        DropReason.NoState => "XfrmInNoStates",
        DropReason.StateMismatch => "XfrmInStateMismatch",
        DropReason.OutSequenceOverflow => "XfrmOutStateSeqError",
        DropReason.OutMessageTooBig => "XfrmOutStateModeError",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}
