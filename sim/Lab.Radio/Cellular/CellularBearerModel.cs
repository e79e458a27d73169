using Lab.Models;
using Lab.Core;

namespace Lab.Radio.Cellular;

/// <summary>
/// How a cellular bearer reorders the packets of one SA (implemented by <see cref="CellularBearer"/>).
///
/// MAC (TS 36.321 / TS 38.321): time runs in TTIs (LTE 1 ms subframes; NR slots of 1 ms / 2^mu). At each
/// TTI boundary every component carrier that has a free HARQ process forms one transport block of
/// rate x TTI bits from the transmit buffers: strict priority between QoS classes, FIFO within a class,
/// RLC concatenating packets and segmenting the one that does not fit (TS 36.322 / TS 38.322); carriers
/// take their blocks in index order, so under load later packets ride the later carriers. A block is
/// sent during the TTI; each attempt fails with the retransmission probability (one draw per attempt from
/// the element's stream), and attempt k is repeated k HARQ round trips later. The HARQ process stays busy
/// until one round trip after the last attempt, so a retransmission costs the process its next slot
/// (with LTE's 8 processes and 8 ms round trip, exactly one slot: a HARQ stall). The receiver's MAC has a
/// packet when the last block holding any of its bits has arrived: block end + failures x round trip +
/// the carrier's extra delay + the base delay. When all attempts fail, RLC AM delivers the block one RLC
/// retransmission delay after the last attempt; RLC UM loses its packets.
/// PDCP (TS 38.323 section 5.2.2): each QoS class is its own radio bearer with its own COUNT space. In
/// order: RX_NEXT, RX_DELIV, RX_REORD and t-Reordering (sections 5.2.2.1 and 5.2.2.2; a packet older than
/// RX_DELIV is discarded); or NR outOfOrderDelivery: each packet goes up when its MAC has it.
/// The classes share the SA's sequence space but not a PDCP, so strict priority between DSCPs reorders
/// the SA: the replay-window risk RFC 4301 section 4.1 warns about.
/// </summary>
public static class CellularBearerModel
{
    public static ModelDescription Describe() => new("cellular",
        "Cellular bearer: TTI scheduling of transport blocks, HARQ processes and retransmissions, carrier aggregation, strict-priority DSCP classes on one SA, PDCP in-order delivery with t-Reordering or NR out-of-order delivery",
        "none (UE/eNB/gNB MAC, RLC, PDCP: TS 36.321/38.321, TS 36.322/38.322, TS 38.323); feeds the ESP replay window (net/xfrm/xfrm_replay.c)",
        [
            new("tti", "ms", "1 (LTE subframe); NR: 1ms/2^mu", "> 0", "TS 36.211 section 4 (1 ms subframe); TS 38.211 section 4.3.2 (slot = 1 ms / 2^mu)", "transmission time interval: one transport block per carrier per TTI"),
            new("harq-rtt", "ms", "8 (LTE); NR: slots x 1ms/2^mu", "> 0", "[R] LTE FDD n+8 (TS 36.213 section 8); NR round trip in slots [A] 4", "HARQ retransmission delay"),
            new("harq-processes", "", "8 (LTE), 16 (NR)", ">= 1", "[R] TS 36.321 section 5.4.2 (FDD 8); TS 38.321 section 5.3.2 (up to 16)", "parallel stop-and-wait processes per carrier"),
            new("retransmission-probability", "", "0.1", "[0, 1]", "[A] the common 10% BLER target; no measured distribution found (REFERENCES.md)", "probability that one HARQ attempt of a block fails"),
            new("max-transmissions", "", "4", ">= 1", "[A] assumption", "HARQ attempts before giving up"),
            new("rlc-mode", "", "am", "am|um", "[A] assumption", "AM: RLC retransmits after HARQ failure; UM: the block's packets are lost"),
            new("rlc-retransmission-delay", "ms", "40", ">= 0", "[A] assumption", "extra delay of an RLC AM retransmission"),
            new("delivery", "", "in-order", "in-order|out-of-order", "TS 38.323 section 5.2.2 (t-Reordering); NR outOfOrderDelivery", "PDCP delivery to upper layers"),
            new("t-reordering", "ms", "35", "0..3000", "[A] default; 3GPP PDCP t-Reordering goes up to 3000 ms (REFERENCES.md)", "how long PDCP waits for a gap"),
            new("carriers", "bit/s, ms", "1 x 50Mbit/s, +0 ms", ">= 1", "[A] assumption", "component carriers: rate and extra delay each"),
            new("base-delay", "ms", "10", ">= 0", "[A] assumption", "one-way delay common to all packets"),
            new("priority-dscp", "DSCP list", "(none: one class)", "0..63 each", "RFC 4301 section 4.1 (several DSCP classes on one SA can cause replay drops)", "strict-priority classes, each its own radio bearer and PDCP"),
            new("queue", "packets", "10000", ">= 0", "[A] assumption", "transmit buffer per class (0 = unlimited)"),
        ],
        [
            "LTE delivers each bearer in order (RLC reordering, TS 36.322 section 5.1): an LTE bearer with one class reorders nothing, and delivery: out-of-order (NR outOfOrderDelivery, TS 38.323 section 5.2.2.1) is refused with radio: lte. On LTE an SA is reordered across QoS bearers: priority_dscp (scenarios/examples/cellular-lte-qos-reorder.yaml).",
            "No measured LTE/NR reordering-distance distribution was found: all defaults are assumptions; fit them to a trace with RFC 4737 / RFC 5236 metrics (the reordering analysis).",
            "Packets are carried as IP packets (frame - 18 B); PDCP, RLC and MAC headers are not counted.",
            "Randomness: one draw per HARQ attempt from the stream (seed, replication, \"cellular.NAME.harq\"), in block order.",
            "Drops: NAME.queue_full (transmit buffer), NAME.harq_failure (RLC UM after the last HARQ attempt), NAME.pdcp_discard (arrived after t-Reordering gave up on it).",
        ]);
}
