using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Running;

/// <summary>
/// A model that contributes a path element type: its scenario binder, how to build its stage
/// for one run, its description for `lab describe`, and the metrics it adds after a run.
/// </summary>
public interface IModelPlugin
{
    IPathElementBinder Binder { get; }

    ModelDescription Describe();

    IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx);

    /// <summary>Metrics the stage adds after the run (kernel counters), or none.</summary>
    IEnumerable<MetricValue> Metrics(IPacketStage stage, double measuredSeconds) => [];
}

/// <summary>The models the command line knows, by path element type.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<IModelPlugin> Plugins { get; } = [new Plugins.ForwardPlugin(), new Plugins.NattRebindPlugin()];

    public static ScenarioLoader CreateLoader() => new(Plugins.Select(p => p.Binder));

    public static IModelPlugin? Find(string type) => Plugins.FirstOrDefault(p => p.Binder.Type == type);
}
