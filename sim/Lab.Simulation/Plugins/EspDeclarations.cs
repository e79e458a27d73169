using Lab.Core;
using Lab.Esp;
using Lab.Esp.Path;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Esp.Wire;
using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;
using Lab.Simulation.Running;

namespace Lab.Simulation.Plugins;

/// <summary>Reads the cost keys esp_out and esp_in share (<see cref="EspCosts.Parameters"/>) into <see cref="EspCosts"/>.</summary>
static class EspCostKeys
{
    public static EspCosts Read(MapReader r, bool outbound)
    {
        var d = new EspCosts();
        long perPacket = r.Duration("per_packet", outbound ? d.OutPerPacket : d.InPerPacket);
        return d with
        {
            OutPerPacket = outbound ? perPacket : d.OutPerPacket,
            InPerPacket = outbound ? d.InPerPacket : perPacket,
            CyclesPerByte = r.Number("cycles_per_byte", d.CyclesPerByte, 0, 1000),
            CoreGhz = r.Number("core_ghz", d.CoreGhz, 0.1, 10),
            SaLockHold = r.Duration("sa_lock_hold", d.SaLockHold),
            CacheLineBounce = r.Duration("cache_line_bounce", d.CacheLineBounce),
            BatchableShare = r.Number("batchable_share", d.BatchableShare, 0, 1),
        };
    }
}

/// <summary>Sources shared by the ESP elements' keys.</summary>
static class EspSources
{
    public const string Mode = "RFC 4303 section 3.1; xfrm_output.c";
    public const string Family = "esp4.c / esp6.c";
    public const string Encap = "RFC 3948; esp_output_udp_encap, UDP port 4500";
    public const string Cipher = "RFC 4106 (IV 8, ICV 16); RFC 3602 + RFC 4868 (IV 16, block 16, ICV 16); RFC 2410 null + HMAC-SHA-256-128; digest_null per esp_init_authenc";
    public const string Esn = "RFC 4303 section 2.2.1 and appendix A; XFRM_STATE_ESN";
    public const string InitSeq = "iproute2 replay-seq / replay-oseq (XFRMA_REPLAY_VAL / ESN attribute)";
    public const string InitSeqHi = "iproute2 replay-seq-hi / replay-oseq-hi (ESN only)";
    public const string Batch = "assumption: GSO/GRO-style bulking through xfrm";
}

