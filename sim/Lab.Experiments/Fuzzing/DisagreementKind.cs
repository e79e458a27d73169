using Lab.Experiments.Validation;

namespace Lab.Experiments.Fuzzing;

/// <summary>
/// The kinds a disagreeing fact of <see cref="ScriptComparison"/> falls into, in the order the
/// shrinker prefers them (a case's primary kind is its first): the packet's verdict, the translation
/// seen on the far side, a conntrack row present on one side only, its state, flags, reply tuple or
/// timeout, the skb drop reason of a packet both dropped (model cause against the kernel's kfree_skb
/// reason), a <c>conntrack -S</c> or /proc/net/xfrm_stat counter (by name), an SA's <c>ip -s xfrm state</c> field, and a kernel run that did not complete.
/// </summary>
public static class DisagreementKind
{
    public const string Verdict = "packet verdict", Translation = "translation", Row = "conntrack row", State = "conntrack state",
        Flags = "conntrack flags", Reply = "conntrack reply tuple", Timeout = "conntrack timeout", DropReason = "drop reason",
        Harness = "kernel run failed", Rejected = "scenario rejected";

    static readonly string[] Order = [Verdict, Translation, Row, State, Flags, Reply, Timeout, DropReason];

    public static string Of(ScriptCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return (check.Kind, check.Field) switch
        {
            ("packet", "verdict") => Verdict,
            ("packet", _) => Translation,
            ("conntrack", "present") => Row,
            ("conntrack", "state") => State,
            ("conntrack", "flags") => Flags,
            ("conntrack", "reply") => Reply,
            ("conntrack", "timeout") => Timeout,
            ("drop_reason", _) => DropReason,
            ("conntrack_stats", _) => "counter " + check.Key,
            // ESP cases (ScriptEspComparison): an SA of ip -s xfrm state by field, a /proc/net/xfrm_stat counter by name.
            ("xfrm_state", "present") => "xfrm_state row",
            ("xfrm_state", _) => "xfrm_state " + check.Field,
            ("xfrm_stat", _) => "counter " + check.Key,
            _ => check.Kind + " " + check.Field,
        };
    }

    /// <summary>The kinds of an outcome's disagreements, primary first.</summary>
    public static IReadOnlyList<string> Of(ScriptKernelOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Failure is not null) return [Harness];
        return [.. outcome.Checks.Where(c => !c.Agree).Select(Of).Distinct(StringComparer.Ordinal).OrderBy(Rank).ThenBy(k => k, StringComparer.Ordinal)];
    }

    static int Rank(string kind)
    {
        int i = Array.IndexOf(Order, kind);
        return i >= 0 ? i : Order.Length;
    }
}
