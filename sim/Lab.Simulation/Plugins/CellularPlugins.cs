using System.Globalization;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Radio.Cellular;
using Lab.Radio.Reordering;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Simulation.Plugins;

/// <summary>
/// <c>- cellular: {...}</c>: a cellular bearer between two path elements (not per-core work: like
/// esp_crypto it is a component of its own). Packets leave it when the receiving PDCP hands them up.
/// </summary>
public sealed class CellularPlugin : IModelPlugin, IPathElementBinder
{
    public IPathElementBinder Binder => this;
    public string Type => "cellular";
    public string Summary => "Cellular bearer: TTI transport blocks, HARQ retransmissions, carrier aggregation, DSCP classes, PDCP t-Reordering or NR out-of-order delivery";
    public bool IsStage => false;

    public IReadOnlyList<KeySpec> Keys { get; } =
    [
        new("name", "string", "cellular", "Element name (drop reasons use it)."),
        new("radio", "lte|nr", "lte", "LTE: 1 ms TTI, 8 HARQ processes, 8 ms round trip. NR: slots of 1 ms/2^numerology, 16 processes, 4-slot round trip."),
        new("numerology", "integer 0..6", "1", "NR numerology mu (slot 1 ms / 2^mu); radio: nr only."),
        new("harq_rtt", "duration", "(LTE 8ms; NR 4 slots)", "HARQ round trip: a failed block is repeated this much later."),
        new("harq_processes", "integer 1..32", "(LTE 8; NR 16)", "HARQ processes per carrier."),
        new("retransmission_probability", "number 0..1", "0.1", "Probability that one HARQ attempt of a transport block fails."),
        new("max_transmissions", "integer 1..32", "4", "HARQ attempts before RLC takes over."),
        new("retransmit_every", "integer", "0", "Deterministic pattern: every Nth transport block fails retransmit_count times (0 = off)."),
        new("retransmit_count", "integer", "1", "Failures of each patterned block."),
        new("carriers", "integer 1..16", "1", "Component carriers (carrier aggregation when more than one)."),
        new("rate", "bit rate", "50Mbit/s", "Rate of each carrier: rate x TTI bits per transport block."),
        new("carrier_delay_step", "duration", "0s", "Extra one-way delay of carrier k is k x this (carrier 0 has none)."),
        new("delivery", "in-order|out-of-order", "in-order", "PDCP in-order delivery with t-Reordering, or NR outOfOrderDelivery."),
        new("t_reordering", "duration", "35ms", "PDCP t-Reordering."),
        new("rlc", "am|um", "am", "After HARQ gives up: AM retransmits, UM loses the block's packets."),
        new("rlc_retransmission_delay", "duration", "40ms", "Extra delay of an RLC AM retransmission."),
        new("base_delay", "duration", "10ms", "One-way delay common to all packets."),
        new("priority_dscp", "DSCP list", "\"\"", "Comma-separated DSCPs in strict-priority order, one radio bearer each; others share the last class (e.g. \"46,34\")."),
        new("queue", "integer", "10000", "Transmit buffer per class in packets (0 = unlimited)."),
    ];

