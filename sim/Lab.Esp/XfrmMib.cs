namespace Lab.Esp;

/// <summary>
/// The per-network-namespace xfrm MIB (/proc/net/xfrm_stat, LINUX_MIB_XFRM* in
/// include/uapi/linux/snmp.h), the counters this model increments, with the kernel's names.
/// One instance per simulated host; SAs increment it by reference, so it is a class with plain
/// fields (incrementing allocates nothing).
/// </summary>
public sealed class XfrmMib
{
    /// <summary>xfrm_input: no SA for (SPI, daddr, proto).</summary>
    public ulong XfrmInNoStates;

    /// <summary>xfrm_input: replay check or recheck failed (all replay drops, incl. sequence 0).</summary>
    public ulong XfrmInStateSeqError;

    /// <summary>xfrm_input: type->input failed (ICV mismatch, bad padding).</summary>
    public ulong XfrmInStateProtoError;

    /// <summary>xfrm_input: encapsulation type of the packet differs from the SA's.</summary>
    public ulong XfrmInStateMismatch;

    /// <summary>xfrm_output_one: xfrm_replay_overflow returned -EOVERFLOW.</summary>
    public ulong XfrmOutStateSeqError;

    /// <summary>xfrm_output_one: xfrm_outer_mode_output failed (e.g. -EMSGSIZE from xfrm4_tunnel_check_size).</summary>
    public ulong XfrmOutStateModeError;

    /// <summary>xfrm_lookup: no policy/SA for an outbound flow that needs one (XfrmOutNoStates).</summary>
    public ulong XfrmOutNoStates;

    /// <summary>xfrm_lookup / __xfrm_policy_check: a matching policy has action block.</summary>
    public ulong XfrmOutPolBlock;

    /// <summary>__xfrm_policy_check: inbound policy says block.</summary>
    public ulong XfrmInPolBlock;
}
