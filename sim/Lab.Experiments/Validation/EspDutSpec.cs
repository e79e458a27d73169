using System.Globalization;
using Lab.Captures.EspFrames;
using Lab.KernelLab.Validation;
using Lab.Simulation.Plugins;
using Lab.Core;
using Lab.Esp;
using Lab.Esp.Path;
using Lab.Esp.Sa;
using Lab.Esp.Wire;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>
/// The device under test of a scenario for `lab validate`: its esp_in element (the receiver the
/// kernel stands in for) and the SA's shape on the wire, from esp_in's wire keys or else the
/// esp_out element before it. Everything the kernel cannot be given the same way is refused
/// here, with the element's file:line:column, before anything runs.
/// </summary>
public sealed record EspDutSpec(string Element, EspInConfig Model, EspInWire Wire, EspMode Mode, bool OuterIpv6, bool InnerIpv6, bool Udp)
{
    public static EspDutSpec From(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var ins = scenario.Path.OfType<ModelStageElement>().Where(e => e.Type == "esp_in").ToList();
        if (ins.Count == 0)
            throw ParameterException.Mentioning($"{scenario.SourceFile}: ", new CommandName("validate"), " compares a device under test with the kernel: expected an esp_in or a forward path element, found neither");
        if (ins.Count > 1)
            throw ParameterException.Mentioning($"{ins[1].Pos}: ", new CommandName("validate"), $" takes one esp_in element (the device under test), found {ins.Count}");
        var element = ins[0];
        var cfg = (EspInElement)element.Config;
        int at = scenario.Path.ToList().IndexOf(element);
        var outElement = scenario.Path.Take(at).OfType<ModelStageElement>().LastOrDefault(e => e.Type == "esp_out");
        var sender = (EspOutConfig?)outElement?.Config;
        var problems = new List<string>();
        string where = element.Pos.ToString();
        if (cfg.Model.AsyncCrypto)
            problems.Add($"{where}: esp_in.crypto async: the kernel under validation decrypts synchronously (generic AES-GCM on one CPU), so its verdicts are those of crypto: sync; validate a copy of the scenario with crypto: sync and without esp_crypto");
        if (sender is { } s && s.Geometry.Cipher != Lab.Esp.Wire.EspCipher.Gcm16)
            problems.Add($"{outElement!.Pos}: esp_out.cipher {EspCipherParams.Name(s.Geometry.Cipher)}: the kernel validation builds rfc4106(gcm(aes)) frames only (cipher: gcm16)");

        var mode = Pick(cfg.Wire.Mode, sender?.Geometry.Mode, XfrmMode.Tunnel, "mode", where, problems);
        var family = Pick(cfg.Wire.Family, sender?.Geometry.Family, IpFamily.Ipv4, "family", where, problems);
        var inner = Pick(cfg.Wire.InnerFamily, sender?.Geometry.InnerFamily, family, "inner_family", where, problems);
        var encap = Pick(cfg.Wire.Encap, sender?.Geometry.Encap, EspEncap.None, "encap", where, problems);
        if (mode == XfrmMode.Beet) problems.Add($"{where}: mode beet: the kernel validation builds tunnel and transport frames only");
        if (mode == XfrmMode.Transport && inner != family) problems.Add($"{where}: transport mode keeps the packet's own header: inner_family must equal family");
        if (problems.Count > 0) throw new LabInputException(problems);
        var spec = new EspDutSpec(element.Name, cfg.Model, cfg.Wire, mode == XfrmMode.Transport ? EspMode.Transport : EspMode.Tunnel,
            family == IpFamily.Ipv6, inner == IpFamily.Ipv6, encap == EspEncap.EspInUdp);
        // What iproute2 cannot give the kernel (legacy above 32, bmp at or below 32) is known before anything runs.
        if (spec.Sa(0, element.Name).Problem() is { } saProblem) throw new LabInputException($"{where}: {element.Name}: {saProblem}");
        return spec;
    }

    /// <summary>The kernel SA for the simulation's SA number <paramref name="sa"/> of this element.</summary>
    public EspValidationSa Sa(int sa, string check)
    {
        long spi = (long)Wire.Spi + sa;
        if (spi > uint.MaxValue) throw new LabInputException($"{Element}.spi: SA {sa} would need SPI 0x{spi:x}, above 32 bits");
        return new EspValidationSa
        {
            Check = check,
            Spi = (uint)spi,
            Key = Wire.Key,
            Mode = Mode,
            OuterIpv6 = OuterIpv6,
            InnerIpv6 = Mode == EspMode.Tunnel ? InnerIpv6 : OuterIpv6,
            UdpEncapsulation = Udp,
            Replay = Model.Mode,
            Window = Model.Window,
            InitialSeq = Model.InitialSeq,
            InitialSeqHi = Model.InitialSeqHi,
        };
    }

    static T Pick<T>(T? own, T? sender, T fallback, string key, string where, List<string> problems) where T : struct, Enum
    {
        if (own is { } o && sender is { } s && !o.Equals(s))
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{where}: esp_in.{key} {Name(o)} differs from esp_out's {Name(s)}: the receiver's SA must match the sender's"));
        return own ?? sender ?? fallback;
    }

    static string Name<T>(T v) where T : struct, Enum => v.ToString().ToLowerInvariant() switch
    {
        "espinudp" => "udp",
        var x => x,
    };
}
