using System.Globalization;
using System.Text;
using Lab.Core;

namespace Lab.Experiments.Fuzzing;

/// <summary>
/// A connection of a case: its label, transport and both endpoints (client in 10.0.0.0/8 or 2001:db8:1::/48, server in
/// 198.18.0.0/15 or 2001:db8:2::/48, the kernel's test network). An ESP flow (proto esp) has addresses only (ports 0) and the SPI its packets carry.
/// </summary>
public sealed record FuzzFlow(string Label, string Proto, string Client, ushort ClientPort, string Server, ushort ServerPort, uint? Spi = null);

/// <summary>One scripted packet: when (milliseconds from 0), which flow, which direction, TCP flags as YAML writes them (e.g. "syn, ack"), frame size, and for ESP the sender's sequence number (64 bits with ESN).</summary>
public sealed record FuzzPacket(int AtMs, string Flow, bool Reply, string? Flags = null, int Size = 64, ulong? Seq = null);

/// <summary>
/// The esp_in element of an ESP case (the receiving SA the kernel gets as <c>ip xfrm state</c>): its replay window
/// (0 disables the check; legacy up to 32, bmp above, esn with ESN), ESN, the initial replay state
/// (replay-seq, replay-seq-hi), and the SA's shape on the wire. SA k has SPI 0x1000 + k.
/// </summary>
public sealed record FuzzEsp(int Window, bool Esn, uint InitSeq, uint InitSeqHi, bool Ipv6, bool Transport, bool Udp)
{
    public const uint FirstSpi = 0x1000;
}

/// <summary>The NAT statement: masquerade or snat to an address range, an optional port range and nft's flags.</summary>
public sealed record FuzzNat(bool Masquerade, string? Address, string? Ports, IReadOnlyList<string> Flags)
{
    public bool IsPlain => Masquerade && Address is null && Ports is null && Flags.Count == 0;
}

