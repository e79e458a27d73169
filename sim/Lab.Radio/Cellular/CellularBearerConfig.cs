using Lab.Engine;

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
public sealed record CellularBearerConfig(
    HarqConfig Harq,
    IReadOnlyList<ComponentCarrier> Carriers,
    DeliveryOrder Delivery,
    long TReordering,
    RlcMode Rlc,
    long RlcRetransmissionDelay,
    long BaseDelay)
{
    /// <summary>[A] LTE, one 50 Mbit/s carrier, in-order delivery, t-Reordering 35 ms, RLC AM with a 40 ms RLC retransmission, 10 ms base delay.</summary>
    public static CellularBearerConfig LteDefault { get; } = new(
        HarqConfig.Lte(), [new ComponentCarrier(50e6, 0)], DeliveryOrder.InOrder,
        35 * SimTime.Millisecond, RlcMode.Acknowledged, 40 * SimTime.Millisecond, 10 * SimTime.Millisecond);
}

/// <summary>
/// One packet handed to the bearer: send time, size, QoS class (0 = highest strict priority; each class
/// is its own radio bearer with its own PDCP sequence space) and, for trace-driven runs and tests, a fixed
/// number of failed HARQ attempts (null: drawn from the retransmission probability).
/// </summary>
public readonly record struct CellularPacket(long SendTime, int Bytes, int QosClass = 0, int? HarqFailures = null);

/// <summary>Why a packet was not delivered.</summary>
public enum CellularDropReason
{
    None,
    /// <summary>HARQ gave up and RLC UM does not retransmit.</summary>
    HarqFailure,
    /// <summary>Arrived after t-Reordering had given up on it (COUNT &lt; RX_DELIV, TS 38.323 section 5.2.2.1).</summary>
    LateAfterReordering,
}

/// <summary>Per packet: when the MAC received it, whether and when PDCP delivered it.</summary>
public readonly record struct CellularDelivery(long MacArrival, long DeliveryTime, CellularDropReason Drop, int Transmissions, int Carrier)
{
    public bool Delivered => Drop == CellularDropReason.None;
}
