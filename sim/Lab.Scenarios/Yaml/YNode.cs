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

public sealed class YMap(SourcePos pos) : YNode(pos)
{
    public List<(YScalar Key, YNode Value)> Entries { get; } = [];

    public YNode? this[string key]
    {
        get
        {
            foreach (var (k, v) in Entries)
            {
                if (k.Value == key) return v;
            }
            return null;
        }
    }

    public YScalar? KeyNode(string key)
    {
        foreach (var (k, _) in Entries)
        {
            if (k.Value == key) return k;
        }
        return null;
    }

    public void Set(string key, YNode value, SourcePos keyPos)
    {
        for (int i = 0; i < Entries.Count; i++)
        {
            if (Entries[i].Key.Value == key)
            {
                Entries[i] = (Entries[i].Key, value);
                return;
            }
        }
        Entries.Add((new YScalar(keyPos, key), value));
    }

    public void Remove(string key) => Entries.RemoveAll(e => e.Key.Value == key);

    public override YNode Clone()
    {
        var m = new YMap(Pos);
        foreach (var (k, v) in Entries) m.Entries.Add(((YScalar)k.Clone(), v.Clone()));
        return m;
    }
}
