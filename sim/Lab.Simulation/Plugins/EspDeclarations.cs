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
        long perPacket = r.Read(outbound ? EspCosts.OutPerPacketParameter : EspCosts.InPerPacketParameter);
        return d with
        {
            OutPerPacket = outbound ? perPacket : d.OutPerPacket,
            InPerPacket = outbound ? d.InPerPacket : perPacket,
            CyclesPerByte = r.Read(EspCosts.CyclesPerByteParameter),
            CoreGhz = r.Read(EspCosts.CoreGhzParameter),
            SaLockHold = r.Read(EspCosts.SaLockHoldParameter),
            CacheLineBounce = r.Read(EspCosts.CacheLineBounceParameter),
            BatchableShare = r.Read(EspCosts.BatchableShareParameter),
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

/// <summary>Keys esp_out and esp_in (and IP-TFS) declare alike.</summary>
static class EspKeys
{
    public static readonly (string, IpFamily)[] Families = [("ipv4", IpFamily.Ipv4), ("ipv6", IpFamily.Ipv6)];
    public static readonly (string, EspEncap)[] Encaps = [("none", EspEncap.None), ("udp", EspEncap.EspInUdp)];
    /// <summary>The transforms by the names the model gives them (EspCipherParams.Name).</summary>
    public static readonly (string, EspCipher)[] Ciphers = [.. Enum.GetValues<EspCipher>().Select(c => (EspCipherParams.Name(c), c))];

    public static Parameter<bool> Esn() => Parameter.Boolean("esn", false, EspSources.Esn, "Extended sequence numbers.");

    public static Parameter<long> InitSeq(string description) => Parameter.Integer("init_seq", 0, 0, uint.MaxValue, EspSources.InitSeq, description);

    public static Parameter<long> InitSeqHi(string description) => Parameter.Integer("init_seq_hi", 0, 0, uint.MaxValue, EspSources.InitSeqHi, description);

    public static Parameter<long> Batch(string description) => Parameter.Integer("batch", 1, 1, 64, EspSources.Batch, description);
}

/// <summary><c>- esp_out: {...}</c>: ESP output on the cores of its group.</summary>
public sealed class EspOutDeclaration : StageDeclaration<EspOutConfig, EspOutputStage>
{
    public override string Type => "esp_out";
    public override string Summary => "ESP output: SA choice (shared or per-CPU), sequence numbers under the SA lock, ESP wire size, MTU, crypto cost";
    public override string KernelCounterpart => $"Linux {KernelReference.Version}: net/xfrm/xfrm_output.c, xfrm_replay.c (xfrm_replay_overflow), xfrm_state.c (xfrm_state_mtu); net/ipv4/esp4.c, net/ipv6/esp6.c";

    static readonly Parameter<XfrmMode> Mode = Parameter.Choice("mode", XfrmMode.Tunnel, EspSources.Mode, "ESP mode.",
        ("tunnel", XfrmMode.Tunnel), ("transport", XfrmMode.Transport), ("beet", XfrmMode.Beet));
    static readonly Parameter<IpFamily> Family = Parameter.Choice("family", IpFamily.Ipv4, EspSources.Family, "Outer IP family.", EspKeys.Families);
    static readonly Parameter<IpFamily> InnerFamily = Parameter.Choice("inner_family", IpFamily.Ipv4, "RFC 4303 section 3.1.2 (tunnel), RFC 7402 (BEET)",
        "Inner IP family (tunnel, beet).", EspKeys.Families).Derived("(family)");
    static readonly Parameter<EspEncap> Encap = Parameter.Choice("encap", EspEncap.None, EspSources.Encap, "UDP encapsulation (+8 bytes).", EspKeys.Encaps);
    static readonly Parameter<EspCipher> Cipher = Parameter.Choice("cipher", EspCipher.Gcm16, EspSources.Cipher,
        "Transform; decides IV, padding boundary (ALIGN(blocksize, 4)) and ICV length.", EspKeys.Ciphers);
    static readonly Parameter<long> TfcPad = Parameter.Size("tfc_pad", 0, "XFRMA_TFCPAD; esp4.c esp_output pads to min(tfcpad, xfrm_state_mtu)",
        "Traffic-flow-confidentiality padding target (RFC 4303 section 2.4).", rangeNote: "(up to the MTU; tunnel mode only)");
    static readonly Parameter<bool> Esn = EspKeys.Esn();
    static readonly Parameter<bool> PerCpu = Parameter.Boolean("per_cpu", false, "RFC 9611 (per-resource SAs)", "One SA per core instead of one shared SA.");
    static readonly Parameter<bool> MayWrap = Parameter.Boolean("may_wrap", false, "XFRM_SA_XFLAG_OSEQ_MAY_WRAP, xfrm_replay.c __xfrm_replay_overflow",
        "Let a 32-bit outbound counter wrap to 0 instead of stopping the SA with -EOVERFLOW (no effect with ESN).");
    static readonly Parameter<long> InitSeq = EspKeys.InitSeq("Initial outbound sequence number (oseq).");
    static readonly Parameter<long> InitSeqHi = EspKeys.InitSeqHi("Initial oseq_hi (ESN).");
    static readonly Parameter<long> Batch = EspKeys.Batch("Packets per GSO/bulk batch: amortises the batchable share of the fixed cost.");
    static readonly Parameter<long> Mtu = Parameter.Size("mtu", 1500, "Ethernet default MTU; xfrm_state_mtu", "Path MTU of the outer packet.", min: 576);
    static readonly Parameter<bool> Df = Parameter.Boolean("df", true, "Linux default IP_PMTUDISC_WANT for TCP sets DF; xfrm4_tunnel_check_size",
        "Inner IPv4 packets carry DF (too big -> dropped, XfrmOutStateModeError; clear -> the outer packet is fragmented).");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "esp_out", "lab", "Element name (drop reasons and metrics use it)."),
        Mode, Family, InnerFamily, Encap, Cipher, TfcPad, Esn, PerCpu, MayWrap, InitSeq, InitSeqHi, Batch, Mtu, Df,
        .. EspCosts.Parameters(outbound: true),
    ];

    public override IReadOnlyList<string> Notes { get; } =
    [
        "Outbound: the first packet carries 1; a 32-bit counter stops the SA at 0xffffffff (XfrmOutStateSeqError) unless may_wrap, then the next packet carries 0.",
        "See lab describe esp for the whole ESP model (esp_out, esp_in, esp_crypto).",
    ];

    protected override EspOutConfig BindConfig(MapReader r)
    {
        var mode = r.Read(Mode);
        var family = r.Read(Family);
        var geometry = new EspSaGeometry(mode, family, r.Read(InnerFamily, family), r.Read(Encap), r.Read(Cipher), (int)r.Read(TfcPad));
        if (geometry.Validate() is { } problem) r.Problems.Add(r.Map.Pos, $"{r.Section}: {problem}");
        return new EspOutConfig(geometry, r.Read(Esn), r.Read(PerCpu), r.Read(MayWrap),
            (uint)r.Read(InitSeq), (uint)r.Read(InitSeqHi), (int)r.Read(Batch), (int)r.Read(Mtu), r.Read(Df),
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

    static readonly Parameter<XfrmReplayMode> Replay = Parameter.Choice("replay", XfrmReplayMode.Legacy,
        "net/xfrm/xfrm_replay.c xfrm_init_replay; iproute2 ip/xfrm_state.c sends XFRMA_REPLAY_ESN_VAL for flag esn or replay-window > 32",
        "Anti-replay implementation: legacy 32-bit bitmap, bmp ring bitmap, esn 64-bit sequence numbers.",
        ("legacy", XfrmReplayMode.Legacy), ("bmp", XfrmReplayMode.Bmp), ("esn", XfrmReplayMode.Esn)).Derived("(esn with esn: true, else legacy up to window 32, bmp above)");
    static readonly Parameter<long> Window = Parameter.Integer("window", 32, 0, XfrmReplay.MaxEsnWindow,
        "strongSwan charon.replay_window default 32; xfrm_user.c copy_from_user_state clamps legacy to 32; XFRMA_REPLAY_ESN_MAX 4096",
        "Replay window; 0 disables replay protection (legacy, bmp); the kernel rejects 0 for an inbound ESN SA.", rangeNote: "(legacy clamps to 32; esn 1..4096)");
    static readonly Parameter<bool> Esn = EspKeys.Esn();
    static readonly Parameter<long> InitSeq = EspKeys.InitSeq("Initial top of the window (replay-seq); the bitmap starts empty.");
    static readonly Parameter<long> InitSeqHi = EspKeys.InitSeqHi("Initial seq_hi (replay-seq-hi).");
    static readonly Parameter<bool> AsyncCrypto = Parameter.Choice("crypto", false, "cryptd / pcrypt; xfrm_input resumes via xfrm_input_resume",
        "async: this element only checks; an esp_crypto element later decrypts, rechecks and advances (packets can complete out of order in between).",
        ("sync", false), ("async", true));
    static readonly Parameter<long> Batch = EspKeys.Batch("GRO batch size: amortises the batchable share of the fixed cost.");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "esp_in", "lab", "Element name."),
        Replay, Window, Esn, InitSeq, InitSeqHi, AsyncCrypto, Batch,
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
        bool esn = r.Read(Esn);
        uint window = (uint)r.Read(Window);
        var mode = r.Read(Replay, esn ? XfrmReplayMode.Esn : window <= 32 ? XfrmReplayMode.Legacy : XfrmReplayMode.Bmp);
        uint seqHi = (uint)r.Read(InitSeqHi);
        if (XfrmReplay.Validate(mode, window, seqHi) is { } problem) r.Problems.Add(r.PosOf(Window), $"{r.Section}: {problem}");
        var cfg = new EspInConfig(mode, window, (uint)r.Read(InitSeq), seqHi, r.Read(AsyncCrypto), (int)r.Read(Batch), EspCostKeys.Read(r, outbound: false));
        return new EspInElement(cfg, EspInWire.Read(r));
    }

    /// <summary>
    /// The SA's mode and family as `lab validate` gives them to the kernel (<see cref="EspInWire.Resolve"/>):
    /// esp_in's own keys, else the esp_out before it, else tunnel over IPv4. The mode decides what
    /// x->curlft.bytes counts (XfrmStateIn.CountedBytes).
    /// </summary>
    protected override EspInElement Resolve(EspInElement config, IReadOnlyList<ModelStageElement> earlier)
    {
        var sender = earlier.LastOrDefault(e => e.Type == "esp_out")?.Config as EspOutConfig;
        var (mode, family) = config.Wire.Resolve(sender?.Geometry);
        return config with { Model = config.Model with { FirstSpi = config.Wire.Spi, SaMode = mode, Family = family } };
    }

    protected override EspInputStage CreateStage(string name, EspInElement config, SimulationContext ctx) => new(name, config.Model, ctx);

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

    static readonly Parameter<long> SpiParameter = Parameter.Integer("spi", DefaultSpi, 256, uint.MaxValue, "RFC 4303 section 2.1 (SPIs 1..255 are reserved)",
        "SPI of the first SA (SA k has spi + k); lab validate configures the kernel's SAs with it.").DescribedDefault("0x1000");
    static readonly Parameter<string> KeyParameter = Parameter.Text("key", DefaultKey, "RFC 4106 section 8.1 (key + 4-byte salt); a test value",
        "rfc4106(gcm(aes)) key material (AES key + 4-byte salt) for lab validate's frames and the kernel's SAs.", unit: "hex, 20/28/36 bytes");
    static readonly Parameter<XfrmMode> ModeParameter = Parameter.Choice("mode", XfrmMode.Tunnel,
        "RFC 4303 section 3.1; net/xfrm/xfrm_input.c xfrm_input (x->curlft.bytes += skb->len)",
        "ESP mode of the SAs: the frames lab validate builds, and what the lifetime byte count includes (transport mode: not the IP header).",
        ("tunnel", XfrmMode.Tunnel), ("transport", XfrmMode.Transport)).Derived("(esp_out's, else tunnel)");
    static readonly Parameter<IpFamily> FamilyParameter = Parameter.Choice("family", IpFamily.Ipv4, "esp4.c / esp6.c",
        "Outer family of the SAs (lab validate's frames; in transport mode the header the lifetime byte count leaves out: 20 or 40 bytes).",
        EspKeys.Families).Derived("(esp_out's, else ipv4)");
    static readonly Parameter<IpFamily> InnerFamilyParameter = Parameter.Choice("inner_family", IpFamily.Ipv4, "RFC 4303 section 3.1.2", "Inner family in tunnel mode (lab validate).",
        EspKeys.Families).Derived("(esp_out's, else the outer family)");
    static readonly Parameter<EspEncap> EncapParameter = Parameter.Choice("encap", EspEncap.None, "RFC 3948", "UDP encapsulation on port 4500 (lab validate).",
        EspKeys.Encaps).Derived("(esp_out's, else none)");

    public static readonly Parameter[] Parameters = [SpiParameter, KeyParameter, ModeParameter, FamilyParameter, InnerFamilyParameter, EncapParameter];

    public static EspInWire Read(MapReader r)
    {
        long spi = r.Read(SpiParameter);
        string keyText = r.Read(KeyParameter);
        string hex = keyText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? keyText[2..] : keyText;
        byte[] key = [];
        if (hex.Length % 2 != 0 || hex.Any(c => !char.IsAsciiHexDigit(c)) || hex.Length / 2 is not (20 or 28 or 36))
            r.Problems.Add(r.PosOf(KeyParameter), $"{r.Where(KeyParameter)}: expected 20, 28 or 36 bytes of hex (AES key + 4-byte salt, e.g. {DefaultKey}), found '{keyText}'");
        else key = Convert.FromHexString(hex);
        return new EspInWire((uint)spi, key, Optional(r, ModeParameter), Optional(r, FamilyParameter), Optional(r, InnerFamilyParameter), Optional(r, EncapParameter));
    }

    /// <summary>The SA's mode and outer family: these keys, else the sender's (esp_out before this element), else tunnel over IPv4.</summary>
    public (XfrmMode Mode, IpFamily Family) Resolve(EspSaGeometry? sender) =>
        (Mode ?? sender?.Mode ?? XfrmMode.Tunnel, Family ?? sender?.Family ?? IpFamily.Ipv4);

    /// <summary>A key whose absence means "as esp_out has it": null when absent or wrong.</summary>
    static T? Optional<T>(MapReader r, Parameter<T> p) where T : struct => r.TryRead(p, out T v) ? v : null;
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

    static readonly Parameter<string> Input = Parameter.Text("input", "esp_in", Lab, "The esp_in element (crypto: async) whose SAs this engine resumes.");
    static readonly Parameter<long> Workers = Parameter.Integer("workers", 4, 1, 256, "assumption: cryptd/pcrypt worker threads", "Parallel crypto workers.");
    static readonly Parameter<bool> PreserveOrder = Parameter.Boolean("preserve_order", false, "crypto/pcrypt.c, kernel/padata.c (serialised completion)",
        "Release completions in submission order (pcrypt/padata) instead of as they finish (cryptd).");
    static readonly Parameter<double> Jitter = Parameter.Number("jitter", 0.5, 0, 100, "assumption: scheduling noise on the workers",
        "Random extra crypto time as a share of the cipher time (exponential).");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "esp_crypto", Lab, "Element name."),
        Input, Workers, PreserveOrder, Jitter,
    ];

    protected override EspCryptoConfig BindConfig(MapReader r) =>
        new(r.Read(Input), (int)r.Read(Workers), r.Read(PreserveOrder), r.Read(Jitter));

    protected override EspCryptoEngine Create(ModelStageElement element, EspCryptoConfig cfg, SimulationContext ctx, Func<string, object?> byName)
    {
        if (byName(cfg.Input) is not EspInputStage input || !input.Config.AsyncCrypto)
            throw new LabInputException($"{element.Pos}: esp_crypto.input: expected the name of an earlier esp_in element with crypto: async, found '{cfg.Input}'");
        return new EspCryptoEngine(ctx, element.Name, input, cfg.Workers, cfg.PreserveOrder, cfg.Jitter);
    }

    protected override void Connect(EspCryptoEngine component, IPacketReceiver next) => component.Next = next;
}
