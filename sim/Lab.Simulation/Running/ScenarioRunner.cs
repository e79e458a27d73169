using Lab.Core;
using Lab.Models;
using Lab.Models.Metrics;
using Lab.Models.Path;
using Lab.Models.Traffic;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Simulation.Running;

/// <summary>
/// Wires a scenario into a simulation and runs one replication: traffic sources feed the path
/// elements in order (links; RSS core groups running the stages that follow them), and the
/// path ends in a sink. A run is a pure function of (scenario, seed, replication).
/// </summary>
public static class ScenarioRunner
{
    static readonly double[] CdfQuantiles = BuildQuantiles();

    /// <param name="probe">Optional: given each model stage as it is built, returns the stage to run in its place
    /// (a recorder around it, for `lab validate`); metrics still come from the model's own stage.</param>
    /// <param name="cancellation">Ctrl-C: the simulation throws <see cref="OperationCanceledException"/> within milliseconds.</param>
    public static ReplicationResult Run(Scenario scenario, int replication, Func<string, IReadOnlyList<ListedPacket>>? pcapLoader = null,
        Func<IPacketStage, IPacketStage>? probe = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var ctx = new SimulationContext(scenario.Run.Seed, replication);
        ctx.Sim.Cancellation = cancellation;
        var sink = new Sink(ctx);
        var links = new List<Link>();
        var coreSets = new List<CoreSet>();
        var built = new List<(object Element, Func<double, IEnumerable<MetricValue>> Metrics)>();
        var receivers = BuildPath(scenario, ctx, sink, links, coreSets, built, probe);
        IPacketReceiver entry = receivers.Count > 0 ? receivers[0] : sink;

        // Built before the sources: a probe at t runs before any packet at t.
        ProbeSampler? probes = null;
        if (scenario.Probes.Count > 0)
        {
            var targets = new List<IProbeable>();
            foreach (var (element, _) in built) if (element is IProbeable p) targets.Add(p);
            probes = new ProbeSampler(ctx, scenario.Probes, targets);
        }

        var sources = new List<TrafficSource>();
        long listed = 0;
        for (short i = 0; i < scenario.Traffic.Count; i++)
        {
            var t = scenario.Traffic[i];
            switch (t.Kind)
            {
                case "sequence":
                    _ = new ListSource(ctx, t.Packets!, i, entry);
                    listed += CountInWindow(t.Packets!, scenario.Run);
                    break;
                case "script":
                    _ = new ScriptSource(ctx, t.Script!, i, entry);
                    foreach (var sp in t.Script!.Packets)
                        if (sp.At >= scenario.Run.Warmup && sp.At < scenario.Run.Duration) listed++;
                    break;
                case "pcap":
                    var packets = (pcapLoader ?? throw new LabInputException($"{t.Pos}: pcap traffic is not available in this build"))(t.PcapFile!);
                    _ = new ListSource(ctx, packets, i, entry);
                    listed += CountInWindow(packets, scenario.Run);
                    break;
                default:
                    sources.Add(new TrafficSource(ctx, t.Spec, i, entry));
                    break;
            }
        }

        TimeSeriesSampler? sampler = null;
        if (scenario.Outputs.TimeSeriesInterval > 0)
        {
            sampler = new TimeSeriesSampler(ctx, sink, () =>
            {
                long q = 0;
                foreach (var l in links) q += l.QueueLength;
                foreach (var c in coreSets) q += c.QueueLength;
                return q;
            }, scenario.Outputs.TimeSeriesInterval, scenario.Run.Warmup);
        }

        ctx.Run(scenario.Run.Warmup, scenario.Run.Duration);

        double seconds = SimTime.ToSeconds(scenario.Run.Duration - scenario.Run.Warmup);
        long offered = listed;
        foreach (var s in sources) offered += s.Sent;
        var metrics = new List<MetricValue>
        {
            new("offered_pps", "pps", offered / seconds),
            new("delivered_pps", "pps", sink.Packets / seconds),
            new("wire_bps", "bit/s", sink.WireBytes * 8 / seconds),
            new("goodput_bps", "bit/s", sink.GoodputBytes * 8 / seconds),
            new("drops_total", "packets", ctx.Drops.Total),
            new("loss_ratio", "ratio", offered > 0 ? (double)ctx.Drops.Total / offered : 0),
            new("sim_events", "events", ctx.Sim.EventsExecuted),
        };
        if (sink.Latency.Count > 0)
        {
            metrics.Add(new("latency_mean_us", "us", sink.Latency.Mean() / SimTime.Microsecond));
            foreach (var (p, name) in new[] { (50.0, "p50"), (90.0, "p90"), (99.0, "p99"), (99.9, "p999"), (100.0, "max") })
                metrics.Add(new($"latency_{name}_us", "us", sink.Latency.Percentile(p) / (double)SimTime.Microsecond));
        }
        foreach (var s in sources)
        {
            if (s.FlowsStarted > 0) metrics.Add(new($"traffic.{s.Name}.new_flows_per_s", "flows/s", s.FlowsStarted / seconds));
        }
        foreach (var (reason, count) in ctx.Drops.Snapshot()) metrics.Add(new($"drop.{reason}", "packets", count));
        foreach (var cs in coreSets)
        {
            double window = scenario.Run.Duration - scenario.Run.Warmup, sum = 0, max = 0;
            for (int c = 0; c < cs.Cores; c++)
            {
                double u = cs.BusyTime[c] / window;
                metrics.Add(new($"{cs.Name}{c}.utilization", "ratio", u));
                sum += u;
                max = Math.Max(max, u);
            }
            metrics.Add(new($"{cs.Name}.utilization_mean", "ratio", sum / cs.Cores));
            metrics.Add(new($"{cs.Name}.utilization_max", "ratio", max));
        }
        foreach (var (_, elementMetrics) in built) metrics.AddRange(elementMetrics(seconds));
        metrics.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        var cdf = new List<(double, double)>();
        if (scenario.Outputs.LatencyCdf && sink.Latency.Count > 0)
        {
            foreach (var q in CdfQuantiles) cdf.Add((q, sink.Latency.Percentile(q * 100) / (double)SimTime.Microsecond));
        }
        var series = sampler is null ? [] : sampler.Points.Select(RunPipeline.ToRow).ToList();
        return new ReplicationResult(replication, metrics, series, cdf, ctx.Sim.EventsExecuted)
        {
            Probes = probes?.Log.Rows.Select(r => new ProbeRecord(SimTime.ToSeconds(r.At), r.Element, r.Table, r.Cells)).ToList(),
            DropCauses = new Dictionary<string, DropCause>(ctx.Drops.Causes, StringComparer.Ordinal),
        };
    }

