using Lab.Core;
using Lab.Esp;
using Lab.Esp.IpTfs;
using Lab.Esp.Sa;
using Lab.Esp.Wire;
using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;

using Lab.Simulation.Running;

namespace Lab.Simulation.Plugins;

/// <summary>
/// <c>- iptfs_out: {...}</c>: the ingress of an IP-TFS SA (not per-core work: a queue and a timer of
/// its own, like esp_crypto). Outer packets go to the next element; an iptfs_in later in the path
/// must name it as its sender.
/// </summary>
public sealed class IpTfsOutDeclaration : ComponentDeclaration<IpTfsOutConfig, IpTfsSender>
{
    public override string Type => "iptfs_out";
    public override string Summary => "IP-TFS sender (RFC 9347): queue, aggregation and fragmentation into outer ESP packets; demand (Linux), constant rate, TFRC, or plain tunnel";
    public override string KernelCounterpart => IpTfsModel.Describe().KernelCounterpart;

    const string Kernel = IpTfsModel.Kernel;

    static readonly Parameter<IpTfsSendMode> Mode = Parameter.Choice("mode", IpTfsSendMode.Demand, $"{Kernel}; RFC 9347 sections 2.4.1, 2.4.2",
        "demand: the kernel's sender (timer of init_delay, then the whole queue, no padding). constant: fixed-size packets at `rate`, padded (RFC 9347 2.4.1). cc: fixed-size packets at a TFRC rate up to `rate` (2.4.2, RFC 5348). tunnel: plain RFC 4303 tunnel mode, one ESP packet per inner packet (baseline).",
        ("demand", IpTfsSendMode.Demand), ("constant", IpTfsSendMode.Constant), ("cc", IpTfsSendMode.CongestionControlled), ("tunnel", IpTfsSendMode.Tunnel));
    static readonly Parameter<IpFamily> Family = Parameter.Choice("family", IpFamily.Ipv4, "esp4.c / esp6.c", "Outer IP family.", EspKeys.Families);
    static readonly Parameter<IpFamily> InnerFamily = Parameter.Choice("inner_family", IpFamily.Ipv4, "RFC 9347 section 6.1.3",
        "Inner IP family (decides the data block's length field: IPv4 Total Length, IPv6 Payload Length).", EspKeys.Families);
    static readonly Parameter<EspEncap> Encap = Parameter.Choice("encap", EspEncap.None, "RFC 3948", "UDP encapsulation of the outer packets.", EspKeys.Encaps);
    static readonly Parameter<EspCipher> Cipher = Parameter.Choice("cipher", EspCipher.Gcm16, "esp_output (esp4.c)", "Transform: IV, block and ICV sizes.", EspKeys.Ciphers);
    static readonly Parameter<long> PacketSize = Parameter.Size("packet_size", 0, $"{Kernel} XFRMA_IPTFS_PKT_SIZE; RFC 9347 section 4.2",
        "Outer IP packet size; 0 = from the path MTU. demand: the kernel's payload_mtu = pkt_size - header_len (trailer and ICV come on top). constant, cc: the exact fixed size.",
        rangeNote: "(0 or above header_len)");
    static readonly Parameter<long> Mtu = Parameter.Size("mtu", 1500, "xfrm_state_mtu / iptfs_get_cur_pmtu", "Path MTU of the outer packets.", min: 576);
    static readonly Parameter<double> Rate = Parameter.BitRate("rate", 0, "RFC 9347 sections 2, 4.1",
        "constant: the outer send rate; cc: its ceiling. Counted on the wire (frame + 20 B), as link rates are.", unit: "bit rate").Derived("(required for constant and cc)");
    static readonly Parameter<long> InitDelay = Parameter.Duration("init_delay", IpTfsOutConfig.DefaultInitDelay, $"{Kernel} IPTFS_DEFAULT_INIT_DELAY_USECS",
        "demand: time from the first packet queued (on an empty queue) to sending the queue.");
    static readonly Parameter<long> MaxQueueSize = Parameter.Size("max_queue_size", IpTfsOutConfig.DefaultMaxQueueBytes, $"{Kernel} IPTFS_DEFAULT_MAX_QUEUE_SIZE = 1024 * 10240 (its comment says 1M)",
        "Octets of inner packets queued; beyond it packets are dropped (XfrmOutNoQueueSpace). Above 95% they are marked ECN CE (counted).", min: 1);
    static readonly Parameter<bool> DontFrag = Parameter.Boolean("dont_frag", false, $"{Kernel} XFRMA_IPTFS_DONT_FRAG; RFC 9347 section 6.1.4 (D bit)",
        "Never split an inner packet: larger ones are dropped (XfrmOutError, ICMP too big); constant mode pads instead of fragmenting.");
    static readonly Parameter<long> ReverseDelay = Parameter.Duration("reverse_delay", 10 * SimTime.Millisecond, "assumption",
        "cc: one-way delay of the receiver's congestion information back to the sender.");
    static readonly Parameter<long> ReverseInterval = Parameter.Duration("reverse_interval", SimTime.Millisecond, "assumption (RFC 9347 section 3: Transmit Delay)",
        "cc: the receiver's own send interval on its SA: feedback goes out at most this often, and it is the reported Transmit Delay.", positive: true);

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "iptfs_out", "lab", "Element name (drop reasons and metrics use it)."),
        Mode, Family, InnerFamily, Encap, Cipher, PacketSize, Mtu, Rate, InitDelay, MaxQueueSize, DontFrag, ReverseDelay, ReverseInterval,
    ];

    public override IReadOnlyList<string> Notes { get; } =
        ["The model iptfs describes the whole model. No Debian kernel here has IP-TFS, so the kernel validation cannot cover it."];

    protected override IpTfsOutConfig BindConfig(MapReader r)
    {
        var mode = r.Read(Mode);
        var family = r.Read(Family);
        var inner = r.Read(InnerFamily);
        var encap = r.Read(Encap);
        var cipher = r.Read(Cipher);
        bool fixedSize = mode is IpTfsSendMode.Constant or IpTfsSendMode.CongestionControlled;
        var geometry = new IpTfsGeometry(new EspSaGeometry(XfrmMode.Tunnel, family, inner, encap, cipher), mode == IpTfsSendMode.CongestionControlled);
        double rate = r.Read(Rate, 0, required: fixedSize);
        var cfg = new IpTfsOutConfig(mode, geometry,
            (int)r.Read(PacketSize), (int)r.Read(Mtu), rate,
            r.Read(InitDelay),
            r.Read(MaxQueueSize),
            r.Read(DontFrag),
            r.Read(ReverseDelay),
            r.Read(ReverseInterval));
        if (cfg.Validate() is { } problem) r.Problems.Add(r.Map.Pos, $"{r.Section}: {problem}");
        return cfg;
    }

    protected override IpTfsSender Create(ModelStageElement element, IpTfsOutConfig config, SimulationContext ctx, Func<string, object?> byName) =>
        new(ctx, element.Name, config);

    protected override void Connect(IpTfsSender component, IPacketReceiver next) => component.Next = next;

    /// <summary>Inner bytes carried per outer wire byte.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["wire_efficiency"];

    protected override IEnumerable<MetricValue> Metrics(IpTfsSender s, double measuredSeconds)
    {
        string n = s.Name;
        yield return new($"{n}.outer_packets", "packets", s.OuterPackets);
        yield return new($"{n}.outer_pps", "pps", s.OuterPackets / measuredSeconds);
        yield return new($"{n}.outer_wire_bps", "bit/s", s.OuterWireBytes * 8 / measuredSeconds);
        yield return new($"{n}.all_pad_packets", "packets", s.AllPadPackets);
        yield return new($"{n}.wire_efficiency", "ratio", s.OuterWireBytes > 0 ? (double)s.InnerBytesCarried / s.OuterWireBytes : 0);
        yield return new($"{n}.padding_share", "ratio", s.DataSpaceBytes > 0 ? (double)s.PadBytes / s.DataSpaceBytes : 0);
        yield return new($"{n}.fragmented_share", "ratio", s.InnerPacketsSent > 0 ? (double)s.InnerPacketsFragmented / s.InnerPacketsSent : 0);
        yield return new($"{n}.queue_wait_mean_us", "us", s.QueueWait.Count > 0 ? s.QueueWait.Mean / SimTime.Microsecond : 0);
        yield return new($"{n}.queue_wait_max_us", "us", s.MaxQueueWait / (double)SimTime.Microsecond);
        yield return new($"{n}.size_cv", "ratio", s.SizeStats.CoefficientOfVariation);
        yield return new($"{n}.gap_cv", "ratio", s.GapStats.CoefficientOfVariation);
        yield return new($"{n}.XfrmOutNoQueueSpace", "packets", s.NoQueueSpace);
        yield return new($"{n}.XfrmOutError", "packets", s.OutError);
        yield return new($"{n}.ecn_ce_marked", "packets", s.EcnMarked);
        if (s.Config.Mode == IpTfsSendMode.CongestionControlled)
        {
            yield return new($"{n}.cc_rate_mean_bps", "bit/s", s.MeanCcRatePps * s.Config.FixedWireBytes * 8);
            yield return new($"{n}.cc_rtt_us", "us", s.Rtt / (double)SimTime.Microsecond);
        }
    }
}

