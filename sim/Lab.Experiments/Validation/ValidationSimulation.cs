using System.Globalization;
using Lab.KernelLab.Validation;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Esp.Path;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Experiments.Validation;

/// <summary>One sweep point as validated: the simulation's results and the traces it sends into the DUT.</summary>
public sealed record ValidatedPoint(ScenarioPoint Point, string Label, EspDutSpec Dut, ReplicationResult Result, EspValidationPlan Plan);

/// <summary>
/// The simulation half of `lab validate`: every point of the scenario, replication 0, with a
/// probe on esp_in that records the packets the device under test receives, in arrival order,
/// and what the model did with each. They become one plan per point: one kernel SA per
/// simulated SA (spi + k), its packets in arrival order, and the counters the model kept.
/// </summary>
public static class ValidationSimulation
{
    public static IReadOnlyList<ValidatedPoint> Run(LoadedScenario loaded, TextWriter? progress, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var specs = loaded.Points.Select(p => EspDutSpec.From(p.Scenario)).ToList();
        var points = new List<ValidatedPoint>();
        ulong index = 0;
        for (int i = 0; i < loaded.Points.Count; i++)
        {
            var point = loaded.Points[i];
            var spec = specs[i];
            progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  simulating point {i + 1}/{loaded.Points.Count}   "));
            EspInputProbe? probe = null;
            var result = ScenarioRunner.Run(point.Scenario, 0, PcapTraffic.Load, stage =>
                stage is EspInputStage esp && esp.Name == spec.Element ? probe = new EspInputProbe(esp) : stage, cancellation);
            if (probe is null) throw new InvalidOperationException($"no esp_in stage '{spec.Element}' was built");
            string label = Label(loaded, point);
            var traces = new List<EspSaTrace>();
            int saCount = probe.Stage.Sas.Count;
            for (int k = 0; k < saCount; k++)
            {
                var sa = spec.Sa(k, saCount > 1 ? string.Create(CultureInfo.InvariantCulture, $"{label} sa{k}") : label);
                var packets = new List<EspTracePacket>();
                foreach (var p in probe.Packets)
                {
                    if (p.Sa == k) packets.Add(new EspTracePacket(index++, p.Sequence, p.InnerBytes, p.Verdict, p.At / SimTime.Nanosecond));
                }
                var counters = EspSaCounters.FromVerdicts(packets);
                var model = probe.Stage.Sas[k];
                if ((model.Stats.ReplayWindow, model.Stats.Replay, model.Stats.IntegrityFailed, model.CurlftPackets)
                    != ((uint)counters.ReplayWindow, (uint)counters.Replay, (uint)counters.IntegrityFailed, counters.Packets))
                    throw new InvalidOperationException($"{label}: the probe's verdicts do not add up to {spec.Element}'s counters for SA {k}");
                traces.Add(new EspSaTrace(sa, packets, counters));
            }
            points.Add(new ValidatedPoint(point, label, spec, result, new EspValidationPlan(traces)));
        }
        progress?.Write("\r" + new string(' ', 40) + "\r");
        var problems = new List<string>();
        foreach (var p in points)
        {
            try
            {
                p.Plan.Validate();
            }
            catch (LabInputException e)
            {
                problems.AddRange(e.Problems.Select(x => $"{p.Dut.Element}: {x}"));
            }
        }
        if (problems.Count > 0) throw new LabInputException(problems);
        return points;
    }

    /// <summary>The scenario's name, or the point's swept parameters ("path.esp_in.window=64").</summary>
    public static string Label(LoadedScenario loaded, ScenarioPoint point)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(point);
        return point.Parameters.Count == 0 ? loaded.First.Name : string.Join(" ", point.Parameters.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    /// <summary>The results folder's data: one replication (0) per point.</summary>
    public static RunSet ToRunSet(LoadedScenario loaded, IReadOnlyList<ValidatedPoint> points)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(points);
        var first = loaded.First;
        return new RunSet(first.Name, first.Description, ResolvedScenario.Yaml(loaded),
            SimTime.ToSeconds(first.Run.Duration), SimTime.ToSeconds(first.Run.Warmup), first.Run.Seed, 1, loaded.SweptParameters,
            points.Select(p => new PointResult(p.Point.Index, p.Point.Parameters, [p.Result])).ToList())
        { KeyMetrics = KeyMetrics.Of(first) };
    }
}
