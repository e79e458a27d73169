using Lab.Engine;
using Lab.Models;

namespace Lab.Radio.Cellular;

/// <summary>Result of <see cref="CellularBearerModel.Run"/>.</summary>
public sealed record CellularBearerResult(CellularDelivery[] Packets, int[] ArrivalOrder)
{
    /// <summary>The 1-based input positions (the SA's ESP sequence numbers when the input is in send order) in delivery order.</summary>
    public long[] ArrivalSequenceNumbers()
    {
        var s = new long[ArrivalOrder.Length];
        for (int i = 0; i < s.Length; i++) s[i] = ArrivalOrder[i] + 1;
        return s;
    }

    public int Dropped(CellularDropReason reason)
    {
        int n = 0;
        foreach (var p in Packets) if (p.Drop == reason) n++;
        return n;
    }
}

/// <summary>
/// A pure model of how a cellular bearer reorders the packets of one SA.
///
/// MAC: packets wait in one FIFO per QoS class; whenever a component carrier is free and has a free
/// HARQ process, the head of the highest-priority non-empty queue is sent on it (strict priority, not
/// preemptive; among carriers ready at that moment the lowest index wins). It occupies the carrier for
/// 8 x bytes / rate. Each attempt fails with the retransmission probability (one draw per attempt from
/// the "cellular-harq" stream, in dispatch order); attempt k (0-based) is sent k HARQ round trips after
/// the first, on HARQ resources that do not delay new transmissions; the process is busy until one round
/// trip after the successful attempt. The MAC receives the packet when its successful attempt ends, plus
/// the carrier's extra delay and the base delay. When all attempts fail, RLC AM delivers it one RLC
/// retransmission delay after the last attempt; RLC UM loses it.
/// PDCP: per class, in-order delivery with t-Reordering (TS 38.323 section 5.2.2.1 reception and 5.2.2.2
/// t-Reordering expiry: RX_NEXT, RX_DELIV, RX_REORD), or NR out-of-order delivery.
/// Packets of different classes share the SA's sequence space but not a PDCP, so strict priority
/// reorders them: the replay-window risk RFC 4301 section 4.1 warns about.
/// </summary>
public static class CellularBearerModel
{
    public static ModelDescription Describe() => new("cellular",
        "Cellular bearer reordering: HARQ processes and retransmissions, carrier aggregation, strict-priority QoS classes on one SA, PDCP in-order delivery with t-Reordering or NR out-of-order delivery",
        "none (UE/eNB/gNB MAC, RLC, PDCP: TS 36.321/38.321, TS 36.322, TS 38.323); feeds the ESP replay window (net/xfrm/xfrm_replay.c)",
        [
            new("harq-rtt", "ms", "8 (LTE); NR: slots x 1ms/2^mu", "> 0", "[R] LTE FDD n+8 (TS 36.213 section 8); NR slot = 1 ms/2^mu (TS 38.211 section 4.3.2); NR round trip in slots [A] 4", "HARQ retransmission delay"),
            new("harq-processes", "", "8 (LTE), 16 (NR)", ">= 1", "[R] TS 36.321 section 5.4.2 (FDD 8); TS 38.321 section 5.3.2 (up to 16)", "parallel stop-and-wait processes per carrier"),
            new("retransmission-probability", "", "0.1", "[0, 1]", "[A] the common 10% BLER target; no measured distribution found (REFERENCES.md)", "probability that one HARQ attempt fails"),
            new("max-transmissions", "", "4", ">= 1", "[A] assumption", "HARQ attempts before giving up"),
            new("rlc-mode", "", "am", "am|um", "[A] assumption", "AM: RLC retransmits after HARQ failure; UM: the packet is lost"),
            new("rlc-retransmission-delay", "ms", "40", ">= 0", "[A] assumption", "extra delay of an RLC AM retransmission"),
            new("delivery", "", "in-order", "in-order|out-of-order", "TS 38.323 section 5.2.2 (t-Reordering); NR outOfOrderDelivery", "PDCP delivery to upper layers"),
            new("t-reordering", "ms", "35", "0..3000", "[A] default; 3GPP PDCP t-Reordering goes up to 3000 ms (REFERENCES.md)", "how long PDCP waits for a gap"),
            new("carriers", "bit/s, ms", "1 x 50Mbit/s, +0 ms", ">= 1", "[A] assumption", "component carriers: rate and extra delay each"),
            new("base-delay", "ms", "10", ">= 0", "[A] assumption", "one-way delay common to all packets"),
            new("qos-class", "", "0", ">= 0", "RFC 4301 section 4.1 (several DSCP classes on one SA can cause replay drops)", "strict-priority class of a packet; each class has its own PDCP"),
        ],
        [
            "No measured LTE/NR reordering-distance distribution was found: all defaults are assumptions; fit them to a trace with RFC 4737 / RFC 5236 metrics.",
            "HARQ retransmissions use resources that do not delay new transmissions on the carrier.",
            "Randomness: one draw per HARQ attempt from the stream RandomStream.For(seed, replication, \"cellular-harq\"), in dispatch order.",
        ]);

