namespace Lab.Esp;

/// <summary>
/// struct xfrm_stats of one SA (include/uapi/linux/xfrm.h), as <c>ip -s xfrm state</c> prints it:
/// <c>replay-window</c> = <see cref="ReplayWindow"/>, <c>replay</c> = <see cref="Replay"/>,
/// <c>failed</c> = <see cref="IntegrityFailed"/>. The kernel keeps them as u32.
/// </summary>
public struct XfrmStateStats
{
    /// <summary>x->stats.replay_window: too old (and, for ESN, a recheck that saw seq_hi change).</summary>
    public uint ReplayWindow;

    /// <summary>x->stats.replay: duplicate inside the window.</summary>
    public uint Replay;

    /// <summary>x->stats.integrity_failed: ICV mismatch (esp_input returned -EBADMSG).</summary>
    public uint IntegrityFailed;
}
