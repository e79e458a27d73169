using Lab.Core;

namespace Lab.Models.Metrics;

/// <summary>
/// Drops by reason. Reasons are registered once by name (the kernel's counter name where one
/// exists, e.g. "XfrmInStateSeqError", or "link.queue_full") and then counted by index, so a
/// drop costs one array increment.
/// </summary>
public sealed class DropCounters
{
    readonly List<string> _names = [];
    readonly Dictionary<string, DropCause> _causes = new(StringComparer.Ordinal);
    long[] _counts = new long[16];

    /// <param name="cause">When the reason is a configured limit (an MTU, a ring, a clamped window): what it means and the key to change.</param>
    public int Register(string reason, DropCause? cause = null)
    {
        if (cause is not null) _causes.TryAdd(reason, cause);
        int i = _names.IndexOf(reason);
        if (i >= 0) return i;
        _names.Add(reason);
        if (_names.Count > _counts.Length) Array.Resize(ref _counts, _counts.Length * 2);
        return _names.Count - 1;
    }

    public void Count(int reason)
    {
        _counts[reason]++;
        LifetimeTotal++;
    }

    public void Count(int reason, long n)
    {
        _counts[reason] += n;
        LifetimeTotal += n;
    }

    /// <summary>All drops since the start of the run, never reset.</summary>
    public long LifetimeTotal { get; private set; }

    public long this[string reason] => _names.IndexOf(reason) is int i and >= 0 ? _counts[i] : 0;

    public long Total
    {
        get
        {
            long t = 0;
            for (int i = 0; i < _names.Count; i++) t += _counts[i];
            return t;
        }
    }

    /// <summary>Every registered reason with its count, in registration order (deterministic).</summary>
    public IReadOnlyList<(string Reason, long Count)> Snapshot()
    {
        var list = new List<(string, long)>(_names.Count);
        for (int i = 0; i < _names.Count; i++) list.Add((_names[i], _counts[i]));
        return list;
    }

    /// <summary>The configuration causes declared with the reasons, by reason.</summary>
    public IReadOnlyDictionary<string, DropCause> Causes => _causes;

    public void Reset() => Array.Clear(_counts);
}
