namespace Lab.Radio.Cellular;

/// <summary>
/// Settings of a cellular element that contradict its radio: refused rather than run with a meaning the
/// standard does not have (issue 19: <c>radio: lte</c> with <c>delivery: out-of-order</c> was accepted and
/// ran as NR).
/// </summary>
public static class RadioSettings
{
    /// <summary>
    /// Why <paramref name="delivery"/> is not available on the radio, or null. LTE has no out-of-order
    /// delivery: its receiving RLC reorders every bearer (UM and AM, TS 36.322 sections 5.1.2.2 and
    /// 5.1.3.2, t-Reordering) and PDCP passes the SDUs on in that order (TS 36.323 sections 5.1.2.1.2
    /// for RLC AM and 5.1.2.1.3 for RLC UM; PDCP's own reordering, 5.1.2.1.4, is for split and LWA
    /// bearers only); outOfOrderDelivery is an NR PDCP option (TS 38.323 section 5.2.2.1, TS 38.331 PDCP-Config).
    /// [R: checked against spec text: TS 36.323 V14 clauses 5.1.2.1.2 to 5.1.2.1.4 and TS 38.323's table
    /// of contents (5.2.2.1 "Actions when a PDCP Data PDU is received from lower layers"); TS 36.322's
    /// 5.1.2.2.3 and 5.1.3.2.3 ("Actions when an UMD/RLC data PDU is placed in the reception buffer")
    /// as quoted with their numbers in the ns-3 and OpenAirInterface RLC sources, not the spec itself]
    /// What LTE does reorder is one SA spread over several bearers (priority_dscp), each in order by itself.
    /// </summary>
    public static string? DeliveryProblem(bool nr, DeliveryOrder delivery) =>
        !nr && delivery == DeliveryOrder.OutOfOrder
            ? "expected in-order with radio: lte, found out-of-order: LTE delivers each radio bearer in sequence " +
              "(RLC reordering, TS 36.322 sections 5.1.2.2 and 5.1.3.2; PDCP passes that order on, TS 36.323 sections 5.1.2.1.2 and 5.1.2.1.3), and outOfOrderDelivery " +
              "is an NR PDCP option (TS 38.323 section 5.2.2.1); use radio: nr, or reorder an SA on LTE across QoS bearers with priority_dscp " +
              "(RFC 4301 section 4.1; scenarios/examples/cellular-lte-qos-reorder.yaml)"
            : null;

    /// <summary>Why a numerology was given for a radio that has none, or null (LTE has one 15 kHz numerology and 1 ms subframes, TS 36.211 section 4).</summary>
    public static string? NumerologyProblem(bool nr, bool numerologyGiven) =>
        !nr && numerologyGiven
            ? "expected no numerology with radio: lte (LTE has 1 ms subframes only, TS 36.211 section 4), found one; numerology is for radio: nr"
            : null;
}
