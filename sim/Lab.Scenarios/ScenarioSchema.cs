using Lab.Core;
using Lab.Models.Traffic;

namespace Lab.Scenarios;

/// <summary>Every key the core scenario format takes: the single source for validation, scenarios/README.md and `lab describe scenario`.</summary>
public static class ScenarioSchema
{
    public static readonly KeySpec[] TopLevel =
    [
        new("name", "string", "(required)", "Scenario name, a label (letters, digits, '.', '_', '-'; starts with a letter or digit; at most 128): it names the results folder results/NAME and the store's runs."),
        new("description", "string", "\"\"", "One line shown in reports."),
        new("extends", "path", "(none)", "A base scenario file (relative to this one; it may lie outside this folder) merged under this one: mappings merge key by key, lists and values replace. Only a .yaml/.yml scenario file is read (see Limits)."),
        new("costs", "path", "(none)", "A cost profile (lab-cost-profile/1, from the calibration; path relative to this file): sets every cost it measured on every element that takes it; costs given in the scenario or by a set override win."),
        new("run", "mapping", "", "Run control, see run.*."),
        new("traffic", "list", "(required)", "Traffic generators, see traffic[].*; at least one."),
        new("path", "list", "(required)", "Path elements in order: link, rss, stage, and model elements (each described under its type)."),
        new("outputs", "mapping", "", "What to record, see outputs.*."),
        new("sweep", "mapping", "(none)", "Parameter sweep: `param: [values]` pairs form a grid; or grid:/zip:/exclude: blocks."),
        new("probes", "mapping", "(none)", "State snapshots into probes.csv, see probes.*."),
    ];

    public static readonly KeySpec[] Probes =
    [
        new("at", "list of durations", "(none)", "Times of the snapshots; each must be before run.duration. A probe at t sees every packet before t and none at t."),
        new("every", "duration", "(none)", "Also a snapshot every this long from 0 (0 excluded) until the end of the run."),
    ];

    const string Format = "lab scenario format (scenarios/README.md)";

    // Typed keys: the loader reads each through its declaration, so the default and range below are the ones it uses.

    public static readonly Parameter<long> RunDuration = Parameter.Duration("duration", SimTime.Second, Format, "Simulated time of one run, including the warm-up.", positive: true);
    public static readonly Parameter<long> RunWarmup = Parameter.Duration("warmup", 0, Format, "Statistics restart at this time; must be shorter than duration.");
    public static readonly Parameter<long> RunSeed = Parameter.Integer("seed", 1, long.MinValue, long.MaxValue, Format,
        "Base seed; every component derives its own stream from (seed, replication, component name).");
    public static readonly Parameter<long> RunReplications = Parameter.Integer("replications", 1, 1, 10_000, Format, "Independent replications of every point.");

    public static readonly KeySpec[] Run = [Key(RunDuration), Key(RunWarmup), Key(RunSeed, "integer"), Key(RunReplications)];

    public static readonly Parameter<long> TrafficFlows = Parameter.Integer("flows", 1, 1, FlowMix.IdSpace, Format,
        "Number of concurrent flows; packets pick one uniformly (or see flow_mix).");
    public static readonly Parameter<long> TrafficOn = Parameter.Duration("on", SimTime.Millisecond, Format, "onoff: mean on period (exponential).", positive: true);
    public static readonly Parameter<long> TrafficOff = Parameter.Duration("off", SimTime.Millisecond, Format, "onoff: mean off period (exponential).", positive: true);
    public static readonly Parameter<long> TrafficDscp = Parameter.Integer("dscp", 0, 0, 63, Format, "DSCP of the generated packets.");
    public static readonly Parameter<long> TrafficStart = Parameter.Duration("start", 0, Format, "When the generator starts.");
    public static readonly Parameter<long> TrafficStop = Parameter.Duration("stop", 0, Format, "When the generator stops; after start.").Derived("(end of run)");

    public static readonly KeySpec[] Traffic =
    [
        new("name", "string", "(required)", "Generator name, unique; parameter paths use it (traffic.NAME.rate)."),
        new("kind", "cbr|poisson|onoff|sequence|script|pcap", "(required)", "Arrival process, an explicit packet list, a script of flows and directions, or a capture."),
        new("rate", "bit rate", "(required for cbr, poisson, onoff)", "Offered load counted on the wire (frame + 20 B preamble and gap), like line rate."),
        new("size", "size|imix|uniform(A,B)|list", "64B", "Frame size including Ethernet header and FCS; imix = 7:4:1 of 64/594/1518 B; a list of {size, weight} for an empirical mix."),
        Key(TrafficFlows, "integer"),
        new("flow_mix", "mapping", "(none)", "Churning flows: {alpha: Pareto shape > 1, mean_packets: mean flow length}; `flows` is then the number active at once."),
        Key(TrafficOn, "duration"),
        Key(TrafficOff, "duration"),
        Key(TrafficDscp),
        Key(TrafficStart, "duration"),
        Key(TrafficStop, "duration"),
        new("packets", "list", "(sequence and script only)", "Explicit packets: sequence {at, size, flow, seq, dscp}; script {at, flow, dir, proto, src, dst, flags, size, spi, seq, dscp}."),
        new("file", "path", "(pcap only)", "A capture, pcap or pcapng (relative to the scenario), whose records are the traffic; link types in captures/CAPTURES.md."),
    ];