/// <summary><c>- iptfs_in: {...}</c>: the egress of the IP-TFS SA named by <c>sender</c>.</summary>
public sealed class IpTfsInDeclaration : ComponentDeclaration<IpTfsInConfig, IpTfsReceiver>
{
    public override string Type => "iptfs_in";
    public override string Summary => "IP-TFS receiver (xfrm_iptfs.c): reorder window, drop timer, reassembly; inner packets lost with every outer packet that held a piece of them";
    public override string KernelCounterpart => IpTfsModel.Describe().KernelCounterpart;

    static readonly Parameter<string> Sender = Parameter.Text("sender", "iptfs_out", "lab", "The iptfs_out element whose SA this one receives.");
    static readonly Parameter<long> ReorderWindow = Parameter.Integer("reorder_window", IpTfsInConfig.DefaultReorderWindow, 0, ushort.MaxValue,
        $"{IpTfsModel.Kernel} IPTFS_DEFAULT_REORDER_WINDOW; RFC 9347 section 2.2.3",
        "Outer packets that may arrive early and wait for a missing one; 0 = no reordering (the kernel's fast path).");
    static readonly Parameter<long> DropTime = Parameter.Duration("drop_time", IpTfsInConfig.DefaultDropTime, $"{IpTfsModel.Kernel} IPTFS_DEFAULT_DROP_TIME_USECS",
        "How long a missing outer packet is waited for (from the newest saved one), and an in-progress reassembly.", positive: true);

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "iptfs_in", "lab", "Element name."),
        Sender, ReorderWindow, DropTime,
    ];

    public override IReadOnlyList<string> Notes { get; } =
        ["The model iptfs describes the whole model. No Debian kernel here has IP-TFS, so the kernel validation cannot cover it."];

    protected override IpTfsInConfig BindConfig(MapReader r) =>
        new(r.Read(Sender), (int)r.Read(ReorderWindow), r.Read(DropTime));

    protected override IpTfsReceiver Create(ModelStageElement element, IpTfsInConfig cfg, SimulationContext ctx, Func<string, object?> byName)
    {
        if (byName(cfg.Sender) is not IpTfsSender sender)
            throw new LabInputException($"{element.Pos}: iptfs_in.sender: expected the name of an earlier iptfs_out element, found '{cfg.Sender}'");
        if (sender.Receiver is not null)
            throw new LabInputException($"{element.Pos}: iptfs_in.sender: iptfs_out '{cfg.Sender}' already has a receiver");
        return new IpTfsReceiver(ctx, element.Name, cfg, sender);
    }

    protected override void Connect(IpTfsReceiver component, IPacketReceiver next) => component.Next = next;

    /// <summary>Inner packets lost: what outer loss costs once packets share outer packets.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["inner_loss_ratio"];

    protected override IEnumerable<MetricValue> Metrics(IpTfsReceiver r, double measuredSeconds)
    {
        string n = r.Name;
        yield return new($"{n}.outer_received", "packets", r.OuterReceived);
        yield return new($"{n}.outer_lost", "packets", r.OuterLost);
        yield return new($"{n}.outer_late", "packets", r.OuterLate);
        yield return new($"{n}.inner_delivered", "packets", r.InnerDelivered);
        yield return new($"{n}.inner_lost", "packets", r.InnerLost);
        // Plain tunnel mode carries one inner packet per outer packet: the receiver sees no sequence gaps, and
        // each outer packet lost is exactly one inner packet lost.
        bool tunnel = r.Sender.Config.Mode == IpTfsSendMode.Tunnel;
        yield return new($"{n}.loss_amplification", "packets", tunnel ? 1 : r.OuterLost > 0 ? (double)r.InnerLost / r.OuterLost : 0);
        // drops_total and loss_ratio also count the outer packets dropped on the path; this is the users' loss.
        yield return new($"{n}.inner_loss_ratio", "ratio", r.InnerDelivered + r.InnerLost > 0 ? (double)r.InnerLost / (r.InnerDelivered + r.InnerLost) : 0);
        yield return new($"{n}.XfrmInIptfsError", "packets", r.XfrmInIptfsError);
        yield return new($"{n}.reassembly_timeouts", "packets", r.ReassemblyTimeouts);
        yield return new($"{n}.loss_events", "events", r.LossEvents);
    }
}
