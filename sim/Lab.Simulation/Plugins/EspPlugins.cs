using Lab.Simulation.Running;
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

namespace Lab.Simulation.Plugins;

/// <summary>Cost keys shared by esp_out and esp_in, read into <see cref="EspCosts"/>.</summary>
static class EspCostKeys
{
    public static readonly KeySpec[] Keys =
    [
        new("cycles_per_byte", "number", "1.0", "Cipher cost in CPU cycles per encrypted byte."),
        new("core_ghz", "number", "3.0", "Core clock in GHz."),
        new("sa_lock_hold", "duration", "60ns", "Critical section under the SA lock per packet."),
        new("cache_line_bounce", "duration", "120ns", "Extra time when the SA lock moves between cores."),
        new("batchable_share", "number 0..1", "0.6", "Share of the fixed cost a bulked batch pays once."),
    ];

    public static EspCosts Read(MapReader r, string perPacketKey, bool outbound)
    {
        var d = new EspCosts();
        long perPacket = r.Duration(perPacketKey, outbound ? d.OutPerPacket : d.InPerPacket);
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

/// <summary><c>- esp_out: {...}</c>: ESP output on the cores of its group.</summary>
public sealed class EspOutPlugin : IModelPlugin, IPathElementBinder
{
    public IPathElementBinder Binder => this;
    public string Type => "esp_out";
    public string Summary => "ESP output: SA choice (shared or per-CPU), sequence numbers under the SA lock, ESP wire size, MTU, crypto cost";

    public IReadOnlyList<KeySpec> Keys { get; } =
    [
        new("name", "string", "esp_out", "Element name (drop reasons and metrics use it)."),
        new("mode", "tunnel|transport|beet", "tunnel", "ESP mode."),
        new("family", "ipv4|ipv6", "ipv4", "Outer IP family."),
        new("inner_family", "ipv4|ipv6", "ipv4", "Inner IP family (tunnel, beet)."),
        new("encap", "none|udp", "none", "UDP encapsulation (RFC 3948)."),
        new("cipher", "gcm16|cbc-sha256|null|null-noauth", "gcm16", "Transform."),
        new("tfc_pad", "size", "0B", "TFC padding (tunnel mode)."),
        new("esn", "boolean", "false", "Extended sequence numbers."),
        new("per_cpu", "boolean", "false", "One SA per core (RFC 9611) instead of one shared SA."),
        new("may_wrap", "boolean", "false", "XFRM_SA_XFLAG_OSEQ_MAY_WRAP."),
        new("init_seq", "integer", "0", "Initial outbound sequence number (oseq)."),
        new("init_seq_hi", "integer", "0", "Initial oseq_hi (ESN)."),
        new("batch", "integer 1..64", "1", "Packets per GSO/bulk batch: amortises the batchable share of the fixed cost."),
        new("mtu", "size", "1500B", "Path MTU of the outer packet."),
        new("df", "boolean", "true", "Inner IPv4 packets carry DF (too big -> dropped, XfrmOutStateModeError)."),
        new("per_packet", "duration", "3.1us", "Fixed outbound cost per packet."),
        .. EspCostKeys.Keys,
    ];

    public PathElement Bind(MapReader r, string defaultName)
    {
        var mode = r.Choice("mode", "tunnel", "tunnel", "transport", "beet") switch { "transport" => XfrmMode.Transport, "beet" => XfrmMode.Beet, _ => XfrmMode.Tunnel };
        var family = r.Choice("family", "ipv4", "ipv4", "ipv6") == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
        var inner = r.Choice("inner_family", family == IpFamily.Ipv6 ? "ipv6" : "ipv4", "ipv4", "ipv6") == "ipv6" ? IpFamily.Ipv6 : IpFamily.Ipv4;
        var encap = r.Choice("encap", "none", "none", "udp") == "udp" ? EspEncap.EspInUdp : EspEncap.None;
        string cipherName = r.Choice("cipher", "gcm16", "gcm16", "cbc-sha256", "null", "null-noauth");
        EspCipherParams.TryParse(cipherName, out var cipher);
        var geometry = new EspSaGeometry(mode, family, inner, encap, cipher, (int)r.Bytes("tfc_pad", 0));
        if (geometry.Validate() is { } problem) r.Problems.Add(r.Map.Pos, $"{r.Section}: {problem}");
        var cfg = new EspOutConfig(geometry, r.Boolean("esn", false), r.Boolean("per_cpu", false), r.Boolean("may_wrap", false),
            (uint)r.Integer("init_seq", 0, 0, uint.MaxValue), (uint)r.Integer("init_seq_hi", 0, 0, uint.MaxValue),
            (int)r.Integer("batch", 1, 1, 64), (int)r.Bytes("mtu", 1500, min: 576), r.Boolean("df", true),
            EspCostKeys.Read(r, "per_packet", outbound: true));
        return new ModelStageElement(Type, r.String("name") ?? defaultName, cfg, r.Map.Pos);
    }

    public ModelDescription Describe()
    {
        var esp = EspModel.Describe();
        return esp with
        {
            Parameters = [.. esp.Parameters, .. EspCosts.Parameters(), .. KeySpecDescriptions.From("esp_out.", Keys, "scenario key of the esp_out path element")],
            Notes = [.. esp.Notes, "Path elements: esp_out (sender cores), esp_in (receiver cores), esp_crypto (asynchronous decryption between them)."],
        };
    }

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx) =>
        new EspOutputStage(element.Name, (EspOutConfig)element.Config, ctx);

    /// <summary>Packets too big for the MTU (DF set) and time spent waiting for the shared SA's lock.</summary>
    public IReadOnlyList<string> KeyMetrics { get; } = ["XfrmOutStateModeError", "lock_wait_share"];

    public IEnumerable<MetricValue> Metrics(IPacketStage stage, double measuredSeconds)
    {
        var s = (EspOutputStage)stage;
        yield return new($"{s.Name}.sas", "SAs", s.Sas.Count);
        yield return new($"{s.Name}.XfrmOutStateSeqError", "packets", s.SeqErrorsMeasured);
        yield return new($"{s.Name}.XfrmOutStateModeError", "packets", s.ModeErrorsMeasured);
        yield return new($"{s.Name}.lock_wait_share", "ratio", s.LockWait / (measuredSeconds * SimTime.Second));
        yield return new($"{s.Name}.FragCreates", "fragments", s.FragCreates);
    }
}

/// <summary><c>- esp_in: {...}</c>: ESP input (replay check, ICV, recheck, advance) on the cores of its group.</summary>
public sealed class EspInPlugin : IModelPlugin, IPathElementBinder
{
    public IPathElementBinder Binder => this;
    public string Type => "esp_in";
    public string Summary => "ESP input: kernel-exact anti-replay (legacy, bmp, esn) around the ICV check, synchronous or asynchronous crypto";