    static long CountInWindow(IReadOnlyList<ListedPacket> packets, RunSpec run)
    {
        long n = 0;
        foreach (var p in packets)
        {
            if (p.At >= run.Warmup && p.At < run.Duration) n++;
        }
        return n;
    }

    /// <param name="built">Each model element as built (stage or component) with its metrics, in path order.</param>
    static List<IPacketReceiver> BuildPath(Scenario scenario, SimulationContext ctx, Sink sink, List<Link> links, List<CoreSet> coreSets,
        List<(object Element, Func<double, IEnumerable<MetricValue>> Metrics)> built, Func<IPacketStage, IPacketStage>? probe)
    {
        var receivers = new List<IPacketReceiver>();
        var connectors = new Dictionary<IPacketReceiver, Action<IPacketReceiver>>();
        var byName = new Dictionary<string, object>(StringComparer.Ordinal);
        var elements = scenario.Path;
        int i = 0;
        while (i < elements.Count)
        {
            var e = elements[i];
            if (e is ModelStageElement me && Declaration(me) is IComponentDeclaration componentDeclaration)
            {
                var component = componentDeclaration.Build(me, ctx, n => byName.GetValueOrDefault(n));
                connectors[component.Receiver] = component.Connect;
                built.Add((component.Receiver, component.Metrics));
                byName[me.Name] = component.Receiver;
                receivers.Add(component.Receiver);
                i++;
                continue;
            }
            if (e is LinkElement l)
            {
                var link = new Link(ctx, l.Name, (long)l.BitsPerSecond, l.Delay, l.QueuePackets, l.QueueBytes);
                links.Add(link);
                receivers.Add(link);
                i++;
                continue;
            }
            // A core group: an rss element and the stages after it, or stages without one: a single core with the
            // default ring, named after the stage that starts it (scenarios/README.md, "Core groups").
            string name = CoreGroups.ImplicitName(e.Name);
            int cores = 1, ring = CoreGroups.ImplicitRing;
            if (e is RssElement r)
            {
                (name, cores, ring) = (r.Name, r.Cores, r.RingPackets);
                i++;
            }
            var stages = new List<IPacketStage>();
            while (i < elements.Count && (elements[i] is StageElement || (elements[i] is ModelStageElement ms && Declaration(ms) is IStageDeclaration)))
            {
                if (elements[i] is StageElement s) stages.Add(new FixedCostStage(s.Name, s.Cost, ctx.Random("stage." + s.Name)));
                else
                {
                    var m = (ModelStageElement)elements[i];
                    var stage = ((IStageDeclaration)Declaration(m)).Build(m, ctx, [.. elements.Take(i).OfType<ModelStageElement>()]);
                    stages.Add(probe is null ? stage.Stage : probe(stage.Stage));
                    byName[m.Name] = stage.Stage;
                    built.Add((stage.Stage, stage.Metrics));
                }
                i++;
            }
            // Two core groups must not share a name: their per-core metrics would collide.
            if (coreSets.Any(c => c.Name == name)) name += (coreSets.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var set = new CoreSet(ctx, name, cores, ring, stages, rssElement: e is RssElement);
            coreSets.Add(set);
            receivers.Add(set);
        }
        for (int k = 0; k < receivers.Count; k++)
        {
            IPacketReceiver next = k + 1 < receivers.Count ? receivers[k + 1] : sink;
            switch (receivers[k])
            {
                case Link link: link.Next = next; break;
                case CoreSet cs: cs.Next = next; break;
                default: connectors[receivers[k]](next); break;
            }
        }
        return receivers;
    }

    static ElementDeclaration Declaration(ModelStageElement element) =>
        ModelCatalog.Find(element.Type) ?? throw new InvalidOperationException($"no model for path element '{element.Type}'");

    static double[] BuildQuantiles()
    {
        var q = new List<double> { 0.001 };
        for (int i = 1; i <= 99; i++) q.Add(i / 100.0);
        q.Add(0.999);
        q.Add(1.0);
        return [.. q];
    }
}
