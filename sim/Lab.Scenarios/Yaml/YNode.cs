namespace Lab.Scenarios.Yaml;

/// <summary>Where a value came from: a file position, or a command-line flag such as --set.</summary>
public sealed record SourcePos(string File, int Line, int Column)
{
    public static SourcePos Flag(string flag) => new(flag, 0, 0);

    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>
/// A YAML node that remembers its position, so every problem found after loading (unknown
/// key, bad unit, sweep over a missing parameter) can name file:line:column. Mutable only
/// while extends, --set and sweep points are applied; binding turns it into immutable records.
/// </summary>
public abstract class YNode(SourcePos pos)
{
    public SourcePos Pos { get; set; } = pos;

    public abstract YNode Clone();
}

public sealed class YScalar(SourcePos pos, string value, bool quoted = false) : YNode(pos)
{
    public string Value { get; } = value;
    public bool Quoted { get; } = quoted;

    public override YNode Clone() => new YScalar(Pos, Value, Quoted);

    public override string ToString() => Value;
}

public sealed class YSeq(SourcePos pos) : YNode(pos)
{
    public List<YNode> Items { get; } = [];

    public override YNode Clone()
    {
        var s = new YSeq(Pos);
        foreach (var i in Items) s.Items.Add(i.Clone());
        return s;
    }
}

/// <summary>
/// A mapping in document order with a hash index on its keys, so loading and looking up a key
/// cost the same however many keys the mapping holds (a list scan made loading quadratic:
/// 1 MB of keys took 22 s).
/// </summary>
public sealed class YMap(SourcePos pos) : YNode(pos)
{
    readonly List<(YScalar Key, YNode Value)> _entries = [];
    readonly KeyComparer _comparer = new();
    Dictionary<string, int>? _index;

    public IReadOnlyList<(YScalar Key, YNode Value)> Entries => _entries;

    /// <summary>Key equality tests made by this mapping's lookups and inserts: what its cost grows with.</summary>
    public long KeyComparisons => _comparer.Comparisons;

    Dictionary<string, int> Index => _index ??= new Dictionary<string, int>(_comparer);

    public YNode? this[string key] => Index.TryGetValue(key, out int i) ? _entries[i].Value : null;

    public YScalar? KeyNode(string key) => Index.TryGetValue(key, out int i) ? _entries[i].Key : null;

    /// <summary>Appends a new key; false (and nothing changed) when the key is already there.</summary>
    public bool TryAdd(YScalar key, YNode value)
    {
        if (!Index.TryAdd(key.Value, _entries.Count)) return false;
        _entries.Add((key, value));
        return true;
    }

    public void Set(string key, YNode value, SourcePos keyPos)
    {
        if (Index.TryGetValue(key, out int i)) _entries[i] = (_entries[i].Key, value);
        else TryAdd(new YScalar(keyPos, key), value);
    }

    public void Remove(string key)
    {
        if (!Index.TryGetValue(key, out int i)) return;
        _entries.RemoveAt(i);
        _index = null;
        for (int j = 0; j < _entries.Count; j++) Index[_entries[j].Key.Value] = j;
    }

    public override YNode Clone()
    {
        var m = new YMap(Pos);
        foreach (var (k, v) in _entries) m.TryAdd((YScalar)k.Clone(), v.Clone());
        return m;
    }

    /// <summary>Ordinal, with string's randomised hash (no crafted collisions), counting equality tests.</summary>
    sealed class KeyComparer : IEqualityComparer<string>
    {
        public long Comparisons;

        public bool Equals(string? x, string? y)
        {
            Comparisons++;
            return string.Equals(x, y, StringComparison.Ordinal);
        }

        public int GetHashCode(string obj) => obj.GetHashCode(StringComparison.Ordinal);
    }
}
