using Lab.Engine;

namespace Lab.Models.Traffic;

/// <summary>
/// Which flow each packet belongs to. Either a fixed population of long-lived flows (each
/// packet picks one uniformly), or a churning mix: a number of flows active at once, each
/// sending a heavy-tailed (Pareto) number of packets and then replaced by a new flow, which
/// is how most flows are short while most bytes ride in a few long ones.
/// </summary>
public sealed class FlowMix
{
    /// <summary>Flow ids of one source live in [base, base + 2^24); a churning mix reuses ids after 2^24 flows.</summary>
    public const int IdSpace = 1 << 24;

    readonly int _base;
    readonly int _flows;
    readonly bool _churn;
    readonly double _alpha, _minPackets;
    readonly int[] _activeId = [];
    readonly long[] _remaining = [];
    int _nextId;

    FlowMix(int sourceIndex, int flows, bool churn, double alpha, double meanPackets)
    {
        _base = sourceIndex * IdSpace;
        _flows = flows;
        _churn = churn;
        _alpha = alpha;
        // Pareto mean = alpha * xm / (alpha - 1), so xm = mean * (alpha - 1) / alpha.
        _minPackets = churn ? meanPackets * (alpha - 1) / alpha : 0;
        if (churn)
        {
            _activeId = new int[flows];
            _remaining = new long[flows];
        }
    }

    public static FlowMix Uniform(int sourceIndex, int flows) => new(sourceIndex, flows, false, 0, 0);

    /// <summary>A churning mix; <paramref name="alpha"/> must exceed 1 for the mean to exist.</summary>
    public static FlowMix ParetoChurn(int sourceIndex, int active, double alpha, double meanPackets) =>
        new(sourceIndex, active, true, alpha, meanPackets);

    public long FlowsStarted { get; private set; }

    public int Next(RandomStream rng, out bool first, out bool last)
    {
        int slot = _flows == 1 ? 0 : rng.NextInt(0, _flows);
        if (!_churn)
        {
            first = last = false;
            return _base + slot;
        }
        first = false;
        if (_remaining[slot] == 0)
        {
            _activeId[slot] = _base + (_nextId++ & (IdSpace - 1));
            _remaining[slot] = Math.Max(1, (long)Math.Round(rng.Pareto(_alpha, _minPackets)));
            first = true;
            FlowsStarted++;
        }
        last = --_remaining[slot] == 0;
        return _activeId[slot];
    }
}
