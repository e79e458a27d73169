using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;
using Lab.Simulation.Plugins;

namespace Lab.Simulation.Running;

/// <summary>
/// One kind of model path element (<c>- esp_in: {...}</c>), declared once: its parameters (key,
/// unit, default, range, source) drive the YAML keys the loader accepts, <c>lab describe</c> and the
/// element's table in scenarios/README.md. Derive from <see cref="StageDeclaration{TConfig, TStage}"/>
/// or <see cref="ComponentDeclaration{TConfig, TComponent}"/>, never from this class directly.
/// </summary>
public abstract class ElementDeclaration : IPathElementBinder
{
    IReadOnlyList<KeySpec>? _keys;

    private protected ElementDeclaration() { }

    /// <summary>The YAML name of the element (<c>- TYPE: {...}</c>), also its <c>lab describe</c> name.</summary>
    public abstract string Type { get; }

    public abstract string Summary { get; }

    /// <summary>Kernel files and functions (or RFC sections) the element imitates.</summary>
    public abstract string KernelCounterpart { get; }

    /// <summary>
    /// Every key of the element, nested ones dotted (<c>snat.ports</c>), each once, typed: the binding
    /// reads each through its declaration (<see cref="MapReader.Read{T}(Parameter{T})"/>).
    /// </summary>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The rows <c>lab describe TYPE</c> shows, one per parameter.</summary>
    public IReadOnlyList<ParameterSpec> Specs => [.. Parameters.Select(p => p.Spec)];

    public virtual IReadOnlyList<string> Notes => [];

    /// <summary>
    /// The few metrics of this element (suffixes of NAME.) that answer what a scenario with it is
    /// usually about: `lab run` tabulates them for a sweep and `lab report` puts them on the slides.
    /// </summary>
    public virtual IReadOnlyList<string> KeyMetrics => [];

    /// <summary>The element's own keys (not those of its nested mappings).</summary>
    public IReadOnlyList<KeySpec> Keys => _keys ??= KeysOf("");

    /// <summary>The keys of a nested mapping (<c>snat</c>), or of the element itself for "".</summary>
    public KeySpec[] KeysOf(string section) => BinderHelpers.Keys(Parameters, section.Length == 0 ? "" : section + ".");

    public abstract PathElement Bind(MapReader reader, string defaultName);

    /// <summary>The cost-profile section (<c>costs.SECTION</c>) whose keys the element's <c>costs</c> mapping takes, or null.</summary>
    public virtual string? CostProfileSection => null;

    public IReadOnlyList<string> CostKeys => CostProfileSection is null ? [] : [.. KeysOf("costs").Select(k => k.Key)];

    public abstract IReadOnlyList<string> CostKeysCharged(PathElement element);

    /// <summary>The element as <c>lab describe TYPE</c> shows it: the declared parameters under their YAML keys.</summary>
    public ModelDescription Describe()
    {
        IReadOnlyList<string> notes = Notes;
        if (KeyMetrics.Count > 0)
            notes = [.. notes, $"Key metrics (lab run's table for a sweep, lab report's slides): {string.Join(", ", KeyMetrics.Select(k => "NAME." + k))}."];
        return new ModelDescription(Type, Summary, KernelCounterpart, Specs, notes) { CostSection = CostProfileSection, CostKeyPrefix = "costs." };
    }
}

/// <summary>An element bound into a typed <typeparamref name="TConfig"/>: the only place the loader's element is unwrapped.</summary>
public abstract class ElementDeclaration<TConfig> : ElementDeclaration where TConfig : class
{
    private protected ElementDeclaration() { }

    public sealed override PathElement Bind(MapReader reader, string defaultName) =>
        new ModelStageElement(Type, NameOf(reader, defaultName), BindConfig(reader), reader.Map.Pos);

    /// <summary>Reads the element's mapping against <see cref="ElementDeclaration.Parameters"/>; problems go to reader.Problems.</summary>
    protected abstract TConfig BindConfig(MapReader reader);

    /// <summary>The element's name: its declared <c>name</c> parameter (whose default is the element's usual name).</summary>
    protected virtual string NameOf(MapReader reader, string defaultName) =>
        Parameters.OfType<Parameter<string>>().FirstOrDefault(p => p.Key == "name") is { } name ? reader.Read(name) : defaultName;

    /// <summary>The cost keys a bound element charges (a flowtable cost is not charged without a flowtable).</summary>
    protected virtual IReadOnlyList<string> ChargedCostKeys(TConfig config) => CostKeys;