/// <summary><c>- esp_out: {...}</c>: ESP output on the cores of its group.</summary>
public sealed class EspOutDeclaration : StageDeclaration<EspOutConfig, EspOutputStage>
{
    public override string Type => "esp_out";
    public override string Summary => "ESP output: SA choice (shared or per-CPU), sequence numbers under the SA lock, ESP wire size, MTU, crypto cost";
    public override string KernelCounterpart => $"Linux {KernelReference.Version}: net/xfrm/xfrm_output.c, xfrm_replay.c (xfrm_replay_overflow), xfrm_state.c (xfrm_state_mtu); net/ipv4/esp4.c, net/ipv6/esp6.c";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } =
    [
        new("name", "string", "esp_out", "", "lab", "Element name (drop reasons and metrics use it)."),
        new("mode", "tunnel|transport|beet", "tunnel", "tunnel|transport|beet", EspSources.Mode, "ESP mode."),
        new("family", "ipv4|ipv6", "ipv4", "ipv4|ipv6", EspSources.Family, "Outer IP family."),
        new("inner_family", "ipv4|ipv6", "(family)", "ipv4|ipv6", "RFC 4303 section 3.1.2 (tunnel), RFC 7402 (BEET)", "Inner IP family (tunnel, beet)."),
        new("encap", "none|udp", "none", "none|udp", EspSources.Encap, "UDP encapsulation (+8 bytes)."),
        new("cipher", "gcm16|cbc-sha256|null|null-noauth", "gcm16", "gcm16|cbc-sha256|null|null-noauth", EspSources.Cipher, "Transform; decides IV, padding boundary (ALIGN(blocksize, 4)) and ICV length."),
        new("tfc_pad", "size", "0B", "0..mtu, tunnel mode only", "XFRMA_TFCPAD; esp4.c esp_output pads to min(tfcpad, xfrm_state_mtu)", "Traffic-flow-confidentiality padding target (RFC 4303 section 2.4)."),
        new("esn", "boolean", "false", "true|false", EspSources.Esn, "Extended sequence numbers."),
        new("per_cpu", "boolean", "false", "true|false", "RFC 9611 (per-resource SAs)", "One SA per core instead of one shared SA."),
        new("may_wrap", "boolean", "false", "true|false", "XFRM_SA_XFLAG_OSEQ_MAY_WRAP, xfrm_replay.c __xfrm_replay_overflow", "Let a 32-bit outbound counter wrap to 0 instead of stopping the SA with -EOVERFLOW (no effect with ESN)."),
        new("init_seq", "integer", "0", "0..4294967295", EspSources.InitSeq, "Initial outbound sequence number (oseq)."),
        new("init_seq_hi", "integer", "0", "0..4294967295", EspSources.InitSeqHi, "Initial oseq_hi (ESN)."),
        new("batch", "integer", "1", "1..64", EspSources.Batch, "Packets per GSO/bulk batch: amortises the batchable share of the fixed cost."),
        new("mtu", "size", "1500B", ">= 576B", "Ethernet default MTU; xfrm_state_mtu", "Path MTU of the outer packet."),
        new("df", "boolean", "true", "true|false", "Linux default IP_PMTUDISC_WANT for TCP sets DF; xfrm4_tunnel_check_size", "Inner IPv4 packets carry DF (too big -> dropped, XfrmOutStateModeError; clear -> the outer packet is fragmented)."),
        .. EspCosts.Parameters(outbound: true),
    ];

    public override IReadOnlyList<string> Notes { get; } =
    [
        "Outbound: the first packet carries 1; a 32-bit counter stops the SA at 0xffffffff (XfrmOutStateSeqError) unless may_wrap, then the next packet carries 0.",
        "See lab describe esp for the whole ESP model (esp_out, esp_in, esp_crypto).",
    ];

    protected override EspOutConfig BindConfig(MapReader r)
    {
        var mode = r.Choice("mode", "tunnel", "tunnel", "transport", "beet") switch { "transport" => XfrmMode.Transport, "beet" => XfrmMode.Beet, _ => XfrmMode.Tunnel };
        var family = r.Choice("family", "ipv4", "ipv4", "ipv6") == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
        var inner = r.Choice("inner_family", family == IpFamily.Ipv6 ? "ipv6" : "ipv4", "ipv4", "ipv6") == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
        var encap = r.Choice("encap", "none", "none", "udp") == "udp" ? EspEncap.EspInUdp : EspEncap.None;
        string cipherName = r.Choice("cipher", "gcm16", "gcm16", "cbc-sha256", "null", "null-noauth");
        EspCipherParams.TryParse(cipherName, out var cipher);
        var geometry = new EspSaGeometry(mode, family, inner, encap, cipher, (int)r.Bytes("tfc_pad", 0));
        if (geometry.Validate() is { } problem) r.Problems.Add(r.Map.Pos, $"{r.Section}: {problem}");
        return new EspOutConfig(geometry, r.Boolean("esn", false), r.Boolean("per_cpu", false), r.Boolean("may_wrap", false),
            (uint)r.Integer("init_seq", 0, 0, uint.MaxValue), (uint)r.Integer("init_seq_hi", 0, 0, uint.MaxValue),
            (int)r.Integer("batch", 1, 1, 64), (int)r.Bytes("mtu", 1500, min: 576), r.Boolean("df", true),
            EspCostKeys.Read(r, outbound: true));
    }

    protected override EspOutputStage CreateStage(string name, EspOutConfig config, SimulationContext ctx) => new(name, config, ctx);

    /// <summary>Packets too big for the MTU (DF set) and time spent waiting for the shared SA's lock.</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["XfrmOutStateModeError", "lock_wait_share"];

    protected override IEnumerable<MetricValue> Metrics(EspOutputStage s, double measuredSeconds)
    {
        yield return new($"{s.Name}.sas", "SAs", s.Sas.Count);
        yield return new($"{s.Name}.XfrmOutStateSeqError", "packets", s.SeqErrorsMeasured);
        yield return new($"{s.Name}.XfrmOutStateModeError", "packets", s.ModeErrorsMeasured);
        yield return new($"{s.Name}.lock_wait_share", "ratio", s.LockWait / (measuredSeconds * SimTime.Second));
        yield return new($"{s.Name}.FragCreates", "fragments", s.FragCreates);
    }
}