    public static CellularBearerResult Run(CellularBearerConfig config, ReadOnlySpan<CellularPacket> packets, RandomStream rng)
    {
        Validate(config, packets);
        int n = packets.Length;
        var mac = new long[n];
        var attempts = new int[n];
        var carrierOf = new int[n];
        var harqLost = new bool[n];
        Schedule(config, packets, rng, mac, attempts, carrierOf, harqLost);

        var deliveries = new CellularDelivery[n];
        int classes = 0;
        foreach (var p in packets) classes = Math.Max(classes, p.QosClass + 1);
        for (int c = 0; c < classes; c++) DeliverClass(config, packets, c, mac, harqLost, attempts, carrierOf, deliveries);

        var order = new List<int>(n);
        var qos = new int[n];
        for (int i = 0; i < n; i++)
        {
            qos[i] = packets[i].QosClass;
            if (deliveries[i].Delivered) order.Add(i);
        }
        order.Sort((a, b) =>
        {
            int t = deliveries[a].DeliveryTime.CompareTo(deliveries[b].DeliveryTime);
            if (t != 0) return t;
            int q = qos[a].CompareTo(qos[b]);
            return q != 0 ? q : a.CompareTo(b);
        });
        return new CellularBearerResult(deliveries, order.ToArray());
    }

    static void Validate(CellularBearerConfig config, ReadOnlySpan<CellularPacket> packets)
    {
        if (config.Carriers.Count == 0) throw new ArgumentException("at least one component carrier is needed", nameof(config));
        if (config.Harq.Processes < 1 || config.Harq.MaxTransmissions < 1) throw new ArgumentException("HARQ needs at least one process and one transmission", nameof(config));
        if (config.Harq.RetransmissionProbability is < 0 or > 1) throw new ArgumentException("the retransmission probability must lie in [0, 1]", nameof(config));
        for (int i = 0; i < packets.Length; i++)
        {
            if (i > 0 && packets[i].SendTime < packets[i - 1].SendTime) throw new ArgumentException("packets must be sorted by send time", nameof(packets));
            if (packets[i].QosClass < 0) throw new ArgumentException("QoS classes are numbered from 0", nameof(packets));
        }
    }

    static void Schedule(CellularBearerConfig config, ReadOnlySpan<CellularPacket> packets, RandomStream rng,
        long[] mac, int[] attempts, int[] carrierOf, bool[] harqLost)
    {
        var harq = config.Harq;
        int carriers = config.Carriers.Count;
        var carrierFree = new long[carriers];
        var processFree = new long[carriers * harq.Processes];
        int classes = 0;
        foreach (var p in packets) classes = Math.Max(classes, p.QosClass + 1);
        var queues = new Queue<int>[classes];
        for (int c = 0; c < classes; c++) queues[c] = new Queue<int>();
        int next = 0, queued = 0, n = packets.Length;
        long now = packets.Length > 0 ? packets[0].SendTime : 0;
        while (next < n || queued > 0)
        {
            long ready = long.MaxValue;
            for (int c = 0; c < carriers; c++) ready = Math.Min(ready, Readiness(carrierFree, processFree, c, harq.Processes));
            long t = Math.Max(now, ready);
            if (queued == 0) t = Math.Max(t, packets[next].SendTime);
            while (next < n && packets[next].SendTime <= t)
            {
                queues[packets[next].QosClass].Enqueue(next);
                next++;
                queued++;
            }
            int pick = -1;
            for (int c = 0; c < classes && pick < 0; c++) if (queues[c].Count > 0) pick = queues[c].Dequeue();
            queued--;
            int cc = 0;
            while (Readiness(carrierFree, processFree, cc, harq.Processes) > t) cc++;
            int proc = EarliestProcess(processFree, cc, harq.Processes);
            var carrier = config.Carriers[cc];
            long serialization = (long)Math.Round(packets[pick].Bytes * 8.0 * SimTime.Second / carrier.BitsPerSecond, MidpointRounding.AwayFromZero);
            carrierFree[cc] = t + serialization;
            int failures = packets[pick].HarqFailures ?? DrawFailures(harq, rng);
            carrierOf[pick] = cc;
            if (failures >= harq.MaxTransmissions)
            {
                attempts[pick] = harq.MaxTransmissions;
                processFree[cc * harq.Processes + proc] = t + harq.MaxTransmissions * harq.RoundTrip;
                if (config.Rlc == RlcMode.Unacknowledged) { harqLost[pick] = true; mac[pick] = long.MaxValue; }
                else mac[pick] = t + (harq.MaxTransmissions - 1) * harq.RoundTrip + config.RlcRetransmissionDelay + serialization + carrier.ExtraDelay + config.BaseDelay;
            }
            else
            {
                attempts[pick] = failures + 1;
                processFree[cc * harq.Processes + proc] = t + (failures + 1) * harq.RoundTrip;
                mac[pick] = t + failures * harq.RoundTrip + serialization + carrier.ExtraDelay + config.BaseDelay;
            }
            now = t;
        }
    }

