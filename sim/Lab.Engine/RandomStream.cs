using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Lab.Engine;

/// <summary>
/// A named, independent pseudo-random stream (xoshiro256**, Blackman and Vigna 2018).
/// Streams are derived from (seed, replication, component name) so that adding a component
/// never changes the draws of the others, and each replication gets fresh draws.
/// A class rather than a struct so that components can share one by reference without
/// accidentally copying its state.
/// </summary>
public sealed class RandomStream
{
    ulong _s0, _s1, _s2, _s3;

    public RandomStream(ulong seed)
    {
        // SplitMix64 expands one 64-bit seed into the four state words (the generator's
        // authors' recommendation); it never yields the all-zero state.
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A stream started from an explicit state, to check against the algorithm's reference output.</summary>
    public static RandomStream FromState(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        var r = new RandomStream(0);
        (r._s0, r._s1, r._s2, r._s3) = (s0, s1, s2, s3);
        return r;
    }

    /// <summary>The stream for one component of one replication of one seed.</summary>
    public static RandomStream For(long seed, int replication, string component) =>
        new(DeriveSeed(seed, replication, component));

    public static ulong DeriveSeed(long seed, int replication, string component)
    {
        // FNV-1a over the component's UTF-8 name: stable across processes and .NET versions
        // (string.GetHashCode is randomised per process).
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(component))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        ulong x = (ulong)seed;
        ulong a = SplitMix64(ref x);
        x = a ^ (ulong)(uint)replication * 0x9E3779B97F4A7C15UL;
        ulong b2 = SplitMix64(ref x);
        x = b2 ^ h;
        return SplitMix64(ref x);
    }

    static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1]: safe to take the logarithm of.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDoubleNonZero() => ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound) without modulo bias (Lemire 2019).</summary>
    public ulong NextBelow(ulong bound)
    {
        if (bound == 0) throw new ArgumentOutOfRangeException(nameof(bound), "bound must be positive");
        ulong x = NextUInt64();
        UInt128 m = (UInt128)x * bound;
        ulong l = (ulong)m;
        if (l < bound)
        {
            ulong t = (0UL - bound) % bound;
            while (l < t)
            {
                x = NextUInt64();
                m = (UInt128)x * bound;
                l = (ulong)m;
            }
        }
        return (ulong)(m >> 64);
    }

    public int NextInt(int minInclusive, int maxExclusive) =>
        minInclusive + (int)NextBelow((ulong)((long)maxExclusive - minInclusive));

    public bool NextBool(double probability) => NextDouble() < probability;

    /// <summary>Exponential with the given mean (inverse transform).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Exponential(double mean) => -mean * Log(NextDoubleNonZero());

    /// <summary>
    /// The natural logarithm of a positive finite double, in managed code, within 3 ulp of the C
    /// library's (tested). Math.Log calls the C library, whose legacy-SSE code pays the AVX/SSE
    /// transition penalty when the simulator's loop has just used 256-bit registers (the JIT copies
    /// 32-byte events with them): on the quickstart (one log per packet) 18% of all CPU time went
    /// to it. Vector128.Log avoids that but spent as long again in its scalar fallback.
    /// <para>
    /// The method: x = 2^k * m with m in [sqrt(1/2), sqrt(2)); with s = (m - 1) / (m + 1),
    /// ln m = 2 atanh s = 2 (s + s^3/3 + s^5/5 + ...), |s| &lt;= 0.1716, so twelve terms (to s^23/23) leave a
    /// truncation error below 2^-60 of the result; ln x = k ln 2 + ln m, with ln 2 split in two
    /// doubles so that k ln 2 keeps its precision.
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int k = (int)(bits >> 52) - 1023;
        if ((uint)(k + 1022) > 2045u) return LogOutsideNormalRange(x);
        // m in [1, 2); move the upper part of that range down to [sqrt(1/2), 1).
        double m = BitConverter.Int64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        if (m > Sqrt2)
        {
            m *= 0.5;
            k++;
        }
        double s = (m - 1.0) / (m + 1.0);
        double z = s * s;
        // 1/3 + z/5 + z^2/7 + ... + z^10/23 by Estrin's scheme: four short chains instead of
        // one of ten multiply-adds, which was the longest latency of a packet's generation.
        double z2 = z * z;
        double z4 = z2 * z2;
        double z8 = z4 * z4;
        double low = 1.0 / 3 + z * (1.0 / 5) + z2 * (1.0 / 7 + z * (1.0 / 9));
        double middle = 1.0 / 11 + z * (1.0 / 13) + z2 * (1.0 / 15 + z * (1.0 / 17));
        double high = 1.0 / 19 + z * (1.0 / 21) + z2 * (1.0 / 23);
        double series = low + z4 * middle + z8 * high;
        double lnM = 2 * s + 2 * s * z * series;
        return k * Ln2Low + lnM + k * Ln2High;
    }

    const double Sqrt2 = 1.4142135623730951;
    // ln 2 = Ln2High + Ln2Low: the double nearest ln 2 and the remainder.
    const double Ln2High = 0.6931471805599453;
    const double Ln2Low = 2.3190468138462996e-17;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static double LogOutsideNormalRange(double x) => Math.Log(x);

    /// <summary>Pareto with shape alpha and minimum xm: heavy-tailed flow sizes.</summary>
    public double Pareto(double alpha, double xm) => xm * Vector128.Exp(Vector128.CreateScalar(-Log(NextDoubleNonZero()) / alpha)).ToScalar();

    /// <summary>Standard normal (Box-Muller, one of the pair).</summary>
    public double Normal(double mean, double stddev)
    {
        double u1 = NextDoubleNonZero();
        double u2 = NextDouble();
        return mean + stddev * Math.Sqrt(-2.0 * Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