/// <summary><c>- esp_in: {...}</c>: ESP input (replay check, ICV, recheck, advance) on the cores of its group.</summary>
public sealed class EspInDeclaration : StageDeclaration<EspInElement, EspInputStage>
{
    public override string Type => "esp_in";
    public override string Summary => "ESP input: kernel-exact anti-replay (legacy, bmp, esn) around the ICV check, synchronous or asynchronous crypto";
    public override string KernelCounterpart => $"net/xfrm/xfrm_input.c xfrm_input; net/xfrm/xfrm_replay.c (Linux {KernelReference.Version})";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } =
    [
        new("name", "string", "esp_in", "", "lab", "Element name."),
        new("replay", "legacy|bmp|esn", "(esn with esn: true, else legacy up to window 32, bmp above)", "legacy|bmp|esn",
            "net/xfrm/xfrm_replay.c xfrm_init_replay; iproute2 ip/xfrm_state.c sends XFRMA_REPLAY_ESN_VAL for flag esn or replay-window > 32",
            "Anti-replay implementation: legacy 32-bit bitmap, bmp ring bitmap, esn 64-bit sequence numbers."),
        new("window", "integer", "32", "0..4096 (legacy clamps to 32; esn 1..4096)",
            "strongSwan charon.replay_window default 32; xfrm_user.c copy_from_user_state clamps legacy to 32; XFRMA_REPLAY_ESN_MAX 4096",
            "Replay window; 0 disables replay protection (legacy, bmp); the kernel rejects 0 for an inbound ESN SA."),
        new("esn", "boolean", "false", "true|false", EspSources.Esn, "Extended sequence numbers."),
        new("init_seq", "integer", "0", "0..4294967295", EspSources.InitSeq, "Initial top of the window (replay-seq); the bitmap starts empty."),
        new("init_seq_hi", "integer", "0", "0..4294967295", EspSources.InitSeqHi, "Initial seq_hi (replay-seq-hi)."),
        new("crypto", "sync|async", "sync", "sync|async", "cryptd / pcrypt; xfrm_input resumes via xfrm_input_resume",
            "async: this element only checks; an esp_crypto element later decrypts, rechecks and advances (packets can complete out of order in between)."),
        new("batch", "integer", "1", "1..64", EspSources.Batch, "GRO batch size: amortises the batchable share of the fixed cost."),
        .. EspCosts.Parameters(outbound: false),
        .. EspInWire.Parameters,
    ];

    public override IReadOnlyList<string> Notes { get; } =
    [
        "Script traffic (kind: script) names the SA by spi: SA k has spi + k (k < 256); another SPI or a non-ESP packet counts XfrmInNoStates. The packet's seq is the sender's (64 bits with ESN).",
        "probes: lists each SA as ip -s xfrm state shows it (xfrm_state) and /proc/net/xfrm_stat (xfrm_stat) into probes.csv.",
        "See lab describe esp for the whole ESP model (esp_out, esp_in, esp_crypto).",
    ];

    protected override EspInElement BindConfig(MapReader r)
    {
        bool esn = r.Boolean("esn", false);
        uint window = (uint)r.Integer("window", 32, 0, XfrmReplay.MaxEsnWindow);
        string defaultMode = esn ? "esn" : window <= 32 ? "legacy" : "bmp";
        var mode = r.Choice("replay", defaultMode, "legacy", "bmp", "esn") switch { "esn" => XfrmReplayMode.Esn, "bmp" => XfrmReplayMode.Bmp, _ => XfrmReplayMode.Legacy };
        uint seqHi = (uint)r.Integer("init_seq_hi", 0, 0, uint.MaxValue);
        if (XfrmReplay.Validate(mode, window, seqHi) is { } problem) r.Problems.Add(r.PosOf("window"), $"{r.Section}: {problem}");
        var cfg = new EspInConfig(mode, window, (uint)r.Integer("init_seq", 0, 0, uint.MaxValue), seqHi,
            r.Choice("crypto", "sync", "sync", "async") == "async", (int)r.Integer("batch", 1, 1, 64), EspCostKeys.Read(r, outbound: false));
        return new EspInElement(cfg, EspInWire.Read(r));
    }

    protected override EspInputStage CreateStage(string name, EspInElement config, SimulationContext ctx) =>
        new(name, config.Model with { FirstSpi = config.Wire.Spi }, ctx);

    /// <summary>Drops by the anti-replay window (the per-SA counter x->stats.replay_window).</summary>
    public override IReadOnlyList<string> KeyMetrics { get; } = ["replay_window"];

    protected override IEnumerable<MetricValue> Metrics(EspInputStage s, double measuredSeconds)
    {
        var (window, replay, integrity) = s.Totals();
        yield return new($"{s.Name}.replay_window", "packets", window);
        yield return new($"{s.Name}.replay", "packets", replay);
        yield return new($"{s.Name}.integrity_failed", "packets", integrity);
        yield return new($"{s.Name}.XfrmInStateSeqError", "packets", s.SeqErrorsMeasured);
        yield return new($"{s.Name}.XfrmInStateProtoError", "packets", s.ProtoErrorsMeasured);
        yield return new($"{s.Name}.sas", "SAs", s.Sas.Count);
    }
}