    public sealed override IReadOnlyList<string> CostKeysCharged(PathElement element) =>
        element is ModelStageElement m ? ChargedCostKeys(ConfigOf(m)) : CostKeys;

    /// <summary>The configuration <see cref="Bind"/> gave the element.</summary>
    public TConfig ConfigOf(ModelStageElement element) =>
        element.Type == Type && element.Config is TConfig c
            ? c
            : throw new InvalidOperationException($"path element '{element.Name}' ({element.Type}) was not bound by the {Type} declaration");
}

/// <summary>Builds what a stage element runs on the cores of its group (per-core work).</summary>
public interface IStageDeclaration
{
    /// <param name="earlier">The model elements before this one in the path, in path order.</param>
    BuiltStage Build(ModelStageElement element, SimulationContext ctx, IReadOnlyList<ModelStageElement> earlier);
}

/// <summary>Builds a component element: not per-core work but a receiver of its own between core groups (a crypto engine, a radio bearer).</summary>
public interface IComponentDeclaration
{
    /// <param name="byName">Finds stages and components built earlier in the path, by element name.</param>
    BuiltComponent Build(ModelStageElement element, SimulationContext ctx, Func<string, object?> byName);
}

/// <summary>A stage built for one run, and how to read its metrics after the run.</summary>
public sealed record BuiltStage(IPacketStage Stage, Func<double, IEnumerable<MetricValue>> Metrics);

/// <summary>A component built for one run, how to connect it to what follows, and its metrics after the run.</summary>
public sealed record BuiltComponent(IPacketReceiver Receiver, Action<IPacketReceiver> Connect, Func<double, IEnumerable<MetricValue>> Metrics);

/// <summary>A path element that is per-core work: a <typeparamref name="TStage"/> on each core of its rss group.</summary>
public abstract class StageDeclaration<TConfig, TStage> : ElementDeclaration<TConfig>, IStageDeclaration
    where TConfig : class
    where TStage : IPacketStage
{
    protected abstract TStage CreateStage(string name, TConfig config, SimulationContext ctx);

    /// <summary>
    /// The configuration to build with: the bound one, with defaults that follow an earlier element
    /// (esp_in's mode follows the esp_out before it) filled in.
    /// </summary>
    protected virtual TConfig Resolve(TConfig config, IReadOnlyList<ModelStageElement> earlier) => config;

    /// <summary>Metrics the stage adds after the run (kernel counters), or none.</summary>
    protected virtual IEnumerable<MetricValue> Metrics(TStage stage, double measuredSeconds) => [];

    public BuiltStage Build(ModelStageElement element, SimulationContext ctx, IReadOnlyList<ModelStageElement> earlier)
    {
        var stage = CreateStage(element.Name, Resolve(ConfigOf(element), earlier), ctx);
        return new BuiltStage(stage, seconds => Metrics(stage, seconds));
    }
}

/// <summary>A path element that is a receiver of its own (<typeparamref name="TComponent"/>) between core groups.</summary>
public abstract class ComponentDeclaration<TConfig, TComponent> : ElementDeclaration<TConfig>, IComponentDeclaration
    where TConfig : class
    where TComponent : IPacketReceiver
{
    /// <param name="byName">Finds stages and components built earlier in the path, by element name.</param>
    protected abstract TComponent Create(ModelStageElement element, TConfig config, SimulationContext ctx, Func<string, object?> byName);

    protected abstract void Connect(TComponent component, IPacketReceiver next);

    protected virtual IEnumerable<MetricValue> Metrics(TComponent component, double measuredSeconds) => [];

    public BuiltComponent Build(ModelStageElement element, SimulationContext ctx, Func<string, object?> byName)
    {
        var component = Create(element, ConfigOf(element), ctx, byName);
        return new BuiltComponent(component, next => Connect(component, next), seconds => Metrics(component, seconds));
    }
}

/// <summary>The model path elements the lab knows, by YAML name.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<ElementDeclaration> Elements { get; } =
    [
        new EspOutDeclaration(),
        new EspInDeclaration(),
        new EspCryptoDeclaration(),
        new ForwardDeclaration(),
        new NattRebindDeclaration(),
        new CellularDeclaration(),
        new ReorderProbeDeclaration(),
        new IpTfsOutDeclaration(),
        new IpTfsInDeclaration(),
        new LossDeclaration(),
    ];

    public static ScenarioLoader CreateLoader() => new(Elements, PcapTraffic.HeaderProblem);

    public static ElementDeclaration? Find(string type) => Elements.FirstOrDefault(p => p.Type == type);
}
