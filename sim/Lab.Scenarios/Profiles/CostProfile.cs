namespace Lab.Scenarios.Profiles;

/// <summary>
/// Per-packet costs measured on a real kernel by <c>lab calibrate</c> (format lab-cost-profile/1,
/// documented in scenarios/README.md, "Cost profiles"): the measured stages with their 95% intervals,
/// how they were measured, and the model cost keys they set. A scenario names it with <c>costs: FILE</c>.
/// </summary>
public sealed record CostProfile
{
    public const string FormatTag = "lab-cost-profile/1";

    /// <summary>The label every value of a profile measured under emulation carries.</summary>
    public const string EmulatedLabel = "emulated: not meaningful as a speed";

    /// <summary>Where the profile was read from (for messages); null for one built in memory.</summary>
    public string? SourceFile { get; init; }

    /// <summary>A label for the machine (its kind, and conditions such as "measured under load").</summary>
    public required string Machine { get; init; }

    /// <summary>When the calibration ran (UTC).</summary>
    public required DateTimeOffset Measured { get; init; }

    /// <summary>The lab's git commit that measured it ("unknown" outside a checkout).</summary>
    public required string LabCommit { get; init; }

    public required ProfileKernel Kernel { get; init; }
    public required ProfileCpu Cpu { get; init; }
    public required ProfileMethod Method { get; init; }

    /// <summary>Every stage the calibration knows, in its order: measured or not measured with the reason.</summary>
    public required IReadOnlyList<ProfileStage> Stages { get; init; }

    /// <summary>The model cost keys this profile sets (others stay the model's assumptions).</summary>
    public required IReadOnlyList<ProfileCost> Costs { get; init; }

    public ProfileStage? Stage(string name)
    {
        foreach (var s in Stages) if (s.Name == name) return s;
        return null;
    }

    /// <summary>The costs this profile sets on path elements of type <paramref name="element"/> (e.g. forward), by key without the "cost." prefix.</summary>
    public IReadOnlyDictionary<string, ProfileCost> CostsFor(string element)
    {
        var d = new Dictionary<string, ProfileCost>(StringComparer.Ordinal);
        foreach (var c in Costs) if (c.Element == element) d[c.Key] = c;
        return d;
    }

    public static CostProfile Read(string path) => CostProfileReader.Read(path);

    public static CostProfile Parse(string text, string fileName) => CostProfileReader.Parse(text, fileName);

    public string ToYaml() => CostProfileWriter.ToYaml(this);
}

/// <param name="Release">uname -r of the measured kernel.</param>
/// <param name="Where">host (the machine's own kernel, network namespaces) or vm (a guest under qemu).</param>
/// <param name="Emulated">True under software emulation (qemu -accel tcg): the values are not speeds.</param>
public sealed record ProfileKernel(string Release, string Where, bool Emulated);

public sealed record ProfileCpu(string Model, int Cpus);

/// <param name="Packets">Packets per configuration per pass.</param>
/// <param name="Repeat">Passes (each configuration of a differential measured once per pass, interleaved).</param>
/// <param name="FrameBytes">Ethernet frame size without FCS.</param>
/// <param name="Flows">Established flows (stages with a new flow per packet use a fresh tuple per packet).</param>
/// <param name="Accounting">How CPU time was counted, in words.</param>
/// <param name="Pinning">Which CPU the injector ran on, in words.</param>
public sealed record ProfileMethod(long Packets, int Repeat, int FrameBytes, int Flows, string Accounting, string Pinning);

/// <summary>
/// One measured stage: nanoseconds of busy CPU per forwarded packet with a 95% Student-t interval over
/// <see cref="N"/> passes and the softirq part; or, when the kernel could not run it, <see cref="NotMeasured"/>.
/// </summary>
public sealed record ProfileStage(string Name, double Ns, double Ci95Low, double Ci95High, double? SoftirqNs, int N,
    string? NotMeasured = null, string? Label = null)
{
    public bool IsMeasured => NotMeasured is null;

    public double HalfWidth => (Ci95High - Ci95Low) / 2;

    public static ProfileStage Unmeasured(string name, string reason) => new(name, double.NaN, double.NaN, double.NaN, null, 0, reason);
}

/// <summary>
/// One model cost key the profile sets on elements of type <see cref="Element"/>: its value in picoseconds,
/// the 95% interval in nanoseconds (may reach below zero where the measurement's noise does), the stages it
/// was derived from, and a note where one stage was split over several keys.
/// </summary>
public sealed record ProfileCost(string Element, string Key, long ValuePs, double Ci95LowNs, double Ci95HighNs,
    IReadOnlyList<string> From, string? Note = null, string? Label = null)
{
    /// <summary>The element parameter this sets, e.g. cost.rx_ingress.</summary>
    public string ParameterKey => "cost." + Key;
}