/// <summary>An esp_in element's configuration: the model's, and the SA's wire format for `lab validate`.</summary>
public sealed record EspInElement(EspInConfig Model, EspInWire Wire);

/// <summary>
/// What esp_in's SAs look like on the wire. The simulation does not need it (its SAs are
/// indexed, its packets carry their sequence number), but `lab validate` configures the
/// kernel's SAs (ip xfrm state) and encrypts the frames with it. Null fields follow the
/// esp_out element of the same path, else tunnel, IPv4, no encapsulation.
/// </summary>
/// <param name="Spi">SPI of the first SA; SA k has Spi + k.</param>
/// <param name="Key">rfc4106(gcm(aes)) key material: AES key and 4-byte salt (RFC 4106 section 8.1).</param>
/// <param name="Mode">Tunnel or transport.</param>
/// <param name="Family">Outer family.</param>
/// <param name="InnerFamily">Inner family in tunnel mode.</param>
/// <param name="Encap">UDP encapsulation (RFC 3948).</param>
public sealed record EspInWire(uint Spi, byte[] Key, XfrmMode? Mode, IpFamily? Family, IpFamily? InnerFamily, EspEncap? Encap)
{
    /// <summary>The lab's default key: AES-128 key 00..0f and salt 10111213, a test value, never for real traffic.</summary>
    public const string DefaultKey = "0x000102030405060708090a0b0c0d0e0f10111213";

    public const uint DefaultSpi = 0x1000;

    public static readonly ParameterSpec[] Parameters =
    [
        new("spi", "integer", "0x1000", "256..4294967295", "RFC 4303 section 2.1 (SPIs 1..255 are reserved)", "SPI of the first SA (SA k has spi + k); lab validate configures the kernel's SAs with it."),
        new("key", "hex, 20/28/36 bytes", DefaultKey, "", "RFC 4106 section 8.1 (key + 4-byte salt); a test value", "rfc4106(gcm(aes)) key material (AES key + 4-byte salt) for lab validate's frames and the kernel's SAs."),
        new("mode", "tunnel|transport", "(esp_out's, else tunnel)", "tunnel|transport", "RFC 4303 section 3.1", "ESP mode of the SA on the wire (lab validate)."),
        new("family", "ipv4|ipv6", "(esp_out's, else ipv4)", "ipv4|ipv6", "esp4.c / esp6.c", "Outer family on the wire (lab validate)."),
        new("inner_family", "ipv4|ipv6", "(esp_out's, else the outer family)", "ipv4|ipv6", "RFC 4303 section 3.1.2", "Inner family in tunnel mode (lab validate)."),
        new("encap", "none|udp", "(esp_out's, else none)", "none|udp", "RFC 3948", "UDP encapsulation on port 4500 (lab validate)."),
    ];