    public static readonly Parameter<double> FlowMixAlpha = Parameter.Number("alpha", 1.2, 1.0001, 100, Format, "Pareto shape", unit: "number > 1");
    public static readonly Parameter<double> FlowMixMeanPackets = Parameter.Number("mean_packets", 20, 1, 1e12, Format, "mean packets per flow");

    public static readonly KeySpec[] FlowMixKeys = [Key(FlowMixAlpha, "number > 1"), Key(FlowMixMeanPackets, "number")];

    public static readonly Parameter<string> LinkName = Parameter.Text("name", "link", Format, "Name used in drop reasons (NAME.queue_full).").Derived("link<N>");
    public static readonly Parameter<double> LinkRate = Parameter.BitRate("rate", 1e9, Format, "Line rate; each frame takes (size + 20 B) x 8 / rate.", unit: "bit rate").Derived("(required)");
    public static readonly Parameter<long> LinkDelay = Parameter.Duration("delay", 0, Format, "Propagation delay.");

    public static readonly KeySpec[] Link =
    [
        Key(LinkName),
        Key(LinkRate, "bit rate"),
        Key(LinkDelay),
        new("queue", "integer packets or size", "1000", "Transmit queue capacity in packets (1000 = Linux txqueuelen) or bytes (e.g. 256KiB); tail drop."),
    ];

    public static readonly Parameter<string> RssName = Parameter.Text("name", "cpu", Format, "Name used in drop reasons (NAME.rx_ring_full) and per-core metrics.");
    public static readonly Parameter<long> RssCores = Parameter.Integer("cores", 1, 1, 1024, Format, "Cores; the flow hash picks the core (receive-side scaling).");
    public static readonly Parameter<long> RssRing = Parameter.Integer("ring", 1024, 0, 1 << 24, Format, "Receive ring per core; 0 = unbounded (for queueing-theory checks).", unit: "integer packets");

    public static readonly KeySpec[] Rss = [Key(RssName), Key(RssCores), Key(RssRing)];

    public static readonly Parameter<string> StageName = Parameter.Text("name", "stage", Format, "Stage name.").Derived("(required)");
    public static readonly Parameter<long> StageCost = Parameter.Duration("cost", 0, Format, "CPU time per packet on the core (mean, when exponential).").Derived("(required)");
    public static readonly Parameter<long> StagePerByte = Parameter.Duration("per_byte", 0, Format, "Additional CPU time per frame byte.");
    public static readonly Parameter<bool> StageExponential = Parameter.Choice("dist", false, Format, "Cost distribution.", ("fixed", false), ("exponential", true));

    public static readonly KeySpec[] Stage = [Key(StageName), Key(StageCost), Key(StagePerByte), Key(StageExponential)];

    public static readonly Parameter<long> OutputTimeseries = Parameter.Duration("timeseries", 10 * SimTime.Millisecond, Format,
        "Time-series sampling interval; 0s turns it off. At most 1,000,000 samples per point (duration / interval x replications), checked before running.");
    public static readonly Parameter<bool> OutputLatencyCdf = Parameter.Boolean("latency_cdf", true, Format, "Write latency_cdf.csv.");

    public static readonly KeySpec[] Outputs = [Key(OutputTimeseries), Key(OutputLatencyCdf)];

    /// <summary>A typed key as the section's key list shows it: its unit with its range (<paramref name="type"/> replaces both).</summary>
    static KeySpec Key(Parameter p, string? type = null) =>
        new(p.Key, type ?? (p.RangeText is "" or "true|false" || p.RangeText == p.Unit ? p.Unit : $"{p.Unit} {p.RangeText}"), p.DefaultText, p.Description);

    public static readonly KeySpec[] SequencePacket =
    [
        new("at", "duration", "(required)", "Send time."),
        new("size", "size", "64B", "Frame size."),
        new("flow", "integer", "1", "Flow id."),
        new("seq", "integer", "(position in the list, from 1)", "Sequence number carried by the packet (ESP models use it)."),
        new("dscp", "integer", "0", "DSCP."),
    ];

    public static readonly KeySpec[] ScriptPacket =
    [
        new("at", "duration", "(required)", "Send time; not earlier than the previous packet's."),
        new("flow", "label", "(required)", "The flow (connection) the packet belongs to; any name."),
        new("dir", "orig|reply", "orig", "orig: client to server (src to dst); reply: server to the client as the server sees it (after NAT). A flow starts with orig."),
        new("proto", "udp|tcp|esp", "(required on a flow's first packet)", "Transport of the flow; given once per flow (may be repeated unchanged)."),
        new("src", "ADDRESS:PORT", "(required on a flow's first packet)", "Client endpoint: 10.0.0.1:5000 or \"[2001:db8::1]:5000\"; ESP: the address alone. Given once per flow."),
        new("dst", "ADDRESS:PORT", "(required on a flow's first packet)", "Server endpoint, as src."),
        new("flags", "list", "[ack] (TCP only)", "TCP flags: syn, ack, fin, rst, psh, urg, e.g. [syn], [syn, ack], [fin, ack], [rst]."),
        new("size", "size", "64B", "Frame size (60B to 65535B)."),
        new("spi", "integer", "(the flow's previous, else 0x1000) (ESP only)", "SPI of the SA the packet is for."),
        new("seq", "integer", "(the flow's previous + 1, from 1) (ESP only)", "ESP sequence number (64 bits with ESN; the low 32 travel)."),
        new("dscp", "integer", "0", "DSCP."),
    ];
}
