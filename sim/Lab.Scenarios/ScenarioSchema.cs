using Lab.Core;
using Lab.Models.Traffic;

namespace Lab.Scenarios;

/// <summary>Every key the core scenario format takes: the single source for validation, scenarios/README.md and `lab describe scenario`.</summary>
public static class ScenarioSchema
{
    const string Format = "lab scenario format (scenarios/README.md)";

    // Typed keys: the loader reads each through its declaration, so the default and range below are the ones it uses,
    // and the key lists (lab describe scenario, the README's tables) are made from them.

    public static readonly Parameter<string> TopName = Parameter.Text("name", "", Format,
        "Scenario name, a label (letters, digits, '.', '_', '-'; starts with a letter or digit; at most 128): it names the results folder results/NAME and the store's runs.").Derived("(required)");
    public static readonly Parameter<string> TopDescription = Parameter.Text("description", "", Format, "One line shown in reports.").DescribedDefault("\"\"");
    public static readonly Parameter<string> TopExtends = Parameter.Text("extends", "", Format,
        "A base scenario file (relative to this one; it may lie outside this folder) merged under this one: mappings merge key by key, lists and values replace. Only a .yaml/.yml scenario file is read (see Limits).",
        unit: "path").Derived("(none)");
    public static readonly Parameter<string> TopCosts = Parameter.Text("costs", "", Format,
        "A cost profile (lab-cost-profile/1, from the calibration; path relative to this file): sets every cost it measured on every element that takes it; costs given in the scenario or by a set override win.",
        unit: "path").Derived("(none)");
    public static readonly SectionParameter TopRun = Parameter.Section("run", "", Format, "Run control, see run.*.");
    public static readonly SectionParameter TopTraffic = Parameter.Section("traffic", "(required)", Format, "Traffic generators, see traffic[].*; at least one.", unit: "list");
    public static readonly SectionParameter TopPath = Parameter.Section("path", "(required)", Format,
        "Path elements in order: link, rss, stage, and model elements (each described under its type).", unit: "list");
    public static readonly SectionParameter TopOutputs = Parameter.Section("outputs", "", Format, "What to record, see outputs.*.");
    public static readonly SectionParameter TopSweep = Parameter.Section("sweep", "(none)", Format,
        "Parameter sweep: `param: [values]` pairs form a grid; or grid:/zip:/exclude: blocks.");
    public static readonly SectionParameter TopProbes = Parameter.Section("probes", "(none)", Format, "State snapshots into probes.csv, see probes.*.");

    public static readonly KeySpec[] TopLevel =
        [Key(TopName), Key(TopDescription), Key(TopExtends), Key(TopCosts), Key(TopRun), Key(TopTraffic), Key(TopPath), Key(TopOutputs), Key(TopSweep), Key(TopProbes)];

    public static readonly SectionParameter ProbeAt = Parameter.Section("at", "(none)", Format,
        "Times of the snapshots; each must be before run.duration. A probe at t sees every packet before t and none at t.", unit: "list of durations");
    public static readonly Parameter<long> ProbeEvery = Parameter.Duration("every", 0, Format,
        "Also a snapshot every this long from 0 (0 excluded) until the end of the run.", positive: true).Derived("(none)");

    public static readonly KeySpec[] Probes = [Key(ProbeAt), Key(ProbeEvery, "duration")];

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

    public static readonly Parameter<string> TrafficName = Parameter.Text("name", "", Format, "Generator name, unique; parameter paths use it (traffic.NAME.rate).").Derived("(required)");
    public static readonly Parameter<string> TrafficKind = Parameter.Choice("kind", "poisson", Format,
        "Arrival process, an explicit packet list, a script of flows and directions, or a capture.", "cbr", "poisson", "onoff", "sequence", "script", "pcap").Derived("(required)");
    public static readonly Parameter<double> TrafficRate = Parameter.BitRate("rate", 1e9, Format,
        "Offered load counted on the wire (frame + 20 B preamble and gap), like line rate.", unit: "bit rate").Derived("(required for cbr, poisson, onoff)");

    /// <summary>The frame size when a generator gives none (Ethernet's minimum frame with FCS).</summary>
    public const int DefaultFrameBytes = 64;

    /// <summary>Smallest frame size a generator accepts: 60 B, Ethernet's minimum frame without its 4-byte FCS.</summary>
    public const int MinFrameBytes = 60;

