using System.Globalization;
using Lab.Models;
using Lab.Scenarios;
using Lab.Core;

namespace Lab.Simulation.Plugins;

/// <summary>Shared pieces of the model binders: keys from parameter declarations, nested sections, addresses and port ranges.</summary>
static class BinderHelpers
{
    /// <summary>
    /// The keys of one section of an element, from the model's parameter declarations (declared once,
    /// used for validation and for <c>lab describe</c>): <paramref name="prefix"/> "" gives the
    /// element's own keys, "snat." the keys inside its <c>snat</c> mapping.
    /// </summary>
    public static KeySpec[] Keys(IEnumerable<ParameterSpec> parameters, string prefix)
    {
        var keys = new List<KeySpec>();
        foreach (var p in parameters)
        {
            if (!p.Key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = p.Key[prefix.Length..];
            if (rest.Contains('.', StringComparison.Ordinal)) continue;
            keys.Add(new KeySpec(rest, p.Unit, p.Default, p.Description));
        }
        return [.. keys];
    }

    /// <summary>A nested mapping of the element, or null when absent (or not a mapping: the problem is recorded).</summary>
    public static MapReader? Section(MapReader parent, string key, IReadOnlyList<KeySpec> keys)
    {
        var node = parent.Node(key);
        if (node is null) return null;
        return MapReader.ForNode(node, $"{parent.Section}.{key}", keys, parent.Problems, parent.Map.Pos);
    }

    /// <summary>A dotted-quad IPv4 address as a host-order uint.</summary>
    public static uint Ip(MapReader r, string key, uint defaultValue)
    {
        string? text = r.String(key);
        if (text is null) return defaultValue;
        var parts = text.Split('.');
        uint ip = 0;
        bool ok = parts.Length == 4;
        for (int i = 0; ok && i < 4; i++)
        {
            ok = byte.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out byte b);
            ip = ip << 8 | b;
        }
        if (ok) return ip;
        r.Problems.Add(r.PosOf(key), $"{r.Section}.{key}: expected an IPv4 address such as 203.0.113.1, found '{text}'");
        return defaultValue;
    }

    /// <summary>A port range "MIN-MAX" (or one port), or null when the key is absent.</summary>
    public static (ushort Min, ushort Max)? PortRange(MapReader r, string key)
    {
        string? text = r.String(key);
        if (text is null) return null;
        var parts = text.Split('-');
        if (parts.Length is 1 or 2
            && ushort.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort lo)
            && ushort.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out ushort hi)
            && lo >= 1 && hi >= lo)
            return (lo, hi);
        r.Problems.Add(r.PosOf(key), $"{r.Section}.{key}: expected a port range such as 1024-65535, found '{text}'");
        return null;
    }
}
