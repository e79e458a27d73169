using Lab.Engine;

namespace Lab.Engine.Tests;

public class RandomStreamTests
{
    [Fact]
    public void Same_seed_replication_and_name_give_the_same_draws()
    {
        var a = RandomStream.For(1, 0, "traffic.bulk");
        var b = RandomStream.For(1, 0, "traffic.bulk");
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void Replication_seed_and_component_each_change_the_draws()
    {
        ulong Base(long seed, int rep, string name) => RandomStream.For(seed, rep, name).NextUInt64();
        ulong x = Base(1, 0, "traffic.bulk");
        Assert.NotEqual(x, Base(1, 1, "traffic.bulk"));
        Assert.NotEqual(x, Base(2, 0, "traffic.bulk"));
        Assert.NotEqual(x, Base(1, 0, "traffic.voip"));
    }

    [Fact]
    public void Xoshiro256starstar_matches_the_reference_output()
    {
        // Reference values: the algorithm of Blackman and Vigna (xoshiro256starstar.c) started from
        // the state s = {1, 2, 3, 4}; worked by hand: result = rotl(s1 * 5, 7) * 9 = rotl(10, 7) * 9 = 1280 * 9.
        var r = RandomStream.FromState(1, 2, 3, 4);
        Assert.Equal(11520UL, r.NextUInt64());
        // Second output: after one step s = {7, 0, 262146, 211106232532992}; rotl(0 * 5, 7) * 9 = 0.
        Assert.Equal(0UL, r.NextUInt64());
    }

    [Fact]
    public void Exponential_mean_and_below_bound_are_right()
    {
        var r = new RandomStream(42);
        double sum = 0;
        const int n = 200_000;
        for (int i = 0; i < n; i++) sum += r.Exponential(5.0);
        // Standard error of the mean is 5 / sqrt(2e5) = 0.011; 0.06 is over five of them.
        Assert.InRange(sum / n, 4.94, 5.06);
        var counts = new int[3];
        for (int i = 0; i < 30_000; i++) counts[r.NextBelow(3)]++;
        foreach (var c in counts) Assert.InRange(c, 9_500, 10_500);
    }
}

public class ManagedLogTests
{
    /// <summary>
    /// RandomStream.Log against the C library's log (Math.Log) on uniform draws and on values spread
    /// over 2^-60..1 (the whole range NextDoubleNonZero can give that matters for exponential
    /// variates): never more than 3 units in the last place apart, and exact at 1, e and powers of 2.
    /// </summary>
    [Fact]
    public void Managed_log_is_within_3_ulp_of_the_C_library()
    {
        var rng = new RandomStream(11);
        long worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            double x = i % 2 == 0 ? rng.NextDouble() : Math.Pow(2, -60 * rng.NextDouble());
            if (x == 0) continue;
            long ulps = Math.Abs(BitConverter.DoubleToInt64Bits(RandomStream.Log(x)) - BitConverter.DoubleToInt64Bits(Math.Log(x)));
            worst = Math.Max(worst, ulps);
        }
        Assert.InRange(worst, 0, 3);
        Assert.Equal(0.0, RandomStream.Log(1.0));
        Assert.Equal(-10 * Math.Log(2), RandomStream.Log(1.0 / 1024), 15);
        Assert.Equal(1.0, RandomStream.Log(Math.E), 15);
    }
}