    public IReadOnlyList<KeySpec> Keys { get; } =
    [
        new("name", "string", "esp_in", "Element name."),
        new("replay", "legacy|bmp|esn", "(iproute2's rule: esn with esn: true, else legacy up to 32, bmp above)", "Replay implementation."),
        new("window", "integer 0..4096", "32", "Replay window (0 = off; legacy clamps to 32)."),
        new("esn", "boolean", "false", "Extended sequence numbers."),
        new("init_seq", "integer", "0", "Initial top of the window (replay-seq)."),
        new("init_seq_hi", "integer", "0", "Initial seq_hi (replay-seq-hi)."),
        new("crypto", "sync|async", "sync", "async: this element only checks; an esp_crypto element later decrypts, rechecks and advances."),
        new("batch", "integer 1..64", "1", "GRO batch size: amortises the batchable share of the fixed cost."),
        new("per_packet", "duration", "3.1us", "Fixed inbound cost per packet."),
        .. EspCostKeys.Keys,
        .. EspInWire.Keys,
    ];

    public PathElement Bind(MapReader r, string defaultName)
    {
        bool esn = r.Boolean("esn", false);
        uint window = (uint)r.Integer("window", 32, 0, XfrmReplay.MaxEsnWindow);
        string defaultMode = esn ? "esn" : window <= 32 ? "legacy" : "bmp";
        var mode = r.Choice("replay", defaultMode, "legacy", "bmp", "esn") switch { "esn" => XfrmReplayMode.Esn, "bmp" => XfrmReplayMode.Bmp, _ => XfrmReplayMode.Legacy };
        uint seqHi = (uint)r.Integer("init_seq_hi", 0, 0, uint.MaxValue);
        if (XfrmReplay.Validate(mode, window, seqHi) is { } problem) r.Problems.Add(r.PosOf("window"), $"{r.Section}: {problem}");
        var cfg = new EspInConfig(mode, window, (uint)r.Integer("init_seq", 0, 0, uint.MaxValue), seqHi,
            r.Choice("crypto", "sync", "sync", "async") == "async", (int)r.Integer("batch", 1, 1, 64), EspCostKeys.Read(r, "per_packet", outbound: false));
        return new ModelStageElement(Type, r.String("name") ?? defaultName, new EspInElement(cfg, EspInWire.Read(r)), r.Map.Pos);
    }

