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

    public MapReader(YMap map, string section, IReadOnlyList<KeySpec> keys, Problems problems)
    {
        _map = map;
        Section = section;
        _keys = keys;
        _problems = problems;
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

    public static MapReader? ForNode(YNode? node, string section, IReadOnlyList<KeySpec> keys, Problems problems, SourcePos fallback)
    {
        if (node is null) return new MapReader(new YMap(fallback), section, keys, problems);
        if (node is YMap m) return new MapReader(m, section, keys, problems);
        problems.Add(node.Pos, $"expected {section} to be a mapping of keys ({string.Join(", ", keys.Select(k => k.Key))}), found {YamlLoader.Describe(node)}");
        return null;
    }

    public SourcePos PosOf(string key) => _map[key]?.Pos ?? _map.Pos;

    public bool Has(string key) => _map[key] is not null;

    YScalar? Scalar(string key, bool required, string expected)
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

    public YNode? Node(string key) => _map[key];
}