/// <summary>
/// One generated scripted scenario (<see cref="FuzzGrammar"/>): flows, packets, the forward element's
/// NAT, timeouts and switches, and the probe instants. Immutable so the shrinker can derive smaller
/// cases; <see cref="ToYaml"/> writes it as the scenario <c>lab validate</c> reads.
/// </summary>
/// <param name="Kernel">The model's kernel version (the DUT's, so version-dependent behaviour matches).</param>
/// <param name="Timeouts">timeouts.* keys in whole seconds.</param>
/// <param name="TcpLoose">null: the default (1).</param>
/// <param name="ConntrackMax">null: the default (the host's namespaces cannot set nf_conntrack_max).</param>
/// <param name="Esp">Set for an ESP case: the path is this esp_in element instead of forward, and every flow is ESP.</param>
public sealed record FuzzCase(
    string Name,
    string Kernel,
    IReadOnlyList<FuzzFlow> Flows,
    IReadOnlyList<FuzzPacket> Packets,
    FuzzNat? Nat,
    IReadOnlyList<KeyValuePair<string, int>> Timeouts,
    IReadOnlyList<int> ProbesMs,
    bool? TcpLoose = null,
    int? ConntrackMax = null,
    bool Flowtable = false,
    FuzzEsp? Esp = null)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The run's duration: a whole second at least 500 ms after the last packet or probe.</summary>
    public int DurationSeconds => (Math.Max(Packets.Count == 0 ? 0 : Packets.Max(p => p.AtMs), ProbesMs.Count == 0 ? 0 : ProbesMs.Max()) + 500 + 999) / 1000;

    /// <summary>
    /// Every flow's first packet is in the original direction, and the case has a packet; an ESP case has a packet for
    /// one of esp_in's SAs (the kernel is given the SAs the model has: none without such a packet).
    /// </summary>
    public bool IsPlayable =>
        Packets.Count > 0 && Flows.All(f => Packets.FirstOrDefault(p => p.Flow == f.Label) is not { Reply: true })
        && (Esp is null || Flows.Any(f => f.Spi is { } spi && spi - FuzzEsp.FirstSpi < 256 && Packets.Any(p => p.Flow == f.Label)));

    /// <summary>The scenario text, deterministic for a case. Comments carry <paramref name="header"/> lines; the description names the fuzz command as <paramref name="wording"/> does.</summary>
    public string ToYaml(IEnumerable<string>? header = null, Wording? wording = null)
    {
        string fuzz = (wording ?? Wording.Library).Render(new CommandName("fuzz"));
        var sb = new StringBuilder();
        foreach (var h in header ?? []) sb.Append("# ").Append(h.ReplaceLineEndings(" ")).Append('\n');
        sb.Append(Inv, $"name: {Name}\n");
        sb.Append(Inv, $"description: \"{fuzz} case: {Flows.Count} flow(s), {Packets.Count} packet(s), {ProbesMs.Count} probe(s)\"\n");
        sb.Append(Inv, $"run: {{ duration: {DurationSeconds}s, seed: 1 }}\n");
        sb.Append("outputs: { timeseries: 0s, latency_cdf: false }\n");
        sb.Append("traffic:\n  - name: fuzz\n    kind: script\n    packets:\n");
        var started = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Packets)
        {
            sb.Append(Inv, $"      - {{ at: {p.AtMs}ms, flow: {p.Flow}");
            if (p.Reply) sb.Append(", dir: reply");
            if (started.Add(p.Flow))
            {
                var f = Flows.First(x => x.Label == p.Flow);
                if (f.Spi is { } spi) sb.Append(Inv, $", proto: {f.Proto}, src: \"{f.Client}\", dst: \"{f.Server}\", spi: 0x{spi:x}");
                else if (f.Client.Contains(':', StringComparison.Ordinal)) sb.Append(Inv, $", proto: {f.Proto}, src: \"[{f.Client}]:{f.ClientPort}\", dst: \"[{f.Server}]:{f.ServerPort}\"");
                else sb.Append(Inv, $", proto: {f.Proto}, src: {f.Client}:{f.ClientPort}, dst: {f.Server}:{f.ServerPort}");
            }
            if (p.Seq is { } seq) sb.Append(Inv, $", seq: {seq}");
            if (p.Flags is { } flags) sb.Append(Inv, $", flags: [{flags}]");
            if (p.Size != 64) sb.Append(Inv, $", size: {p.Size}B");
            sb.Append(" }\n");
        }
        if (Esp is { } esp) sb.Append("path:\n  - esp_in: { ").Append(string.Join(", ", EspKeys(esp))).Append(" }\n");
        else sb.Append("path:\n  - forward: { ").Append(string.Join(", ", ForwardKeys())).Append(" }\n");
        if (ProbesMs.Count > 0) sb.Append("probes:\n  at: [").Append(string.Join(", ", ProbesMs.Select(t => string.Create(Inv, $"{t}ms")))).Append("]\n");
        return sb.ToString();
    }

    static IEnumerable<string> EspKeys(FuzzEsp esp)
    {
        yield return string.Create(Inv, $"spi: 0x{FuzzEsp.FirstSpi:x}");
        yield return string.Create(Inv, $"window: {esp.Window}");
        if (esp.Esn) yield return "esn: true";
        if (esp.InitSeq != 0) yield return string.Create(Inv, $"init_seq: {esp.InitSeq}");
        if (esp.InitSeqHi != 0) yield return string.Create(Inv, $"init_seq_hi: {esp.InitSeqHi}");
        if (esp.Ipv6) yield return "family: ipv6";
        if (esp.Transport) yield return "mode: transport";
        if (esp.Udp) yield return "encap: udp";
    }

    IEnumerable<string> ForwardKeys()
    {
        yield return $"kernel: {Kernel}";
        if (TcpLoose is { } loose) yield return $"tcp_loose: {(loose ? "true" : "false")}";
        if (ConntrackMax is { } max) yield return string.Create(Inv, $"conntrack_max: {max}");
        if (Flowtable) yield return "flowtable: true";
        if (Nat is { } nat)
        {
            if (nat.IsPlain) yield return "masquerade: true";
            else
            {
                var keys = new List<string>();
                if (nat.Address is { } a) keys.Add($"address: {a}");
                if (nat.Ports is { } ports) keys.Add($"ports: {ports}");
                if (nat.Flags.Count > 0) keys.Add($"flags: [{string.Join(", ", nat.Flags)}]");
                yield return $"{(nat.Masquerade ? "masquerade" : "snat")}: {{ {string.Join(", ", keys)} }}";
            }
        }
        if (Timeouts.Count > 0)
            yield return "timeouts: { " + string.Join(", ", Timeouts.Select(kv => string.Create(Inv, $"{kv.Key}: {kv.Value}s"))) + " }";
    }
}