    public PathElement Bind(MapReader r, string defaultName)
    {
        bool nr = r.Choice("radio", "lte", "lte", "nr") == "nr";
        int mu = (int)r.Integer("numerology", 1, 0, 6);
        long tti = nr ? HarqConfig.NrSlot(mu) : SimTime.Millisecond;
        var harqDefault = nr ? HarqConfig.Nr(mu) : HarqConfig.Lte();
        var harq = new HarqConfig(
            r.Duration("harq_rtt", harqDefault.RoundTrip, positive: true),
            (int)r.Integer("harq_processes", harqDefault.Processes, 1, 32),
            r.Number("retransmission_probability", 0.1, 0, 1),
            (int)r.Integer("max_transmissions", harqDefault.MaxTransmissions, 1, 32));
        int carriers = (int)r.Integer("carriers", 1, 1, 16);
        double rate = r.BitRate("rate", 50e6);
        long step = r.Duration("carrier_delay_step", 0);
        var cc = new ComponentCarrier[carriers];
        for (int k = 0; k < carriers; k++) cc[k] = new ComponentCarrier(rate, k * step);
        var delivery = r.Choice("delivery", "in-order", "in-order", "out-of-order") == "out-of-order" ? DeliveryOrder.OutOfOrder : DeliveryOrder.InOrder;
        var rlc = r.Choice("rlc", "am", "am", "um") == "um" ? RlcMode.Unacknowledged : RlcMode.Acknowledged;
        var cfg = new CellularBearerConfig(harq, cc, delivery, r.Duration("t_reordering", 35 * SimTime.Millisecond), rlc,
            r.Duration("rlc_retransmission_delay", 40 * SimTime.Millisecond), r.Duration("base_delay", 10 * SimTime.Millisecond))
        {
            Tti = tti,
            PriorityDscp = ParseDscpList(r),
            QueuePackets = (int)r.Integer("queue", 10_000, 0, int.MaxValue),
            RetransmitEveryNthBlock = (int)r.Integer("retransmit_every", 0, 0, int.MaxValue),
            ForcedFailures = (int)r.Integer("retransmit_count", 1, 0, 32),
        };
        if (cfg.Validate() is { } problem) r.Problems.Add(r.Map.Pos, $"{r.Section}: {problem}");
        if (RadioSettings.DeliveryProblem(nr, delivery) is { } d) r.Problems.Add(r.PosOf("delivery"), $"{r.Section}.delivery: {d}");
        if (RadioSettings.NumerologyProblem(nr, r.Has("numerology")) is { } n) r.Problems.Add(r.PosOf("numerology"), $"{r.Section}.numerology: {n}");
        return new ModelStageElement(Type, r.String("name") ?? defaultName, cfg, r.Map.Pos);
    }

    static int[] ParseDscpList(MapReader r)
    {
        string text = r.String("priority_dscp") ?? "";
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int d) || d > 63)
            {
                r.Problems.Add(r.PosOf("priority_dscp"), $"{r.Section}.priority_dscp: expected comma-separated DSCP values 0..63, found '{part}'");
                continue;
            }
            if (list.Contains(d)) r.Problems.Add(r.PosOf("priority_dscp"), $"{r.Section}.priority_dscp: DSCP {d} is listed twice");
            else list.Add(d);
        }
        return [.. list];
    }

    public ModelDescription Describe()
    {
        var d = CellularBearerModel.Describe();
        return d with
        {
            Parameters = [.. d.Parameters, .. KeySpecDescriptions.From("cellular.", Keys, "scenario key of the cellular path element")],
            Notes = [.. d.Notes, "Measure its output order with a reorder_probe element right after it (RFC 4737 / RFC 5236 metrics, minimum replay window, rule of thumb)."],
        };
    }

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx) => throw new NotSupportedException();

    public IPacketReceiver CreateElement(ModelStageElement element, SimulationContext ctx, Func<string, object?> byName) =>
        new CellularBearer(ctx, element.Name, (CellularBearerConfig)element.Config);

    public void Connect(IPacketReceiver element, IPacketReceiver next) => ((CellularBearer)element).Next = next;

    /// <summary>Transport blocks HARQ had to resend: what reorders the bearer's output.</summary>
    public IReadOnlyList<string> KeyMetrics { get; } = ["harq_retransmissions"];

    public IEnumerable<MetricValue> ElementMetrics(IPacketReceiver element, double measuredSeconds)
    {
        var b = (CellularBearer)element;
        yield return new($"{b.Name}.transport_blocks", "blocks", b.TransportBlocks);
        yield return new($"{b.Name}.harq_retransmissions", "blocks", b.HarqRetransmissions);
        yield return new($"{b.Name}.harq_failures", "blocks", b.HarqFailures);
        yield return new($"{b.Name}.delivered", "packets", b.Delivered);
        yield return new($"{b.Name}.delivered_on_t_reordering_expiry", "packets", b.DeliveredOnExpiry);
    }
}

/// <summary>
/// <c>- reorder_probe: {...}</c>: a zero-cost stage that measures the order packets pass it in
/// (RFC 4737 reordered ratio and extent, RFC 5236 reorder density, the minimum anti-replay window and
/// the rule of thumb window &gt;= rate x worst reorder delay).
/// </summary>
public sealed class ReorderProbePlugin : IModelPlugin, IPathElementBinder
{
    public IPathElementBinder Binder => this;
    public string Type => "reorder_probe";
    public string Summary => "Measures packet order where it stands: RFC 4737 and RFC 5236 metrics, minimum replay window, rule of thumb";

