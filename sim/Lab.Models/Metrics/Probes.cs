using Lab.Engine;

namespace Lab.Models.Metrics;

/// <summary>One row of a state snapshot: which element, which table, and its cells by column name (probes.csv in Lab.Results/RESULTS-FORMAT.md).</summary>
public sealed record ProbeRow(long At, string Element, string Table, IReadOnlyList<KeyValuePair<string, string>> Cells);

/// <summary>Collects the rows of the snapshots taken during one run.</summary>
public sealed class ProbeLog
{
    readonly List<ProbeRow> _rows = [];

    public IReadOnlyList<ProbeRow> Rows => _rows;

    public void Add(long at, string element, string table, params KeyValuePair<string, string>[] cells) =>
        _rows.Add(new ProbeRow(at, element, table, cells));

    public static KeyValuePair<string, string> Cell(string column, string value) => new(column, value);

    public static KeyValuePair<string, string> Cell(string column, long value) =>
        new(column, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>A model whose state can be listed the way a kernel tool lists it (conntrack -L, ip xfrm state).</summary>
public interface IProbeable
{
    /// <summary>Appends the element's state at <paramref name="now"/>; must not change what the model does afterwards.</summary>
    void Probe(long now, ProbeLog log);
}

/// <summary>
/// Takes snapshots at given times. It is built before the traffic sources, so its events are
/// queued first: a probe at time t sees every packet before t and none at t.
/// </summary>
public sealed class ProbeSampler : IEventTarget
{
    readonly SimulationContext _ctx;
    readonly long[] _times;
    readonly IReadOnlyList<IProbeable> _targets;
    readonly int _id;

    public ProbeSampler(SimulationContext ctx, IReadOnlyList<long> times, IReadOnlyList<IProbeable> targets)
    {
        _ctx = ctx;
        _times = [.. times];
        _targets = targets;
        _id = ctx.Sim.Register(this);
        for (int i = 0; i < _times.Length; i++) ctx.Sim.Schedule(_times[i], _id, 0, i);
    }

    public ProbeLog Log { get; } = new();

    public void OnEvent(int kind, int arg, long data)
    {
        foreach (var t in _targets) t.Probe(_ctx.Sim.Now, Log);
    }
}