    static long Readiness(long[] carrierFree, long[] processFree, int c, int processes)
    {
        long p = long.MaxValue;
        for (int h = 0; h < processes; h++) p = Math.Min(p, processFree[c * processes + h]);
        return Math.Max(carrierFree[c], p);
    }

    static int EarliestProcess(long[] processFree, int c, int processes)
    {
        int best = 0;
        for (int h = 1; h < processes; h++) if (processFree[c * processes + h] < processFree[c * processes + best]) best = h;
        return best;
    }

    /// <summary>Failed attempts before the first success, capped at MaxTransmissions (= HARQ failure).</summary>
    static int DrawFailures(HarqConfig harq, RandomStream rng)
    {
        int f = 0;
        while (f < harq.MaxTransmissions && rng.NextBool(harq.RetransmissionProbability)) f++;
        return f;
    }

    /// <summary>PDCP reception of one class: TS 38.323 section 5.2.2 with COUNT = position within the class.</summary>
    static void DeliverClass(CellularBearerConfig config, ReadOnlySpan<CellularPacket> packets, int qosClass,
        long[] mac, bool[] harqLost, int[] attempts, int[] carrierOf, CellularDelivery[] deliveries)
    {
        var members = new List<int>();
        for (int i = 0; i < packets.Length; i++) if (packets[i].QosClass == qosClass) members.Add(i);
        int m = members.Count;
        var arrivalsByTime = new List<int>(m);
        for (int k = 0; k < m; k++)
        {
            int i = members[k];
            if (harqLost[i]) deliveries[i] = new CellularDelivery(long.MaxValue, long.MaxValue, CellularDropReason.HarqFailure, attempts[i], carrierOf[i]);
            else arrivalsByTime.Add(k);
        }
        arrivalsByTime.Sort((a, b) => mac[members[a]] != mac[members[b]] ? mac[members[a]].CompareTo(mac[members[b]]) : a.CompareTo(b));

        if (config.Delivery == DeliveryOrder.OutOfOrder)
        {
            foreach (int k in arrivalsByTime)
            {
                int i = members[k];
                deliveries[i] = new CellularDelivery(mac[i], mac[i], CellularDropReason.None, attempts[i], carrierOf[i]);
            }
            return;
        }

        var stored = new bool[m];
        var done = new bool[m];
        int rxNext = 0, rxDeliv = 0, rxReord = 0;
        long timer = long.MaxValue;
        int ai = 0;
        while (ai < arrivalsByTime.Count || timer != long.MaxValue)
        {
            long arrival = ai < arrivalsByTime.Count ? mac[members[arrivalsByTime[ai]]] : long.MaxValue;
            if (timer < arrival)
            {
                // 5.2.2.2: deliver everything stored below RX_REORD, then the consecutive run from RX_REORD.
                long t = timer;
                for (int k = rxDeliv; k < rxReord; k++) if (stored[k] && !done[k]) Deliver(k, t);
                int x = rxReord;
                while (x < m && stored[x]) { if (!done[x]) Deliver(x, t); x++; }
                rxDeliv = Math.Max(rxDeliv, x);
                timer = long.MaxValue;
                if (rxDeliv < rxNext) { timer = t + config.TReordering; rxReord = rxNext; }
                continue;
            }
            int c = arrivalsByTime[ai++];
            int idx = members[c];
            if (c < rxDeliv)
            {
                deliveries[idx] = new CellularDelivery(mac[idx], long.MaxValue, CellularDropReason.LateAfterReordering, attempts[idx], carrierOf[idx]);
                continue;
            }
            stored[c] = true;
            if (c + 1 > rxNext) rxNext = c + 1;
            if (c == rxDeliv)
            {
                int x = rxDeliv;
                while (x < m && stored[x]) { Deliver(x, arrival); x++; }
                rxDeliv = x;
            }
            if (timer != long.MaxValue && rxDeliv >= rxReord) timer = long.MaxValue;
            if (timer == long.MaxValue && rxDeliv < rxNext) { timer = arrival + config.TReordering; rxReord = rxNext; }
        }

        void Deliver(int k, long t)
        {
            int i = members[k];
            done[k] = true;
            deliveries[i] = new CellularDelivery(mac[i], t, CellularDropReason.None, attempts[i], carrierOf[i]);
        }
    }
}