    public ModelDescription Describe() => new("esp_in", Summary, "net/xfrm/xfrm_input.c xfrm_input; net/xfrm/xfrm_replay.c (Linux v6.12)",
        KeySpecDescriptions.From("esp_in.", Keys, "scenario key of the esp_in path element"),
        [
            "Script traffic (kind: script) names the SA by spi: SA k has spi + k (k < 256); another SPI or a non-ESP packet counts XfrmInNoStates. The packet's seq is the sender's (64 bits with ESN).",
            "probes: lists each SA as ip -s xfrm state shows it (xfrm_state) and /proc/net/xfrm_stat (xfrm_stat) into probes.csv.",
        ]);

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx) =>
        new EspInputStage(element.Name, ((EspInElement)element.Config).Model with { FirstSpi = ((EspInElement)element.Config).Wire.Spi }, ctx);

    /// <summary>Drops by the anti-replay window (the per-SA counter x->stats.replay_window).</summary>
    public IReadOnlyList<string> KeyMetrics { get; } = ["replay_window"];

    public IEnumerable<MetricValue> Metrics(IPacketStage stage, double measuredSeconds)
    {
        var s = (EspInputStage)stage;
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

    public static readonly KeySpec[] Keys =
    [
        new("spi", "integer 256..2^32-1", "0x1000", "SPI of the first SA (SA k has spi + k); lab validate configures the kernel's SAs with it."),
        new("key", "hex, 20/28/36 bytes", DefaultKey, "rfc4106(gcm(aes)) key material (AES key + 4-byte salt) for lab validate's frames and the kernel's SAs."),
        new("mode", "tunnel|transport", "(esp_out's, else tunnel)", "ESP mode of the SA on the wire (lab validate)."),
        new("family", "ipv4|ipv6", "(esp_out's, else ipv4)", "Outer family on the wire (lab validate)."),
        new("inner_family", "ipv4|ipv6", "(esp_out's, else the outer family)", "Inner family in tunnel mode (lab validate)."),
        new("encap", "none|udp", "(esp_out's, else none)", "UDP encapsulation on port 4500 (lab validate)."),
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

/// <summary><c>- esp_crypto: {...}</c>: asynchronous decryption workers between esp_in's check and its recheck.</summary>
public sealed class EspCryptoPlugin : IModelPlugin, IPathElementBinder
{
    public IPathElementBinder Binder => this;
    public string Type => "esp_crypto";
    public string Summary => "Asynchronous ESP decryption (cryptd/pcrypt workers): completions may overtake each other before the replay recheck";
    public bool IsStage => false;

    public IReadOnlyList<KeySpec> Keys { get; } =
    [
        new("name", "string", "esp_crypto", "Element name."),
        new("input", "string", "esp_in", "The esp_in element (crypto: async) whose SAs this engine resumes."),
        new("workers", "integer 1..256", "4", "Parallel crypto workers."),
        new("preserve_order", "boolean", "false", "Release completions in submission order (pcrypt/padata) instead of as they finish (cryptd)."),
        new("jitter", "number", "0.5", "Random extra crypto time as a share of the cipher time (exponential): scheduling noise on the workers."),
    ];

    public PathElement Bind(MapReader r, string defaultName) =>
        new ModelStageElement(Type, r.String("name") ?? defaultName,
            new CryptoConfig(r.String("input") ?? "esp_in", (int)r.Integer("workers", 4, 1, 256), r.Boolean("preserve_order", false), r.Number("jitter", 0.5, 0, 100)),
            r.Map.Pos);

    sealed record CryptoConfig(string Input, int Workers, bool PreserveOrder, double Jitter);

    public ModelDescription Describe() => new("esp_crypto", Summary, "crypto/cryptd.c, crypto/pcrypt.c, kernel/padata.c; xfrm_input_resume",
        KeySpecDescriptions.From("esp_crypto.", Keys, "scenario key of the esp_crypto path element"), []);

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx) => throw new NotSupportedException();

    public IPacketReceiver CreateElement(ModelStageElement element, SimulationContext ctx, Func<string, object?> byName)
    {
        var cfg = (CryptoConfig)element.Config;
        if (byName(cfg.Input) is not EspInputStage input || !input.Config.AsyncCrypto)
            throw new LabInputException($"{element.Pos}: esp_crypto.input: expected the name of an earlier esp_in element with crypto: async, found '{cfg.Input}'");
        return new EspCryptoEngine(ctx, element.Name, input, cfg.Workers, cfg.PreserveOrder, cfg.Jitter);
    }

    public void Connect(IPacketReceiver element, IPacketReceiver next) => ((EspCryptoEngine)element).Next = next;
}
