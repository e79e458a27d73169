namespace Lab.Esp;

/// <summary>
/// The kernel and RFC texts this model follows. Every type that imitates a kernel function names
/// the file and function in its doc comment; this is the version those names and behaviours were
/// read from.
/// </summary>
public static class KernelReference
{
    /// <summary>
    /// Linux v6.12: net/xfrm/xfrm_replay.c (unchanged in substance since the v5.14 "repl_mode"
    /// switch and the v6.10 SA direction attribute), net/xfrm/xfrm_input.c, xfrm_output.c,
    /// xfrm_state.c (xfrm_state_mtu), xfrm_user.c (copy_from_user_state, verify_replay),
    /// net/ipv4/esp4.c and net/ipv6/esp6.c.
    /// </summary>
    public const string Version = "v6.12";

    public const string Rfcs = "RFC 4303 (ESP, incl. appendix A ESN), RFC 4106 (AES-GCM in ESP), RFC 3948 (UDP encapsulation), RFC 4301 (SPD/SAD)";
}
