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

/// <summary>One element's rows of <see cref="IpTfsModel.Parameters"/>, under the keys its YAML mapping takes.</summary>
static class IpTfsParameters
{
    public static ParameterSpec[] Of(string element) =>
        [.. IpTfsModel.Parameters.Where(p => p.Key.StartsWith(element + ".", StringComparison.Ordinal)).Select(p => p with { Key = p.Key[(element.Length + 1)..] })];
}

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

    /// <summary>The iptfs_out rows of the IP-TFS model's declaration (<see cref="IpTfsModel.Parameters"/>).</summary>
    public override IReadOnlyList<ParameterSpec> Parameters { get; } = IpTfsParameters.Of("iptfs_out");

    public override IReadOnlyList<string> Notes { get; } =
        ["See `lab describe iptfs` for the whole model. No Debian kernel here has IP-TFS, so the kernel validation cannot cover it."];

    protected override IpTfsOutConfig BindConfig(MapReader r)
    {
        var mode = r.Choice("mode", "demand", "demand", "constant", "cc", "tunnel") switch
        {
            "constant" => IpTfsSendMode.Constant,
            "cc" => IpTfsSendMode.CongestionControlled,
            "tunnel" => IpTfsSendMode.Tunnel,
            _ => IpTfsSendMode.Demand,
        };
        var family = r.Choice("family", "ipv4", "ipv4", "ipv6") == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
        var inner = r.Choice("inner_family", "ipv4", "ipv4", "ipv6") == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
        var encap = r.Choice("encap", "none", "none", "udp") == "udp" ? EspEncap.EspInUdp : EspEncap.None;
        EspCipherParams.TryParse(r.Choice("cipher", "gcm16", "gcm16", "cbc-sha256", "null", "null-noauth"), out var cipher);
        bool fixedSize = mode is IpTfsSendMode.Constant or IpTfsSendMode.CongestionControlled;
        var geometry = new IpTfsGeometry(new EspSaGeometry(XfrmMode.Tunnel, family, inner, encap, cipher), mode == IpTfsSendMode.CongestionControlled);
        double rate = r.BitRate("rate", 0, required: fixedSize);
        var cfg = new IpTfsOutConfig(mode, geometry,
            (int)r.Bytes("packet_size", 0), (int)r.Bytes("mtu", 1500, min: 576), rate,
            r.Duration("init_delay", IpTfsOutConfig.DefaultInitDelay),
            r.Bytes("max_queue_size", IpTfsOutConfig.DefaultMaxQueueBytes, min: 1),
            r.Boolean("dont_frag", false),
            r.Duration("reverse_delay", 10 * SimTime.Millisecond),
            r.Duration("reverse_interval", SimTime.Millisecond, positive: true));
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

    /// <summary>The iptfs_in rows of the IP-TFS model's declaration (<see cref="IpTfsModel.Parameters"/>).</summary>
    public override IReadOnlyList<ParameterSpec> Parameters { get; } = IpTfsParameters.Of("iptfs_in");

    public override IReadOnlyList<string> Notes { get; } =
        ["See `lab describe iptfs` for the whole model. No Debian kernel here has IP-TFS, so the kernel validation cannot cover it."];

    protected override IpTfsInConfig BindConfig(MapReader r) =>
        new(r.String("sender") ?? "iptfs_out", (int)r.Integer("reorder_window", IpTfsInConfig.DefaultReorderWindow, 0, ushort.MaxValue),
            r.Duration("drop_time", IpTfsInConfig.DefaultDropTime, positive: true));

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
