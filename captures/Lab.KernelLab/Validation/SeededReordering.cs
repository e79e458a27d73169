using Lab.Engine;

namespace Lab.KernelLab.Validation;

/// <summary>
/// A reordered, partly duplicated arrival order of sequence numbers, from a seeded stream
/// (<see cref="RandomStream"/>), for traces that exercise the replay window: packet i
/// (sequence start + i) is given the arrival key i + d, where d is a uniform displacement in
/// [0, <see cref="Jitter"/>] for most packets and in [0, <see cref="MaxDisplacement"/>] for a
/// share <see cref="LateShare"/> of them; a share <see cref="DuplicateShare"/> is sent a second
/// time with a displacement of its own. Arrivals are sorted by key (ties keep send order).
/// This is a stand-in for a measured reordering model (none was found, see REFERENCES.md),
/// shaped like what HARQ and multipath links do: mostly small displacements, a tail of late ones.
/// </summary>
public sealed record SeededReordering(int Count, ulong Start = 0, int Jitter = 3, int MaxDisplacement = 300, double LateShare = 0.05, double DuplicateShare = 0.01)
{
    public IReadOnlyList<ulong> Generate(RandomStream random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(Count);
        var arrivals = new List<(long Key, int Order, ulong Seq)>(Count + Count / 50);
        int order = 0;
        for (int i = 0; i < Count; i++)
        {
            ulong seq = Start + (ulong)i + 1;
            int d = random.NextBool(LateShare) ? random.NextInt(0, MaxDisplacement + 1) : random.NextInt(0, Jitter + 1);
            arrivals.Add(((long)i + d, order++, seq));
            if (random.NextBool(DuplicateShare)) arrivals.Add(((long)i + random.NextInt(1, Math.Max(1, MaxDisplacement) + 1), order++, seq));
        }
        arrivals.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Order.CompareTo(b.Order));
        var result = new ulong[arrivals.Count];
        for (int i = 0; i < result.Length; i++) result[i] = arrivals[i].Seq;
        return result;
    }
}