    public IReadOnlyList<KeySpec> Keys { get; } =
    [
        new("name", "string", "reorder", "Element name (its metrics are NAME.*)."),
        new("sequence_space", "sa|source", "sa", "sa: the ESP sequence number per SA (esp_out before it); source: the generator's sequence per traffic source."),
        new("dt", "integer 0..4096", "64", "RFC 5236 displacement threshold DT."),
        new("bt", "integer 0..4096", "(dt)", "RFC 5236 buffer-occupancy threshold BT."),
    ];

    sealed record ProbeConfig(SequenceSpace Space, int Dt, int Bt);

    public PathElement Bind(MapReader r, string defaultName)
    {
        var space = r.Choice("sequence_space", "sa", "sa", "source") == "source" ? SequenceSpace.Source : SequenceSpace.Sa;
        int dt = (int)r.Integer("dt", 64, 0, 4096);
        int bt = (int)r.Integer("bt", dt, 0, 4096);
        return new ModelStageElement(Type, r.String("name") ?? "reorder", new ProbeConfig(space, dt, bt), r.Map.Pos);
    }

    public ModelDescription Describe() => new("reorder_probe", Summary,
        "RFC 4737 sections 3.3, 4.2.1, 4.3, 5; RFC 5236 sections 7.1, 7.2; net/xfrm/xfrm_replay.c (too old: top - seq >= replay_window)",
        KeySpecDescriptions.From("reorder_probe.", Keys, "scenario key of the reorder_probe path element"),
        [
            "Metrics: NAME.received, reordered_ratio, max_extent, mean_extent, n3_reordered_ratio, max_late_time_offset_us, min_window, rule_window, rule_window_delay, rd_displaced_share, rd_max_displacement, rbd_mean_occupancy, rbd_max_occupancy.",
            "min_window: the largest sequence distance below the highest number seen, + 1: the smallest anti-replay window with no 'too old' drops.",
            "rule_window: ceil(rate x worst RFC 4737 late time offset); rule_window_delay: ceil(rate x worst one-way delay excess over the packet that set the top); rate = the space's packets per measured second.",
        ]);

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx)
    {
        var c = (ProbeConfig)element.Config;
        return new ReorderProbe(element.Name, c.Space, c.Dt, c.Bt, ctx);
    }

    /// <summary>RFC 4737 reordered ratio and the smallest replay window that would have dropped nothing.</summary>
    public IReadOnlyList<string> KeyMetrics { get; } = ["reordered_ratio", "min_window"];

    public IEnumerable<MetricValue> Metrics(IPacketStage stage, double measuredSeconds)
    {
        var probe = (ReorderProbe)stage;
        var spaces = probe.Finish(measuredSeconds);
        if (spaces.Count == 0) yield break;
        var total = spaces[0].Summary;
        long rule = spaces[0].RuleWindowLateTime, ruleDelay = spaces[0].RuleWindowDelay;
        for (int i = 1; i < spaces.Count; i++)
        {
            total = ReorderSummary.Combine(total, spaces[i].Summary);
            rule = Math.Max(rule, spaces[i].RuleWindowLateTime);
            ruleDelay = Math.Max(ruleDelay, spaces[i].RuleWindowDelay);
        }
        string n = probe.Name;
        yield return new($"{n}.received", "packets", total.Received);
        yield return new($"{n}.duplicates", "packets", total.Duplicates);
        yield return new($"{n}.reordered_ratio", "ratio", total.ReorderedRatio);
        yield return new($"{n}.max_extent", "packets", total.MaxExtent);
        yield return new($"{n}.mean_extent", "packets", total.MeanExtent);
        yield return new($"{n}.n3_reordered_ratio", "ratio", total.NReorderingRatio(3));
        yield return new($"{n}.max_late_time_offset_us", "us", total.MaxLateTimeOffset / (double)SimTime.Microsecond);
        yield return new($"{n}.min_window", "packets", total.MinimumWindow);
        yield return new($"{n}.rule_window", "packets", rule);
        yield return new($"{n}.rule_window_delay", "packets", ruleDelay);
        yield return new($"{n}.rd_displaced_share", "ratio", total.Density.DisplacedShare);
        yield return new($"{n}.rd_max_displacement", "packets", total.Density.MaxDisplacement);
        yield return new($"{n}.rbd_mean_occupancy", "packets", total.Density.MeanBufferOccupancy);
        yield return new($"{n}.rbd_max_occupancy", "packets", total.Density.MaxBufferOccupancy);
    }
}
