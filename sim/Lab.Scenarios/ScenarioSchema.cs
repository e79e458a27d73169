using Lab.Core;

namespace Lab.Scenarios;

/// <summary>Every key the core scenario format takes: the single source for validation, scenarios/README.md and `lab describe scenario`.</summary>
public static class ScenarioSchema
{
    public static readonly KeySpec[] TopLevel =
    [
        new("name", "string", "(required)", "Scenario name, a label (letters, digits, '.', '_', '-'; starts with a letter or digit; at most 128): it names the results folder results/NAME and the store's runs."),
        new("description", "string", "\"\"", "One line shown in reports."),
        new("extends", "path", "(none)", "A base scenario file (relative to this one; it may lie outside this folder) merged under this one: mappings merge key by key, lists and values replace. Only a .yaml/.yml scenario file is read (see Limits)."),
        new("costs", "path", "(none)", "A cost profile (lab-cost-profile/1, from lab calibrate; path relative to this file): sets every cost it measured on every element that takes it; costs given in the scenario or by --set win."),
        new("run", "mapping", "", "Run control, see run.*."),
        new("traffic", "list", "(required)", "Traffic generators, see traffic[].*; at least one."),
        new("path", "list", "(required)", "Path elements in order: link, rss, stage, and model elements (see lab describe)."),
        new("outputs", "mapping", "", "What to record, see outputs.*."),
        new("sweep", "mapping", "(none)", "Parameter sweep: `param: [values]` pairs form a grid; or grid:/zip:/exclude: blocks."),
        new("probes", "mapping", "(none)", "State snapshots into probes.csv, see probes.*."),
    ];

    public static readonly KeySpec[] Probes =
    [
        new("at", "list of durations", "(none)", "Times of the snapshots; each must be before run.duration. A probe at t sees every packet before t and none at t."),
        new("every", "duration", "(none)", "Also a snapshot every this long from 0 (0 excluded) until the end of the run."),
    ];

    public static readonly KeySpec[] Run =
    [
        new("duration", "duration", "1s", "Simulated time of one run, including the warm-up."),
        new("warmup", "duration", "0s", "Statistics restart at this time; must be shorter than duration."),
        new("seed", "integer", "1", "Base seed; every component derives its own stream from (seed, replication, component name)."),
        new("replications", "integer 1..10000", "1", "Independent replications of every point."),
    ];

    public static readonly KeySpec[] Traffic =
    [
        new("name", "string", "(required)", "Generator name, unique; parameter paths use it (traffic.NAME.rate)."),
        new("kind", "cbr|poisson|onoff|sequence|script|pcap", "(required)", "Arrival process, an explicit packet list, a script of flows and directions, or a capture."),
        new("rate", "bit rate", "(required for cbr, poisson, onoff)", "Offered load counted on the wire (frame + 20 B preamble and gap), like line rate."),
        new("size", "size|imix|uniform(A,B)|list", "64B", "Frame size including Ethernet header and FCS; imix = 7:4:1 of 64/594/1518 B; a list of {size, weight} for an empirical mix."),
        new("flows", "integer", "1", "Number of concurrent flows; packets pick one uniformly (or see flow_mix)."),
        new("flow_mix", "mapping", "(none)", "Churning flows: {alpha: Pareto shape > 1, mean_packets: mean flow length}; `flows` is then the number active at once."),
        new("on", "duration", "1ms", "onoff: mean on period (exponential)."),
        new("off", "duration", "1ms", "onoff: mean off period (exponential)."),
        new("dscp", "integer 0..63", "0", "DSCP of the generated packets."),
        new("start", "duration", "0s", "When the generator starts."),
        new("stop", "duration", "(end of run)", "When the generator stops; after start."),
        new("packets", "list", "(sequence and script only)", "Explicit packets: sequence {at, size, flow, seq, dscp}; script {at, flow, dir, proto, src, dst, flags, size, spi, seq, dscp}."),
        new("file", "path", "(pcap only)", "A capture, pcap or pcapng (relative to the scenario), whose records are the traffic; link types in captures/CAPTURES.md."),
    ];

    public static readonly KeySpec[] Link =
    [
        new("name", "string", "link<N>", "Name used in drop reasons (NAME.queue_full)."),
        new("rate", "bit rate", "(required)", "Line rate; each frame takes (size + 20 B) x 8 / rate."),
        new("delay", "duration", "0s", "Propagation delay."),
        new("queue", "integer packets or size", "1000", "Transmit queue capacity in packets (1000 = Linux txqueuelen) or bytes (e.g. 256KiB); tail drop."),
    ];

    public static readonly KeySpec[] Rss =
    [
        new("name", "string", "cpu", "Name used in drop reasons (NAME.rx_ring_full) and per-core metrics."),
        new("cores", "integer 1..1024", "1", "Cores; the flow hash picks the core (receive-side scaling)."),
        new("ring", "integer packets", "1024", "Receive ring per core; 0 = unbounded (for queueing-theory checks)."),
    ];

    public static readonly KeySpec[] Stage =
    [
        new("name", "string", "(required)", "Stage name."),
        new("cost", "duration", "(required)", "CPU time per packet on the core (mean, when exponential)."),
        new("per_byte", "duration", "0ps", "Additional CPU time per frame byte."),
        new("dist", "fixed|exponential", "fixed", "Cost distribution."),
    ];

    public static readonly KeySpec[] Outputs =
    [
        new("timeseries", "duration", "10ms", "Time-series sampling interval; 0s turns it off. At most 1,000,000 samples per point (duration / interval x replications), checked before running."),
        new("latency_cdf", "boolean", "true", "Write latency_cdf.csv."),
    ];

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
