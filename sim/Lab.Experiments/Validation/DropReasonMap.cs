using Lab.Esp;

namespace Lab.Experiments.Validation;

/// <summary>What the kernel's skb:kfree_skb tracepoint is expected to record for one of the model's drop causes.</summary>
/// <param name="Reason">The enum skb_drop_reason name the tracepoint prints (include/net/dropreason-core.h; 6.1: include/net/dropreason.h).</param>
/// <param name="Specific">False where the kernel passes no reason of its own for the cause (plain kfree_skb, recorded as NOT_SPECIFIED): the model's cause is finer than what the kernel records.</param>
/// <param name="Source">The kernel function that frees the skb, with its file.</param>
public sealed record KernelDropExpectation(string Reason, bool Specific, string Source);

/// <summary>
/// The model's drop causes against the kernel's skb drop reasons ("who is dropping my packets"): where a model counter
/// corresponds to an enum skb_drop_reason, and where the kernel records none (NOT_SPECIFIED). Checked against
/// 6.1 (the VM) and 6.18 (the host): both keep these paths unchanged.
/// </summary>
public static class DropReasonMap
{
    /// <summary>
    /// ESP input (xfrm_input, net/xfrm/xfrm_input.c): every input drop the model counts (XfrmInNoStates, the replay checks
    /// counting XfrmInStateSeqError and stats replay / replay-window, the ICV failure counting XfrmInStateProtoError and
    /// stats failed, XfrmInStateMismatch) ends at the function's <c>drop:</c> label in plain <c>kfree_skb(skb)</c>, so the
    /// kernel records NOT_SPECIFIED: the counter names the cause, the drop reason does not. The only xfrm reason in the
    /// enum, XFRM_POLICY, belongs to the policy check after decryption (__xfrm_policy_check, XfrmInNoPols), which the model
    /// does not drop at.
    /// </summary>
    public static KernelDropExpectation ForEsp(DropReason reason) => reason switch
    {
        DropReason.OutSequenceOverflow or DropReason.OutMessageTooBig =>
            new("NOT_SPECIFIED", false, "xfrm_output_one / xfrm_output (net/xfrm/xfrm_output.c): kfree_skb without a reason"),
        _ => new("NOT_SPECIFIED", false, "xfrm_input (net/xfrm/xfrm_input.c) frees at its drop: label with plain kfree_skb; the xfrm counters name the cause"),
    };

    /// <summary>
    /// Forward path (conntrack and NAT): every drop the model counts (conntrack -S drop, insert_failed, chaintoolong,
    /// invalid) is conntrack returning NF_DROP from a netfilter hook (nf_conntrack_in, or __nf_conntrack_confirm via
    /// nf_confirm), and nf_hook_slow (net/netfilter/core.c) frees such a packet with
    /// kfree_skb_reason(skb, SKB_DROP_REASON_NETFILTER_DROP). The enum has no conntrack-specific reason: NETFILTER_DROP
    /// says "a hook", the conntrack -S counter says which.
    /// </summary>
    /// <remarks>
    /// A routing drop (<see cref="ForwardProbe.NoRouteCounter"/>: a packet to the NAT's public address that no entry
    /// de-NATed) is no hook's: ip_route_input_slow (net/ipv4/route.c, 6.18) finds no route and points the skb at
    /// ip_error, which frees it with SKB_DROP_REASON_IP_INNOROUTES (forwarding on, ENETUNREACH).
    /// </remarks>
    public static KernelDropExpectation ForForward(string conntrackCounter) => conntrackCounter == ForwardProbe.NoRouteCounter
        ? new("IP_INNOROUTES", true, "ip_error (net/ipv4/route.c): no route for the NAT's address, freed with SKB_DROP_REASON_IP_INNOROUTES")
        : new("NETFILTER_DROP", true, "nf_hook_slow (net/netfilter/core.c): NF_DROP from conntrack (" + conntrackCounter + ") is freed with SKB_DROP_REASON_NETFILTER_DROP");
}
