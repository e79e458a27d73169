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
public sealed class CellularDeclaration : ComponentDeclaration<CellularBearerConfig, CellularBearer>
{
    const string A = "[A] assumption (REFERENCES.md: no measured LTE/NR reordering distribution)";

    public override string Type => "cellular";
    public override string Summary => "Cellular bearer: TTI transport blocks, HARQ retransmissions, carrier aggregation, DSCP classes, PDCP t-Reordering or NR out-of-order delivery";
    public override string KernelCounterpart => CellularBearerModel.Describe().KernelCounterpart;

    static readonly Parameter<bool> Nr = Parameter.Choice("radio", false, "TS 36.211 section 4 (1 ms subframe); TS 38.211 section 4.3.2 (slot = 1 ms / 2^mu)",
        "LTE: 1 ms TTI, 8 HARQ processes, 8 ms round trip. NR: slots of 1 ms/2^numerology, 16 processes, 4-slot round trip.", ("lte", false), ("nr", true));
    static readonly Parameter<long> Numerology = Parameter.Integer("numerology", 1, 0, 6, "TS 38.211 section 4.3.2", "NR numerology mu (slot 1 ms / 2^mu); radio: nr only.");
    static readonly Parameter<long> HarqRtt = Parameter.Duration("harq_rtt", HarqConfig.Lte().RoundTrip, "[R] LTE FDD n+8 (TS 36.213 section 8); NR round trip in slots [A] 4",
        "HARQ round trip: a failed block is repeated this much later.", positive: true).Derived("(LTE 8ms; NR 4 slots)");
    static readonly Parameter<long> HarqProcesses = Parameter.Integer("harq_processes", HarqConfig.Lte().Processes, 1, 32,
        "[R] TS 36.321 section 5.4.2 (FDD 8); TS 38.321 section 5.3.2 (up to 16)", "HARQ processes per carrier.").Derived("(LTE 8; NR 16)");
    static readonly Parameter<double> RetransmissionProbability = Parameter.Number("retransmission_probability", HarqConfig.Lte().RetransmissionProbability, 0, 1,
        "[A] the common 10% BLER target; no measured distribution found (REFERENCES.md)", "Probability that one HARQ attempt of a transport block fails.");
    // LTE and NR both allow 4 HARQ attempts (HarqConfig.Lte, HarqConfig.Nr): the declared default is the one either radio runs with.
    static readonly Parameter<long> MaxTransmissions = Parameter.Integer("max_transmissions", HarqConfig.Lte().MaxTransmissions, 1, 32, "[A] assumption", "HARQ attempts before RLC takes over.");
    static readonly Parameter<long> RetransmitEvery = Parameter.Integer("retransmit_every", 0, 0, int.MaxValue, "lab (deterministic test pattern)",
        "Deterministic pattern: every Nth transport block fails retransmit_count times (0 = off).");
    static readonly Parameter<long> RetransmitCount = Parameter.Integer("retransmit_count", 1, 0, 32, "lab (deterministic test pattern)", "Failures of each patterned block.");
    static readonly Parameter<long> Carriers = Parameter.Integer("carriers", 1, 1, 16, A, "Component carriers (carrier aggregation when more than one).");
    static readonly Parameter<double> Rate = Parameter.BitRate("rate", 50e6, A, "Rate of each carrier: rate x TTI bits per transport block.", unit: "bit rate");
    static readonly Parameter<long> CarrierDelayStep = Parameter.Duration("carrier_delay_step", 0, A, "Extra one-way delay of carrier k is k x this (carrier 0 has none).");
    static readonly Parameter<DeliveryOrder> Delivery = Parameter.Choice("delivery", DeliveryOrder.InOrder, "TS 38.323 section 5.2.2 (t-Reordering); NR outOfOrderDelivery",
        "PDCP in-order delivery with t-Reordering, or NR outOfOrderDelivery.", ("in-order", DeliveryOrder.InOrder), ("out-of-order", DeliveryOrder.OutOfOrder));
    static readonly Parameter<long> TReordering = Parameter.Duration("t_reordering", 35 * SimTime.Millisecond, "[A] default; 3GPP PDCP t-Reordering goes up to 3000 ms (REFERENCES.md)", "PDCP t-Reordering.");
    static readonly Parameter<RlcMode> Rlc = Parameter.Choice("rlc", RlcMode.Acknowledged, "[A] assumption", "After HARQ gives up: AM retransmits, UM loses the block's packets.",
        ("am", RlcMode.Acknowledged), ("um", RlcMode.Unacknowledged));
    static readonly Parameter<long> RlcRetransmissionDelay = Parameter.Duration("rlc_retransmission_delay", 40 * SimTime.Millisecond, "[A] assumption", "Extra delay of an RLC AM retransmission.");
    static readonly Parameter<long> BaseDelay = Parameter.Duration("base_delay", 10 * SimTime.Millisecond, "[A] assumption", "One-way delay common to all packets.");
    static readonly Parameter<string> PriorityDscp = Parameter.Text("priority_dscp", "", "RFC 4301 section 4.1 (several DSCP classes on one SA can cause replay drops)",
        "Comma-separated DSCPs in strict-priority order, one radio bearer each; others share the last class (e.g. \"46,34\").", unit: "DSCP list", range: "0..63 each").DescribedDefault("\"\"");
    static readonly Parameter<long> Queue = Parameter.Integer("queue", 10_000, 0, int.MaxValue, "[A] assumption", "Transmit buffer per class in packets (0 = unlimited).");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "cellular", "lab", "Element name (drop reasons use it)."),
        Nr, Numerology, HarqRtt, HarqProcesses, RetransmissionProbability, MaxTransmissions, RetransmitEvery, RetransmitCount, Carriers, Rate,
        CarrierDelayStep, Delivery, TReordering, Rlc, RlcRetransmissionDelay, BaseDelay, PriorityDscp, Queue,
    ];

    public override IReadOnlyList<string> Notes { get; } =
    [
        .. CellularBearerModel.Describe().Notes,
        "Measure its output order with a reorder_probe element right after it (RFC 4737 / RFC 5236 metrics, minimum replay window, rule of thumb).",
    ];

    protected override CellularBearerConfig BindConfig(MapReader r)
    {
        bool nr = r.Read(Nr);
        int mu = (int)r.Read(Numerology);
        long tti = nr ? HarqConfig.NrSlot(mu) : SimTime.Millisecond;
        var harqDefault = nr ? HarqConfig.Nr(mu) : HarqConfig.Lte();
        var harq = new HarqConfig(
            r.Read(HarqRtt, harqDefault.RoundTrip),
            (int)r.Read(HarqProcesses, harqDefault.Processes),
            r.Read(RetransmissionProbability, harqDefault.RetransmissionProbability),
            (int)r.Read(MaxTransmissions, harqDefault.MaxTransmissions));
        int carriers = (int)r.Read(Carriers);
        double rate = r.Read(Rate);
        long step = r.Read(CarrierDelayStep);
        var cc = new ComponentCarrier[carriers];
        for (int k = 0; k < carriers; k++) cc[k] = new ComponentCarrier(rate, k * step);
        var delivery = r.Read(Delivery);
        var rlc = r.Read(Rlc);
        var cfg = new CellularBearerConfig(harq, cc, delivery, r.Read(TReordering), rlc, r.Read(RlcRetransmissionDelay), r.Read(BaseDelay))
        {
            Tti = tti,
            PriorityDscp = ParseDscpList(r),
            QueuePackets = (int)r.Read(Queue),
            RetransmitEveryNthBlock = (int)r.Read(RetransmitEvery),
            ForcedFailures = (int)r.Read(RetransmitCount),
        };
        if (cfg.Validate() is { } problem) r.Problems.Add(r.Map.Pos, $"{r.Section}: {problem}");
        if (RadioSettings.DeliveryProblem(nr, delivery) is { } d) r.Problems.Add(r.PosOf(Delivery), $"{r.Where(Delivery)}: {d}");
        if (RadioSettings.NumerologyProblem(nr, r.Has(Numerology)) is { } n) r.Problems.Add(r.PosOf(Numerology), $"{r.Where(Numerology)}: {n}");
        return cfg;
    }

    static int[] ParseDscpList(MapReader r)
    {
        string text = r.Read(PriorityDscp);
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int d) || d > 63)
            {
                r.Problems.Add(r.PosOf(PriorityDscp), $"{r.Where(PriorityDscp)}: expected comma-separated DSCP values 0..63, found '{part}'");
                continue;
            }
            if (list.Contains(d)) r.Problems.Add(r.PosOf(PriorityDscp), $"{r.Where(PriorityDscp)}: DSCP {d} is listed twice");
            else list.Add(d);
        }
        return [.. list];
    }

    protected override CellularBearer Create(ModelStageElement element, CellularBearerConfig config, SimulationContext ctx, Func<string, object?> byName) =>
        new(ctx, element.Name, config);

    protected override void Connect(CellularBearer component, IPacketReceiver next) => component.Next = next;

    /// <summary>Transport blocks HARQ had to resend: what reorders the bearer's output.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["harq_retransmissions"];

    protected override IEnumerable<MetricValue> Metrics(CellularBearer b, double measuredSeconds)
    {
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
public sealed class ReorderProbeDeclaration : StageDeclaration<ProbeConfig, ReorderProbe>
{
    const string Rfc5236 = "RFC 5236 sections 7.1, 7.2";

    public override string Type => "reorder_probe";
    public override string Summary => "Measures packet order where it stands: RFC 4737 and RFC 5236 metrics, minimum replay window, rule of thumb";
    public override string KernelCounterpart => "RFC 4737 sections 3.3, 4.2.1, 4.3, 5; RFC 5236 sections 7.1, 7.2; net/xfrm/xfrm_replay.c (too old: top - seq >= replay_window)";

    static readonly Parameter<SequenceSpace> Space = Parameter.Choice("sequence_space", SequenceSpace.Sa, "RFC 4737 section 3.3 (a sequence number per stream)",
        "sa: the ESP sequence number per SA (esp_out before it); source: the generator's sequence per traffic source.", ("sa", SequenceSpace.Sa), ("source", SequenceSpace.Source));
    static readonly Parameter<long> Dt = Parameter.Integer("dt", 64, 0, 4096, Rfc5236, "RFC 5236 displacement threshold DT.");
    static readonly Parameter<long> Bt = Parameter.Integer("bt", 64, 0, 4096, Rfc5236, "RFC 5236 buffer-occupancy threshold BT.").Derived("(dt)");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "reorder", "lab", "Element name (its metrics are NAME.*)."),
        Space, Dt, Bt,
    ];

    public override IReadOnlyList<string> Notes { get; } =
    [
        "Metrics: NAME.received, reordered_ratio, max_extent, mean_extent, n3_reordered_ratio, max_late_time_offset_us, min_window, rule_window, rule_window_delay, rd_displaced_share, rd_max_displacement, rbd_mean_occupancy, rbd_max_occupancy.",
        "min_window: the largest sequence distance below the highest number seen, + 1: the smallest anti-replay window with no 'too old' drops.",
        "rule_window: ceil(rate x worst RFC 4737 late time offset); rule_window_delay: ceil(rate x worst one-way delay excess over the packet that set the top); rate = the space's packets per measured second.",
    ];

    protected override ProbeConfig BindConfig(MapReader r)
    {
        var space = r.Read(Space);
        int dt = (int)r.Read(Dt);
        int bt = (int)r.Read(Bt, dt);
        return new ProbeConfig(space, dt, bt);
    }

    protected override ReorderProbe CreateStage(string name, ProbeConfig c, SimulationContext ctx) => new(name, c.Space, c.Dt, c.Bt, ctx);

    /// <summary>RFC 4737 reordered ratio and the smallest replay window that would have dropped nothing.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["reordered_ratio", "min_window"];

    protected override IEnumerable<MetricValue> Metrics(ReorderProbe probe, double measuredSeconds)
    {
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

/// <summary>The reorder_probe element's configuration.</summary>
public sealed record ProbeConfig(SequenceSpace Space, int Dt, int Bt);
