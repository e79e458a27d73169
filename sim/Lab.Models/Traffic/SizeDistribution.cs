using Lab.Engine;

namespace Lab.Models.Traffic;

/// <summary>
/// Frame sizes (bytes including Ethernet header and FCS). IMIX is the classic 7:4:1 mix of
/// 64, 594 and 1518 B; it is drawn as shuffled decks of twelve, so the ratio is exact over
/// every twelve packets and only the order is random: a line-rate measurement then does not
/// wobble with the sampling noise of the mix.
/// </summary>
public sealed class SizeDistribution
{
    readonly int[] _sizes;
    readonly double[] _cumulative;
    readonly bool _deck;
    readonly int _uniformMin, _uniformMax;
    readonly int[] _deckCards = [];

    SizeDistribution(int[] sizes, double[] weights, bool deck, int uniformMin = 0, int uniformMax = 0, string name = "")
    {
        _sizes = sizes;
        _cumulative = new double[weights.Length];
        double total = 0;
        foreach (var w in weights) total += w;
        double acc = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            acc += weights[i] / total;
            _cumulative[i] = acc;
        }
        _deck = deck;
        if (deck)
        {
            var cards = new List<int>();
            for (int i = 0; i < sizes.Length; i++)
            {
                for (int k = 0; k < (int)weights[i]; k++) cards.Add(sizes[i]);
            }
            _deckCards = [.. cards];
        }
        _uniformMin = uniformMin;
        _uniformMax = uniformMax;
        Name = name;
        double mean = 0;
        if (uniformMax > 0) mean = (uniformMin + uniformMax) / 2.0;
        else for (int i = 0; i < sizes.Length; i++) mean += sizes[i] * weights[i] / total;
        MeanBytes = mean;
    }

    public string Name { get; }
    public double MeanBytes { get; }

    public static SizeDistribution Fixed(int bytes) => new([bytes], [1], false, name: $"{bytes}B");

    public static SizeDistribution Imix() => new([64, 594, 1518], [7, 4, 1], true, name: "imix");

    public static SizeDistribution Empirical(IReadOnlyList<(int Size, double Weight)> entries) =>
        new([.. entries.Select(e => e.Size)], [.. entries.Select(e => e.Weight)], false, name: "empirical");

    public static SizeDistribution Uniform(int min, int max) => new([min], [1], false, min, max, $"uniform({min},{max})");

    /// <summary>
    /// A sampler with its own state (the IMIX deck): each generator of each run draws from its
    /// own, so the distribution itself stays immutable and shareable across runs and threads.
    /// </summary>
    public Sampler NewSampler() => new(this);

    public sealed class Sampler
    {
        readonly SizeDistribution _d;
        readonly int[] _deck;
        int _left;

        internal Sampler(SizeDistribution d)
        {
            _d = d;
            _deck = [.. d._deckCards];
        }

        public int Draw(RandomStream rng)
        {
            if (!_d._deck) return _d.DrawIndependent(rng);
            // Fisher-Yates, one card at a time: the deck refills when empty.
            if (_left == 0) _left = _deck.Length;
            int j = rng.NextInt(0, _left);
            int card = _deck[j];
            _deck[j] = _deck[_left - 1];
            _deck[_left - 1] = card;
            _left--;
            return card;
        }
    }

    int DrawIndependent(RandomStream rng)
    {
        if (_uniformMax > 0) return rng.NextInt(_uniformMin, _uniformMax + 1);
        if (_sizes.Length == 1) return _sizes[0];
        double u = rng.NextDouble();
        for (int i = 0; i < _cumulative.Length; i++)
        {
            if (u < _cumulative[i]) return _sizes[i];
        }
        return _sizes[^1];
    }
}
