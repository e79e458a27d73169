using Lab.Simulation.Running;
using Lab.Engine;
using Lab.Models;
using Lab.Models.Path;
using Lab.Results;
using Lab.Scenarios;
using Lab.Core;

namespace Lab.Simulation.Plugins;

/// <summary><c>- loss: {probability, every, first}</c>.</summary>
public sealed class LossPlugin : IModelPlugin, IPathElementBinder
{
    public IPathElementBinder Binder => this;
    public string Type => "loss";
    public string Summary => "A lossy hop: random (seeded per element) and/or every Nth packet";
    public bool IsStage => false;

    public IReadOnlyList<KeySpec> Keys { get; } =
    [
        new("name", "string", "loss", "Element name (drop reason NAME.dropped)."),
        new("probability", "number 0..1", "0", "Each packet is dropped with this probability (the element's own stream from seed, replication and name)."),
        new("every", "integer", "0", "Also drop every Nth packet (0 = never)."),
        new("first", "integer", "(every)", "The first packet (counting from 1) the every-Nth pattern drops."),
    ];

    sealed record LossConfig(double Probability, long Every, long First);

    public PathElement Bind(MapReader r, string defaultName)
    {
        long every = r.Integer("every", 0, 0, int.MaxValue);
        return new ModelStageElement(Type, r.String("name") ?? defaultName,
            new LossConfig(r.Number("probability", 0, 0, 1), every, r.Integer("first", Math.Max(1, every), 1, long.MaxValue)), r.Map.Pos);
    }

    public ModelDescription Describe() => new("loss", Summary, "(none: a test fixture for the path, like netem loss)",
        KeySpecDescriptions.From("loss.", Keys, "scenario key of the loss path element"),
        ["Metrics: NAME.dropped, NAME.passed."]);

    public IPacketStage CreateStage(ModelStageElement element, SimulationContext ctx) => throw new NotSupportedException();

    public IPacketReceiver CreateElement(ModelStageElement element, SimulationContext ctx, Func<string, object?> byName)
    {
        var c = (LossConfig)element.Config;
        return new LossElement(ctx, element.Name, c.Probability, c.Every, c.First);
    }

    public void Connect(IPacketReceiver element, IPacketReceiver next) => ((LossElement)element).Next = next;

    public IEnumerable<MetricValue> ElementMetrics(IPacketReceiver element, double measuredSeconds)
    {
        var l = (LossElement)element;
        yield return new($"{l.Name}.dropped", "packets", l.Dropped);
        yield return new($"{l.Name}.passed", "packets", l.Passed);
    }
}
