namespace Lab.Esp.Replay;

/// <summary>
/// The three anti-replay implementations of net/xfrm/xfrm_replay.c (Linux v6.12), chosen by
/// xfrm_init_replay(): <see cref="Legacy"/> when the SA has no XFRMA_REPLAY_ESN_VAL attribute
/// (32-bit bitmap, window clamped to 32 by copy_from_user_state in xfrm_user.c), <see cref="Bmp"/>
/// when it has the attribute but not XFRM_STATE_ESN (bitmap of up to 4096 bits), and
/// <see cref="Esn"/> with XFRM_STATE_ESN (64-bit sequence numbers, bitmap of up to 4096 bits).
/// iproute2 sends the ESN attribute when <c>flag esn</c> is given or <c>replay-window</c> is above 32.
/// </summary>
public enum XfrmReplayMode : byte
{
    /// <summary>XFRM_REPLAY_MODE_LEGACY: xfrm_replay_check_legacy / xfrm_replay_advance.</summary>
    Legacy,

    /// <summary>XFRM_REPLAY_MODE_BMP: xfrm_replay_check_bmp / xfrm_replay_advance_bmp.</summary>
    Bmp,

    /// <summary>XFRM_REPLAY_MODE_ESN: xfrm_replay_check_esn / recheck_esn / advance_esn.</summary>
    Esn,
}