    public static EspInWire Read(MapReader r)
    {
        long spi = r.Integer("spi", DefaultSpi, 256, uint.MaxValue);
        string keyText = r.String("key") ?? DefaultKey;
        string hex = keyText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? keyText[2..] : keyText;
        byte[] key = [];
        if (hex.Length % 2 != 0 || hex.Any(c => !char.IsAsciiHexDigit(c)) || hex.Length / 2 is not (20 or 28 or 36))
            r.Problems.Add(r.PosOf("key"), $"{r.Section}.key: expected 20, 28 or 36 bytes of hex (AES key + 4-byte salt, e.g. {DefaultKey}), found '{keyText}'");
        else key = Convert.FromHexString(hex);
        XfrmMode? mode = r.Has("mode") ? (r.Choice("mode", "tunnel", "tunnel", "transport") == "transport" ? XfrmMode.Transport : XfrmMode.Tunnel) : null;
        IpFamily? family = r.Has("family") ? ParseFamily(r.Choice("family", "ipv4", "ipv4", "ipv6")) : null;
        IpFamily? inner = r.Has("inner_family") ? ParseFamily(r.Choice("inner_family", "ipv4", "ipv4", "ipv6")) : null;
        EspEncap? encap = r.Has("encap") ? (r.Choice("encap", "none", "none", "udp") == "udp" ? EspEncap.EspInUdp : EspEncap.None) : null;
        return new EspInWire((uint)spi, key, mode, family, inner, encap);
    }

    static IpFamily ParseFamily(string s) => s == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
}

/// <summary>The esp_crypto element's configuration.</summary>
public sealed record EspCryptoConfig(string Input, int Workers, bool PreserveOrder, double Jitter);

/// <summary><c>- esp_crypto: {...}</c>: asynchronous decryption workers between esp_in's check and its recheck.</summary>
public sealed class EspCryptoDeclaration : ComponentDeclaration<EspCryptoConfig, EspCryptoEngine>
{
    const string Lab = "lab";

    public override string Type => "esp_crypto";
    public override string Summary => "Asynchronous ESP decryption (cryptd/pcrypt workers): completions may overtake each other before the replay recheck";
    public override string KernelCounterpart => "crypto/cryptd.c, crypto/pcrypt.c, kernel/padata.c; xfrm_input_resume";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } =
    [
        new("name", "string", "esp_crypto", "", Lab, "Element name."),
        new("input", "string", "esp_in", "", Lab, "The esp_in element (crypto: async) whose SAs this engine resumes."),
        new("workers", "integer", "4", "1..256", "assumption: cryptd/pcrypt worker threads", "Parallel crypto workers."),
        new("preserve_order", "boolean", "false", "true|false", "crypto/pcrypt.c, kernel/padata.c (serialised completion)", "Release completions in submission order (pcrypt/padata) instead of as they finish (cryptd)."),
        new("jitter", "number", "0.5", "0..100", "assumption: scheduling noise on the workers", "Random extra crypto time as a share of the cipher time (exponential)."),
    ];

    protected override EspCryptoConfig BindConfig(MapReader r) =>
        new(r.String("input") ?? "esp_in", (int)r.Integer("workers", 4, 1, 256), r.Boolean("preserve_order", false), r.Number("jitter", 0.5, 0, 100));

    protected override EspCryptoEngine Create(ModelStageElement element, EspCryptoConfig cfg, SimulationContext ctx, Func<string, object?> byName)
    {
        if (byName(cfg.Input) is not EspInputStage input || !input.Config.AsyncCrypto)
            throw new LabInputException($"{element.Pos}: esp_crypto.input: expected the name of an earlier esp_in element with crypto: async, found '{cfg.Input}'");
        return new EspCryptoEngine(ctx, element.Name, input, cfg.Workers, cfg.PreserveOrder, cfg.Jitter);
    }

    protected override void Connect(EspCryptoEngine component, IPacketReceiver next) => component.Next = next;
}
