using System.Globalization;
using Lab.Core;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// One of <see cref="Count"/> disjoint shares of a sweep's runs: shard I of N owns the runs whose
/// position k in the ordered (point, replication) list satisfies k mod N == I. Round-robin rather
/// than contiguous blocks so that every shard gets a similar mix of cheap and expensive points.
/// </summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    public static readonly ShardSpec Whole = new(0, 1);

    public bool IsWhole => Count == 1;

    /// <summary>Whether this shard owns the run at <paramref name="position"/> (point * replications + replication).</summary>
    public bool Owns(long position) => position % Count == Index;

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>
    /// Parses "I/N". A bad text is a <see cref="ParameterException"/> about the shard parameter, or, when
    /// <paramref name="file"/> is given (a shard read back from a sweep file), bad input naming that file.
    /// </summary>
    public static ShardSpec Parse(string text, string? file = null)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0
            && int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            if (n >= 1 && i < n) return new ShardSpec(i, n);
            throw Bad($"expected I/N with 0 <= I < N and N >= 1, found '{text}'", file);
        }
        throw Bad($"expected I/N such as 0/4 (shard I of N, counted from 0), found '{text}'", file);
    }

    static Exception Bad(string problem, string? file) =>
        file is null ? new ParameterException("shard", problem) : new LabInputException($"{file}: {problem}");
}
