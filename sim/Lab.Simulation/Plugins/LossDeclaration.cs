using Lab.Core;
using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;
using Lab.Simulation.Running;

namespace Lab.Simulation.Plugins;

/// <summary>The loss element's configuration.</summary>
public sealed record LossConfig(double Probability, long Every, long First);

/// <summary><c>- loss: {probability, every, first}</c>.</summary>
public sealed class LossDeclaration : ComponentDeclaration<LossConfig, LossElement>
{
    const string Lab = "lab (a test fixture, like netem loss)";

    public override string Type => "loss";
    public override string Summary => "A lossy hop: random (seeded per element) and/or every Nth packet";
    public override string KernelCounterpart => "(none: a test fixture for the path, like netem loss)";

    static readonly Parameter<double> Probability = Parameter.Number("probability", 0, 0, 1, Lab, "Each packet is dropped with this probability (the element's own stream from seed, replication and name).");
    static readonly Parameter<long> Every = Parameter.Integer("every", 0, 0, int.MaxValue, Lab, "Also drop every Nth packet (0 = never).");
    static readonly Parameter<long> First = Parameter.Integer("first", 1, 1, long.MaxValue, Lab, "The first packet (counting from 1) the every-Nth pattern drops.").Derived("(every)");

    public override IReadOnlyList<Parameter> Parameters { get; } =
    [
        Parameter.Text("name", "loss", Lab, "Element name (drop reason NAME.dropped)."),
        Probability,
        Every,
        First,
    ];

    public override IReadOnlyList<string> Notes { get; } = ["Metrics: NAME.dropped, NAME.passed."];

    protected override LossConfig BindConfig(MapReader r)
    {
        long every = r.Read(Every);
        return new LossConfig(r.Read(Probability), every, r.Read(First, Math.Max(1, every)));
    }

    protected override LossElement Create(ModelStageElement element, LossConfig c, SimulationContext ctx, Func<string, object?> byName) =>
        new(ctx, element.Name, c.Probability, c.Every, c.First);

    protected override void Connect(LossElement component, IPacketReceiver next) => component.Next = next;

    protected override IEnumerable<MetricValue> Metrics(LossElement l, double measuredSeconds)
    {
        yield return new($"{l.Name}.dropped", "packets", l.Dropped);
        yield return new($"{l.Name}.passed", "packets", l.Passed);
    }
}
