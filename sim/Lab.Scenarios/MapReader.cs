using System.Globalization;
using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>
/// Reads one mapping of a scenario against its declared keys: typed getters record a problem
/// (with position, what was expected, what was found) instead of throwing, and unknown keys
/// are reported with the nearest valid one.
/// </summary>
public sealed class MapReader
{
    readonly YMap _map;
    readonly IReadOnlyList<KeySpec> _keys;
    readonly Problems _problems;

    public MapReader(YMap map, string section, IReadOnlyList<KeySpec> keys, Problems problems, string keyPrefix = "", ReadLog? log = null)
    {
        _map = map;
        Section = section;
        _keys = keys;
        _problems = problems;
        KeyPrefix = keyPrefix;
        Log = log;
        foreach (var (k, _) in map.Entries)
        {
            if (keys.Any(s => s.Key == k.Value)) continue;
            string? hint = Problems.Suggest(k.Value, keys.Select(s => s.Key));
            problems.Add(k.Pos, $"unknown key '{k.Value}' in {section}" +
                (hint is null ? $"; expected one of: {string.Join(", ", keys.Select(s => s.Key))}" : $" (did you mean '{hint}'?)"));
        }
    }

    public string Section { get; }
    public YMap Map => _map;
    public Problems Problems => _problems;

    /// <summary>What the declared keys of this mapping start with: "" for an element, "snat." inside its snat mapping.</summary>
    public string KeyPrefix { get; }

    /// <summary>Records every key read (a test checks that each goes through its declaration), or null.</summary>
    public ReadLog? Log { get; }

    public static MapReader? ForNode(YNode? node, string section, IReadOnlyList<KeySpec> keys, Problems problems, SourcePos fallback,
        string keyPrefix = "", ReadLog? log = null)
    {
        if (node is null) return new MapReader(new YMap(fallback), section, keys, problems, keyPrefix, log);
        if (node is YMap m) return new MapReader(m, section, keys, problems, keyPrefix, log);
        problems.Add(node.Pos, $"expected {section} to be a mapping of keys ({string.Join(", ", keys.Select(k => k.Key))}), found {YamlLoader.Describe(node)}");
        return null;
    }

    public SourcePos PosOf(string key) => _map[key]?.Pos ?? _map.Pos;

    public bool Has(string key)
    {
        Log?.Raw(KeyPrefix + key);
        return _map[key] is not null;
    }

    YScalar? Scalar(string key, bool required, string expected)
    {
        Log?.Raw(KeyPrefix + key);
        return ScalarOf(key, required, expected);
    }

    YScalar? ScalarOf(string key, bool required, string expected)
    {
        var node = _map[key];
        if (node is null)
        {
            if (required) _problems.Add(_map.Pos, $"missing key '{key}' in {Section}: expected {expected}");
            return null;
        }
        if (node is YScalar s) return s;
        _problems.Add(node.Pos, $"{Section}.{key}: expected {expected}, found {YamlLoader.Describe(node)}");
        return null;
    }

    public string? String(string key, bool required = false)
    {
        var s = Scalar(key, required, "a string");
        return s?.Value;
    }

    public string Choice(string key, string defaultValue, params string[] allowed)
    {
        var s = Scalar(key, false, "one of " + string.Join(", ", allowed));
        if (s is null) return defaultValue;
        if (allowed.Contains(s.Value)) return s.Value;
        string? hint = Problems.Suggest(s.Value, allowed);
        _problems.Add(s.Pos, $"{Section}.{key}: expected one of {string.Join(", ", allowed)}, found '{s.Value}'" + (hint is null ? "" : $" (did you mean '{hint}'?)"));
        return defaultValue;
    }