    public static readonly SectionParameter TrafficSize = Parameter.Section("size", Parameter.FormatBytes(DefaultFrameBytes), Format,
        "Frame size including Ethernet header and FCS; imix = 7:4:1 of 64/594/1518 B; a list of {size, weight} for an empirical mix.", unit: "size|imix|uniform(A,B)|list");
    public static readonly SectionParameter TrafficFlowMix = Parameter.Section("flow_mix", "(none)", Format,
        "Churning flows: {alpha: Pareto shape > 1, mean_packets: mean flow length}; `flows` is then the number active at once.");
    public static readonly SectionParameter TrafficPackets = Parameter.Section("packets", "(sequence and script only)", Format,
        "Explicit packets: sequence {at, size, flow, seq, dscp}; script {at, flow, dir, proto, src, dst, flags, size, spi, seq, dscp}.", unit: "list");
    public static readonly Parameter<string> TrafficFile = Parameter.Text("file", "", Format,
        "A capture, pcap or pcapng (relative to the scenario), whose records are the traffic; link types in captures/CAPTURES.md.", unit: "path").Derived("(pcap only)");

    public static readonly KeySpec[] Traffic =
    [
        Key(TrafficName),
        Key(TrafficKind),
        Key(TrafficRate, "bit rate"),
        Key(TrafficSize),
        Key(TrafficFlows, "integer"),
        Key(TrafficFlowMix),
        Key(TrafficOn, "duration"),
        Key(TrafficOff, "duration"),
        Key(TrafficDscp),
        Key(TrafficStart, "duration"),
        Key(TrafficStop, "duration"),
        Key(TrafficPackets),
        Key(TrafficFile),
    ];

    /// <summary>An entry of a <c>size</c> list: a frame size and its relative weight.</summary>
    public static readonly Parameter<long> SizeEntrySize = Parameter.Size("size", DefaultFrameBytes, Format, "frame size", min: MinFrameBytes).DescribedDefault("");
    public static readonly Parameter<double> SizeEntryWeight = Parameter.Number("weight", 1, 0, double.MaxValue, Format, "relative weight");

    public static readonly KeySpec[] SizeEntry = [Key(SizeEntrySize, "size"), Key(SizeEntryWeight, "number")];

    public static readonly Parameter<double> FlowMixAlpha = Parameter.Number("alpha", 1.2, 1.0001, 100, Format, "Pareto shape", unit: "number > 1");
    public static readonly Parameter<double> FlowMixMeanPackets = Parameter.Number("mean_packets", 20, 1, 1e12, Format, "mean packets per flow");

    public static readonly KeySpec[] FlowMixKeys = [Key(FlowMixAlpha, "number > 1"), Key(FlowMixMeanPackets, "number")];

    public static readonly Parameter<string> LinkName = Parameter.Text("name", "link", Format, "Name used in drop reasons (NAME.queue_full).").Derived("link<N>");
    public static readonly Parameter<double> LinkRate = Parameter.BitRate("rate", 1e9, Format, "Line rate; each frame takes (size + 20 B) x 8 / rate.", unit: "bit rate").Derived("(required)");
    public static readonly Parameter<long> LinkDelay = Parameter.Duration("delay", 0, Format, "Propagation delay.");

    /// <summary>Linux's default txqueuelen: DEFAULT_TX_QUEUE_LEN (include/linux/netdevice.h), which ether_setup gives every Ethernet device.</summary>
    public const int DefaultTxQueuePackets = 1000;

    /// <summary>A capacity in packets (an integer) or in bytes (a size): read as its node and told apart by the reader.</summary>
    public static readonly SectionParameter LinkQueue = Parameter.Section("queue", DefaultTxQueuePackets.ToString(System.Globalization.CultureInfo.InvariantCulture), Format,
        "Transmit queue capacity in packets (1000 = Linux txqueuelen) or bytes (e.g. 256KiB); tail drop.", unit: "integer packets or size");

