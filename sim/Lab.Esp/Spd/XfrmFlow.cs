namespace Lab.Esp.Spd;

/// <summary>The flow fields an xfrm selector looks at (struct flowi4/flowi6 subset).</summary>
public readonly record struct XfrmFlow(XfrmAddress Saddr, XfrmAddress Daddr, byte Proto, ushort Sport, ushort Dport);

/// <summary>XFRM_POLICY_IN, XFRM_POLICY_OUT, XFRM_POLICY_FWD.</summary>
public enum XfrmPolicyDir : byte
{
    In = 0,
    Out = 1,
    Fwd = 2,
}

/// <summary>XFRM_POLICY_ALLOW (apply the templates, i.e. IPsec) or XFRM_POLICY_BLOCK.</summary>
public enum XfrmPolicyAction : byte
{
    Allow = 0,
    Block = 1,
}