    public long Integer(string key, long defaultValue, long min = long.MinValue, long max = long.MaxValue, bool required = false)
    {
        var s = Scalar(key, required, "an integer");
        if (s is null) return defaultValue;
        string t = s.Value.Replace("_", "", StringComparison.Ordinal);
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(t[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long v)
            : long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v);
        if (!ok)
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected an integer, found '{s.Value}'");
            return defaultValue;
        }
        if (v < min || v > max)
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected an integer from {min} to {(max == long.MaxValue ? "any" : max)}, found {v}");
            return defaultValue;
        }
        return v;
    }

    public double Number(string key, double defaultValue, double min = double.MinValue, double max = double.MaxValue, bool required = false)
    {
        var s = Scalar(key, required, "a number");
        if (s is null) return defaultValue;
        if (!double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected a number, found '{s.Value}'");
            return defaultValue;
        }
        if (v < min || v > max)
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected a number from {min} to {max}, found {s.Value}");
            return defaultValue;
        }
        return v;
    }

    public bool Boolean(string key, bool defaultValue)
    {
        var s = Scalar(key, false, "true or false");
        if (s is null) return defaultValue;
        if (s.Value is "true" or "yes" or "on") return true;
        if (s.Value is "false" or "no" or "off") return false;
        _problems.Add(s.Pos, $"{Section}.{key}: expected true or false, found '{s.Value}'");
        return defaultValue;
    }

    public long Duration(string key, long defaultValue, bool required = false, bool positive = false)
    {
        var s = Scalar(key, required, "a duration with a unit, such as 10ms");
        if (s is null) return defaultValue;
        if (!SimTime.TryParse(s.Value, out long ps, out string error))
        {
            _problems.Add(s.Pos, $"{Section}.{key}: {error}");
            return defaultValue;
        }
        if (ps < 0 || (positive && ps == 0))
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected a {(positive ? "positive" : "non-negative")} duration, found '{s.Value}'");
            return defaultValue;
        }
        return ps;
    }

    public double BitRate(string key, double defaultValue, bool required = false)
    {
        var s = Scalar(key, required, "a bit rate with a unit, such as 10Gbit/s");
        if (s is null) return defaultValue;
        if (!Units.TryParseBitRate(s.Value, out double bps, out string error))
        {
            _problems.Add(s.Pos, $"{Section}.{key}: {error}");
            return defaultValue;
        }
        if (bps <= 0)
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected a positive bit rate, found '{s.Value}'");
            return defaultValue;
        }
        return bps;
    }

    public long Bytes(string key, long defaultValue, bool required = false, long min = 0)
    {
        var s = Scalar(key, required, "a size with a unit, such as 64B");
        if (s is null) return defaultValue;
        if (!Units.TryParseBytes(s.Value, out long b, out string error))
        {
            _problems.Add(s.Pos, $"{Section}.{key}: {error}");
            return defaultValue;
        }
        if (b < min)
        {
            _problems.Add(s.Pos, $"{Section}.{key}: expected at least {min}B, found '{s.Value}'");
            return defaultValue;
        }
        return b;
    }

    public YNode? Node(string key)
    {
        Log?.Raw(KeyPrefix + key);
        return _map[key];
    }

    // ---- Declared parameters: the key, the default and the range come from the declaration.

    /// <summary>The key of <paramref name="p"/> in this mapping (its declared key without <see cref="KeyPrefix"/>).</summary>
    public string LocalKey(Parameter p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.Key.StartsWith(KeyPrefix, StringComparison.Ordinal) || p.Key.AsSpan(KeyPrefix.Length).Contains('.'))
            throw new InvalidOperationException($"{Section}: parameter {p.Key} is not a key of this mapping (keys {KeyPrefix}*)");
        return p.Key[KeyPrefix.Length..];
    }

    /// <summary>The value of <paramref name="p"/>, or its declared default when absent or wrong (the problem is recorded).</summary>
    public T Read<T>(Parameter<T> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Read(p, p.Default);
    }

    /// <summary>The value of <paramref name="p"/>, or <paramref name="defaultValue"/> (computed where the default follows other keys).</summary>
    public T Read<T>(Parameter<T> p, T defaultValue, bool required = false) =>
        TryRead(p, out T v, required) ? v : defaultValue;

    /// <summary>The value of <paramref name="p"/> when present and right; false when absent or wrong (the problem is recorded).</summary>
    public bool TryRead<T>(Parameter<T> p, out T value, bool required = false)
    {
        ArgumentNullException.ThrowIfNull(p);
        string key = LocalKey(p);
        Log?.Read(p);
        value = default!;
        var s = ScalarOf(key, required, p.Expected);
        if (s is null) return false;
        if (p.TryParse(s.Value, out value, out string problem)) return true;
        string? hint = p.Choices is { } names ? Problems.Suggest(s.Value, names) : null;
        _problems.Add(s.Pos, $"{Section}.{key}: {problem}" + (hint is null ? "" : $" (did you mean '{hint}'?)"));
        value = default!;
        return false;
    }

    /// <summary>The node of <paramref name="p"/> (a mapping, a list), or null when absent; counted as read.</summary>
    public YNode? Node(Parameter p)
    {
        string key = LocalKey(p);
        Log?.Read(p);
        return _map[key];
    }

    public bool Has(Parameter p) => _map[LocalKey(p)] is not null;

    public SourcePos PosOf(Parameter p) => PosOf(LocalKey(p));

    /// <summary>"path[2].forward.snat": the section and the key, for problems about <paramref name="p"/>.</summary>
    public string Where(Parameter p) => $"{Section}.{LocalKey(p)}";
}

/// <summary>The keys a binding read: each declared parameter it read through its declaration, and any key it read by name.</summary>
public sealed class ReadLog
{
    readonly HashSet<Parameter> _parameters = new(ReferenceEqualityComparer.Instance);
    readonly SortedSet<string> _raw = new(StringComparer.Ordinal);

    public IReadOnlyCollection<Parameter> Parameters => _parameters;

    /// <summary>Keys read by name rather than through a declared parameter.</summary>
    public IReadOnlyCollection<string> RawKeys => _raw;

    public void Read(Parameter p) => _parameters.Add(p);

    public void Raw(string key) => _raw.Add(key);
}
