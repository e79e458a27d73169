using BenchmarkDotNet.Attributes;
using Lab.Simulation.Running;
using Lab.Scenarios;

namespace Lab.Bench;

/// <summary>
/// Every scenario under scenarios/examples/, run as `lab run` runs it (RunPipeline: every sweep
/// point, one replication), without writing results. One operation is one whole run; `lab bench`
/// turns it into simulated events and packets per wall second with <see cref="Workload"/>.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.EndToEnd)]
[OperationUnit("scenario run")]
public class EndToEndBenchmarks
{
    public static IEnumerable<string> Scenarios() => ExampleScenarios.Names();

    [ParamsSource(nameof(Scenarios))]
    public string Scenario { get; set; } = "";

    LoadedScenario _loaded = null!;

    [GlobalSetup]
    public void Setup() => _loaded = ExampleScenarios.Load(Scenario);

    [Benchmark]
    public long Run() => Events(RunPipeline.Run(_loaded));

    static long Events(Lab.Results.RunSet set)
    {
        long events = 0;
        foreach (var p in set.Points)
        {
            foreach (var r in p.Replications) events += r.Events;
        }
        return events;
    }

    /// <summary>
    /// What one run simulates (the runs are deterministic, so one run tells): engine events, and
    /// packets offered over the whole run (each point's offered rate times its duration).
    /// </summary>
    public static (double Events, double Packets) Workload(string scenario)
    {
        var set = RunPipeline.Run(ExampleScenarios.Load(scenario));
        double packets = 0;
        foreach (var p in set.Points)
        {
            foreach (var r in p.Replications)
            {
                foreach (var m in r.Metrics)
                {
                    if (m.Name == "offered_pps") packets += m.Value * set.DurationSeconds;
                }
            }
        }
        return (Events(set), packets);
    }
}

/// <summary>The example scenarios of the checkout, found by walking up from the working directory or the binary.</summary>
public static class ExampleScenarios
{
    public static string Directory()
    {
        foreach (var start in new[] { System.IO.Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "scenarios", "examples");
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
        }
        throw new DirectoryNotFoundException("scenarios/examples not found above the working directory or the binary");
    }

    public static IReadOnlyList<string> Names() =>
        [.. System.IO.Directory.GetFiles(Directory(), "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)];

    public static LoadedScenario Load(string name) => ScenarioLoading.Load(Path.Combine(Directory(), name + ".yaml"), null, null, 1);
}
