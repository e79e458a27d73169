using Lab.Core;

namespace Lab.Radio.Cellular;

/// <summary>
/// HARQ of one component carrier: parallel stop-and-wait processes, the round trip after which a
/// failed transmission is repeated, the probability that a transmission attempt fails, and the number of
/// attempts before HARQ gives up.
/// </summary>
public sealed record HarqConfig(long RoundTrip, int Processes, double RetransmissionProbability, int MaxTransmissions)
{
    /// <summary>
    /// LTE FDD: 8 ms HARQ round trip and 8 processes (TS 36.213 section 8 / TS 36.321 section 5.4.2:
    /// feedback at n+4, retransmission at n+8) [R: spec text not re-checked here]; retransmission
    /// probability 0.1 [A: the usual 10% first-transmission BLER target of link adaptation, not a
    /// measured distribution]; 4 attempts [A].
    /// </summary>
    public static HarqConfig Lte(double retransmissionProbability = 0.1) =>
        new(8 * SimTime.Millisecond, 8, retransmissionProbability, 4);

    /// <summary>NR slot duration for numerology mu: 1 ms / 2^mu (TS 38.211 section 4.3.2).</summary>
    public static long NrSlot(int mu) => mu is < 0 or > 6
        ? throw new ArgumentOutOfRangeException(nameof(mu), "NR numerology mu is 0..6")
        : SimTime.Millisecond >> mu;

    /// <summary>
    /// NR: HARQ round trip = <paramref name="roundTripSlots"/> slots of numerology <paramref name="mu"/>
    /// [A: the round trip in slots depends on K1, processing capability and TDD pattern; 4 slots is an
    /// assumption]; 16 processes (TS 38.321 section 5.3.2: up to 16) [R]; 0.1 and 4 as for LTE [A].
    /// </summary>
    public static HarqConfig Nr(int mu, int roundTripSlots = 4, double retransmissionProbability = 0.1) =>
        new(roundTripSlots * NrSlot(mu), 16, retransmissionProbability, 4);
}

/// <summary>One component carrier: its rate and the extra one-way delay of its path (carrier aggregation).</summary>
public sealed record ComponentCarrier(double BitsPerSecond, long ExtraDelay);

/// <summary>How the receiving PDCP hands packets up.</summary>
public enum DeliveryOrder
{
    /// <summary>In sequence, waiting up to t-Reordering for a gap (TS 38.323 section 5.2.2; LTE RLC TS 36.322 section 5.1.3.2).</summary>
    InOrder,
    /// <summary>NR PDCP outOfOrderDelivery (TS 38.323 section 5.2.2.1): each packet is delivered when it arrives.</summary>
    OutOfOrder,
}

/// <summary>What the RLC does after HARQ gives up.</summary>
public enum RlcMode
{
    /// <summary>RLC AM: the packet is retransmitted by RLC after <see cref="CellularBearerConfig.RlcRetransmissionDelay"/>.</summary>
    Acknowledged,
    /// <summary>RLC UM: the packet is lost.</summary>
    Unacknowledged,
}

/// <summary>
/// A cellular bearer as the ESP packets of one SA see it. No measured LTE/NR reordering distribution was
/// found (REFERENCES.md), so every default here is an assumption and says so; match the parameters to a
/// measured trace with the RFC 4737 / RFC 5236 metrics.
/// </summary>
/// <param name="Harq">HARQ of every component carrier.</param>
/// <param name="Carriers">Component carriers (carrier aggregation when more than one).</param>
/// <param name="Delivery">PDCP in-order delivery with t-Reordering, or NR out-of-order delivery.</param>
/// <param name="TReordering">PDCP t-Reordering (TS 38.323 section 7.3).</param>
/// <param name="Rlc">What happens after HARQ gives up.</param>
/// <param name="RlcRetransmissionDelay">Extra delay of an RLC AM retransmission after the last HARQ attempt.</param>
/// <param name="BaseDelay">One-way delay common to all packets (core network, backhaul).</param>
public sealed record CellularBearerConfig(
    HarqConfig Harq,
    IReadOnlyList<ComponentCarrier> Carriers,
    DeliveryOrder Delivery,
    long TReordering,
    RlcMode Rlc,
    long RlcRetransmissionDelay,
    long BaseDelay)
{
    /// <summary>Transmission time interval: LTE 1 ms subframe (TS 36.211 section 4); NR one slot, 1 ms / 2^mu (TS 38.211 section 4.3.2).</summary>
    public long Tti { get; init; } = SimTime.Millisecond;

    /// <summary>
    /// DSCP values in strict-priority order, one QoS class (radio bearer with its own PDCP) each; every DSCP
    /// not listed shares the last, lowest class. Empty: one bearer for everything.
    /// </summary>
    public IReadOnlyList<int> PriorityDscp { get; init; } = [];

    /// <summary>Per-class transmit buffer in packets; a full buffer drops (0 = unlimited).</summary>
    public int QueuePackets { get; init; } = 10_000;

    /// <summary>
    /// Deterministic HARQ failures for calibration and worked examples: every Nth transport block (counted over
    /// all carriers in formation order, from 1) fails <see cref="ForcedFailures"/> times; other blocks draw from
    /// the retransmission probability. 0 = off.
    /// </summary>
    public int RetransmitEveryNthBlock { get; init; }

    public int ForcedFailures { get; init; } = 1;

    public int Classes => PriorityDscp.Count + 1;

    /// <summary>The QoS class of a DSCP: its position in <see cref="PriorityDscp"/>, or the last class.</summary>
    public int ClassOf(int dscp)
    {
        for (int i = 0; i < PriorityDscp.Count; i++) if (PriorityDscp[i] == dscp) return i;
        return PriorityDscp.Count;
    }

    /// <summary>Bits one carrier moves in one TTI (rate x TTI, rounded, at least 8).</summary>
    public long BlockBits(int carrier) =>
        Math.Max(8, (long)Math.Round(Carriers[carrier].BitsPerSecond * Tti / SimTime.Second, MidpointRounding.AwayFromZero));

    /// <summary>A problem with the configuration, phrased for the scenario keys, or null.</summary>
    public string? Validate()
    {
        if (Carriers.Count == 0) return "at least one component carrier is needed";
        if (Harq.Processes < 1) return "harq_processes: at least one HARQ process is needed";
        if (Harq.MaxTransmissions < 1) return "max_transmissions: at least one transmission is needed";
        if (Harq.RetransmissionProbability is < 0 or > 1) return "retransmission_probability: expected a probability in [0, 1]";
        if (Harq.RoundTrip <= 0) return "harq_rtt: expected a positive round trip";
        if (Tti <= 0) return "tti: expected a positive transmission time interval";
        foreach (var c in Carriers) if (c.BitsPerSecond <= 0) return "rate: expected a positive carrier rate";
        foreach (int d in PriorityDscp) if (d is < 0 or > 63) return $"priority_dscp: expected DSCP values 0..63, found {d}";
        if (ForcedFailures < 0) return "retransmit_count: expected 0 or more";
        return null;
    }

    /// <summary>[A] LTE, one 50 Mbit/s carrier, in-order delivery, t-Reordering 35 ms, RLC AM with a 40 ms RLC retransmission, 10 ms base delay.</summary>
    public static CellularBearerConfig LteDefault { get; } = new(
        HarqConfig.Lte(), [new ComponentCarrier(50e6, 0)], DeliveryOrder.InOrder,
        35 * SimTime.Millisecond, RlcMode.Acknowledged, 40 * SimTime.Millisecond, 10 * SimTime.Millisecond);
}
