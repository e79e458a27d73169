using Lab.Simulation.Running;
using Lab.Scenarios;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// A newly bound copy of a sweep point's scenario for every run. A bound Scenario is not
/// immutable today: objects it holds keep per-run state (the IMIX deck of
/// Lab.Models.Traffic.SizeDistribution carries its shuffle position from one run to the next),
/// so a run given a Scenario that an earlier run used does not compute the same function of
/// (scenario, seed, replication), and two runs sharing one on two threads corrupt each other.
/// Binding the point's resolved YAML again per run makes every run start from the same state,
/// whatever ran before it in this process and on whichever worker.
/// </summary>
public sealed class FreshScenario(LoadedScenario loaded)
{
    readonly string[] _yaml = [.. loaded.Points.Select(ResolvedScenario.Yaml)];

    public Scenario For(int point)
    {
        var bound = ModelCatalog.CreateLoader().LoadText(_yaml[point], loaded.File);
        return bound.First;
    }
}
