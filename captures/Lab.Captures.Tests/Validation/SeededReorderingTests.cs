using CsCheck;
using Lab.KernelLab.Validation;
using Lab.Engine;

namespace Lab.Captures.Tests.Validation;

public sealed class SeededReorderingTests
{
    [Fact]
    public void Same_seed_same_order_other_seed_other_order()
    {
        var r = new SeededReordering(2000, Start: 10);

        var a = r.Generate(RandomStream.For(1, 0, "t"));
        var b = r.Generate(RandomStream.For(1, 0, "t"));
        var c = r.Generate(RandomStream.For(2, 0, "t"));

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Every_packet_arrives_once_or_twice_and_never_behind_a_packet_sent_more_than_the_displacement_later()
    {
        Gen.Select(Gen.Int[0, 400], Gen.Int[0, 40], Gen.Double[0, 1], Gen.Double[0, 0.2], Gen.ULong)
            .Sample((count, d, late, dup, seed) =>
            {
                var order = new SeededReordering(count, Start: 100, Jitter: Math.Min(3, d), MaxDisplacement: d, LateShare: late, DuplicateShare: dup)
                    .Generate(new RandomStream(seed));
                var seen = new Dictionary<ulong, int>();
                foreach (var s in order) seen[s] = seen.GetValueOrDefault(s) + 1;
                // Sequences 101..100+count, each once, plus duplicates.
                if (seen.Count != count || seen.Keys.Any(s => s < 101 || s > 100 + (ulong)count) || seen.Values.Any(n => n > 2)) return false;
                // The first copy of s has key <= s + d; any original t > s + d has key >= t > key(s): it comes later.
                var firstAt = new Dictionary<ulong, int>();
                for (int i = 0; i < order.Count; i++) firstAt.TryAdd(order[i], i);
                var seq = firstAt.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray();
                for (int s = 0; s < seq.Length; s++)
                {
                    for (int t = s + d + 1; t < seq.Length; t++)
                    {
                        if (seq[t] < seq[s]) return false;
                    }
                }
                return true;
            }, iter: 200);
    }
}