    public static readonly KeySpec[] Link =
    [
        Key(LinkName),
        Key(LinkRate, "bit rate"),
        Key(LinkDelay),
        Key(LinkQueue),
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

    public static readonly Parameter<long> SequenceAt = Parameter.Duration("at", 0, Format, "Send time.").Derived("(required)");
    public static readonly Parameter<long> SequenceSize = Parameter.Size("size", DefaultFrameBytes, Format, "Frame size.", min: MinFrameBytes);
    public static readonly Parameter<long> SequenceFlow = Parameter.Integer("flow", 1, 0, int.MaxValue, Format, "Flow id.");
    public static readonly Parameter<long> SequenceSeq = Parameter.Integer("seq", 1, 0, long.MaxValue, Format,
        "Sequence number carried by the packet (ESP models use it).").Derived("(position in the list, from 1)");
    public static readonly Parameter<long> PacketDscp = Parameter.Integer("dscp", 0, 0, 63, Format, "DSCP.");

    public static readonly KeySpec[] SequencePacket =
        [Key(SequenceAt, "duration"), Key(SequenceSize, "size"), Key(SequenceFlow, "integer"), Key(SequenceSeq, "integer"), Key(PacketDscp, "integer")];

    /// <summary>Largest frame a script packet may be (an IPv4 datagram's limit, as the kernel validation sends it).</summary>
    public const int MaxScriptFrameBytes = 65535;

    /// <summary>The SPI of an ESP flow's packets until one names another.</summary>
    public const uint FirstScriptSpi = 0x1000;

    public static readonly Parameter<long> ScriptPacketAt = Parameter.Duration("at", 0, Format, "Send time; not earlier than the previous packet's.").Derived("(required)");
    public static readonly Parameter<string> ScriptPacketFlow = Parameter.Text("flow", "", Format, "The flow (connection) the packet belongs to; any name.", unit: "label").Derived("(required)");
    public static readonly Parameter<string> ScriptPacketDir = Parameter.Choice("dir", "orig", Format,
        "orig: client to server (src to dst); reply: server to the client as the server sees it (after NAT). A flow starts with orig.", "orig", "reply");
    public static readonly Parameter<string> ScriptPacketProto = Parameter.Choice("proto", "udp", Format,
        "Transport of the flow; given once per flow (may be repeated unchanged).", "udp", "tcp", "esp").Derived("(required on a flow's first packet)");
    public static readonly Parameter<string> ScriptPacketSrc = Parameter.Text("src", "", Format,
        "Client endpoint: 10.0.0.1:5000 or \"[2001:db8::1]:5000\"; ESP: the address alone. Given once per flow.", unit: "ADDRESS:PORT").Derived("(required on a flow's first packet)");
    public static readonly Parameter<string> ScriptPacketDst = Parameter.Text("dst", "", Format, "Server endpoint, as src.", unit: "ADDRESS:PORT").Derived("(required on a flow's first packet)");
    public static readonly SectionParameter ScriptPacketFlags = Parameter.Section("flags", "[ack] (TCP only)", Format,
        "TCP flags: syn, ack, fin, rst, psh, urg, e.g. [syn], [syn, ack], [fin, ack], [rst].", unit: "list");
    public static readonly Parameter<long> ScriptPacketSize = Parameter.Size("size", DefaultFrameBytes, Format,
        $"Frame size ({MinFrameBytes}B to {MaxScriptFrameBytes}B).", min: MinFrameBytes);
    public static readonly Parameter<long> ScriptPacketSpi = Parameter.Integer("spi", FirstScriptSpi, 1, uint.MaxValue, Format,
        "SPI of the SA the packet is for.").Derived($"(the flow's previous, else 0x{FirstScriptSpi:x}) (ESP only)");
    public static readonly Parameter<long> ScriptPacketSeq = Parameter.Integer("seq", 1, 0, long.MaxValue, Format,
        "ESP sequence number (64 bits with ESN; the low 32 travel).").Derived("(the flow's previous + 1, from 1) (ESP only)");

    public static readonly KeySpec[] ScriptPacket =
    [
        Key(ScriptPacketAt, "duration"), Key(ScriptPacketFlow), Key(ScriptPacketDir), Key(ScriptPacketProto), Key(ScriptPacketSrc), Key(ScriptPacketDst), Key(ScriptPacketFlags),
        Key(ScriptPacketSize, "size"), Key(ScriptPacketSpi, "integer"), Key(ScriptPacketSeq, "integer"), Key(PacketDscp, "integer"),
    ];

    /// <summary>Every key the scenario format declares, for the contract test (each section's keys are among these).</summary>
    public static IReadOnlyList<Parameter> Declared { get; } = [.. typeof(ScenarioSchema).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => typeof(Parameter).IsAssignableFrom(f.FieldType)).Select(f => (Parameter)f.GetValue(null)!)];
}
