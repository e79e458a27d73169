using Lab.Models.Path;
using Lab.Models.Traffic;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

public sealed record RunSpec(long Duration, long Warmup, long Seed, int Replications);

public sealed record OutputSpec(long TimeSeriesInterval, bool LatencyCdf);

/// <summary>One element of the packet path, in path order.</summary>
public abstract record PathElement(string Name, SourcePos Pos);

public sealed record LinkElement(string Name, double BitsPerSecond, long Delay, int QueuePackets, long QueueBytes, SourcePos Pos)
    : PathElement(Name, Pos);

public sealed record RssElement(string Name, int Cores, int RingPackets, SourcePos Pos) : PathElement(Name, Pos);

public sealed record StageElement(string Name, CostModel Cost, SourcePos Pos) : PathElement(Name, Pos);

/// <summary>A model's stage (ESP, flowtable, NAT...), bound by the binder registered for its type.</summary>
public sealed record ModelStageElement(string Type, string Name, object Config, SourcePos Pos) : PathElement(Name, Pos);

/// <summary>A traffic generator; <see cref="Packets"/> for explicit sequences, <see cref="PcapFile"/> for captures.</summary>
public sealed record TrafficElement(TrafficSpec Spec, string Kind, IReadOnlyList<ListedPacket>? Packets, string? PcapFile, SourcePos Pos)
{
    /// <summary>The flows and packets of a <c>script</c> generator.</summary>
    public ScriptTrace? Script { get; init; }
}

/// <summary>A validated, immutable scenario: one sweep point (or the only run).</summary>
public sealed record Scenario(
    string Name,
    string Description,
    string SourceFile,
    RunSpec Run,
    IReadOnlyList<TrafficElement> Traffic,
    IReadOnlyList<PathElement> Path,
    OutputSpec Outputs)
{
    /// <summary>Times of the state snapshots (probes.csv), sorted, each before the end of the run.</summary>
    public IReadOnlyList<long> Probes { get; init; } = [];
}

/// <summary>One point of a sweep: the parameter values that define it and the scenario they give.</summary>
public sealed record ScenarioPoint(int Index, IReadOnlyList<KeyValuePair<string, string>> Parameters, Scenario Scenario, YMap Tree);

/// <summary>A loaded scenario file: its points (one without a sweep), and the swept parameter names in order.</summary>
public sealed record LoadedScenario(string File, IReadOnlyList<string> SweptParameters, IReadOnlyList<ScenarioPoint> Points, YMap BaseTree, YNode? Sweep)
{
    public Scenario First => Points[0].Scenario;

    /// <summary>Where the elements' costs come from: the cost profile, the scenario, or the models' assumptions.</summary>
    public Profiles.ScenarioCostSources Costs { get; init; } = Profiles.ScenarioCostSources.None;
}
