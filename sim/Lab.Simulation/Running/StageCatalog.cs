using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;
using Lab.Core;

namespace Lab.Simulation.Running;

/// <summary>
/// A model that contributes a path element type: its scenario binder, how to build its stage
/// for one run, its description for `lab describe`, and the metrics it adds after a run.
/// </summary>
public interface IModelPlugin
{
    IPathElementBinder Binder { get; }

    ModelDescription Describe();

    IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx);

    /// <summary>
    /// False for elements that are not per-core work but a component of their own between core
    /// groups (an asynchronous crypto engine): those are built with <see cref="CreateElement"/>.
    /// </summary>
    bool IsStage => true;

    /// <summary>Builds a non-stage element; <paramref name="byName"/> finds components built earlier in the path.</summary>
    IPacketReceiver CreateElement(ModelStageElement element, SimulationContext ctx, Func<string, object?> byName) =>
        throw new NotSupportedException($"{element.Type} is a stage");

    /// <summary>Metrics a non-stage element adds after the run.</summary>
    IEnumerable<MetricValue> ElementMetrics(IPacketReceiver element, double measuredSeconds) => [];

    /// <summary>Connects a non-stage element to what follows it.</summary>
    void Connect(IPacketReceiver element, IPacketReceiver next) => throw new NotSupportedException();

    /// <summary>Metrics the stage adds after the run (kernel counters), or none.</summary>
    IEnumerable<MetricValue> Metrics(IPacketStage stage, double measuredSeconds) => [];

    /// <summary>
    /// The few metrics of this element (suffixes of NAME.) that answer what a scenario with it is
    /// usually about: `lab run` tabulates them for a sweep and `lab report` puts them on the
    /// slides. Each is one that <see cref="Metrics"/> or <see cref="ElementMetrics"/> emits.
    /// </summary>
    IReadOnlyList<string> KeyMetrics => [];
}

/// <summary>The models the command line knows, by path element type.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<IModelPlugin> Plugins { get; } =
    [
        new Plugins.EspOutPlugin(),
        new Plugins.EspInPlugin(),
        new Plugins.EspCryptoPlugin(),
        new Plugins.ForwardPlugin(),
        new Plugins.NattRebindPlugin(),
        new Plugins.CellularPlugin(),
        new Plugins.ReorderProbePlugin(),
        new Plugins.IpTfsOutPlugin(),
        new Plugins.IpTfsInPlugin(),
        new Plugins.LossPlugin(),
    ];

    public static ScenarioLoader CreateLoader() => new(Plugins.Select(p => p.Binder), PcapTraffic.HeaderProblem);

    public static IModelPlugin? Find(string type) => Plugins.FirstOrDefault(p => p.Binder.Type == type);
}
