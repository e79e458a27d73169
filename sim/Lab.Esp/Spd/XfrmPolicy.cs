namespace Lab.Esp.Spd;

/// <summary>
/// An xfrm policy (SPD entry, RFC 4301 section 4.4.1): selector, direction, priority, action,
/// and for <see cref="XfrmPolicyAction.Allow"/> the SA its template resolves to, given as the
/// index of an SA in the caller's array (templates and ACQUIRE are not modelled).
/// </summary>
public sealed record XfrmPolicy(XfrmSelector Selector, XfrmPolicyDir Dir, uint Priority, XfrmPolicyAction Action, int SaIndex = -1);

/// <summary>
/// The SPD of one network namespace and xfrm_policy_lookup_bytype (net/xfrm/xfrm_policy.c,
/// Linux v6.12) reduced to its rule: among the policies of the direction whose selector
/// matches, the lowest priority value wins; equal priorities go to the one inserted first
/// (the kernel's pos ordering). Lookup walks an array: no allocation, no hash-order dependence.
/// </summary>
public sealed class XfrmPolicyTable
{
    readonly List<XfrmPolicy> _policies = [];

    public int Count => _policies.Count;

    public void Add(XfrmPolicy policy) => _policies.Add(policy);

    /// <summary>The winning policy for <paramref name="flow"/> in <paramref name="dir"/>, or null.</summary>
    public XfrmPolicy? Lookup(XfrmPolicyDir dir, in XfrmFlow flow)
    {
        XfrmPolicy? best = null;
        for (int i = 0; i < _policies.Count; i++)
        {
            var p = _policies[i];
            if (p.Dir != dir || !p.Selector.Matches(flow)) continue;
            if (best is null || p.Priority < best.Priority) best = p;
        }
        return best;
    }
}
