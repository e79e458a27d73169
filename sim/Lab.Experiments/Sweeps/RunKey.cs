using System.Globalization;

namespace Lab.Experiments.Sweeps;

/// <summary>One run of a sweep: a point and a replication. Orders by point, then replication.</summary>
public readonly record struct RunKey(int Point, int Replication) : IComparable<RunKey>
{
    /// <summary>The run file's name: p{point}-r{replication}.json.</summary>
    public string FileName => string.Create(CultureInfo.InvariantCulture, $"p{Point}-r{Replication}.json");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"p{Point}-r{Replication}");

    public int CompareTo(RunKey other) => Point != other.Point ? Point.CompareTo(other.Point) : Replication.CompareTo(other.Replication);

    public static bool operator <(RunKey a, RunKey b) => a.CompareTo(b) < 0;

    public static bool operator >(RunKey a, RunKey b) => a.CompareTo(b) > 0;

    public static bool operator <=(RunKey a, RunKey b) => a.CompareTo(b) <= 0;

    public static bool operator >=(RunKey a, RunKey b) => a.CompareTo(b) >= 0;

    /// <summary>Parses a run file name; null for any other file.</summary>
    public static RunKey? FromFileName(string name)
    {
        if (!name.StartsWith('p') || !name.EndsWith(".json", StringComparison.Ordinal)) return null;
        var core = name.AsSpan(1, name.Length - 6);
        int dash = core.IndexOf("-r", StringComparison.Ordinal);
        if (dash <= 0) return null;
        if (!int.TryParse(core[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out int p)) return null;
        if (!int.TryParse(core[(dash + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out int r)) return null;
        return new RunKey(p, r);
    }
}
