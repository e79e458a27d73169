using System.Globalization;
using Lab.Scenarios;
using Lab.Core;

namespace Lab.Simulation.Plugins;

/// <summary>Shared pieces of the model binders: keys from parameter declarations, nested sections, addresses and port ranges.</summary>
static class BinderHelpers
{
    /// <summary>
    /// The keys of one section of an element, from its parameter declarations: <paramref name="prefix"/>
    /// "" gives the element's own keys, "snat." the keys inside its <c>snat</c> mapping.
    /// </summary>
    public static KeySpec[] Keys(IEnumerable<Parameter> parameters, string prefix)
    {
        var keys = new List<KeySpec>();
        foreach (var p in parameters)
        {
            if (!p.Key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = p.Key[prefix.Length..];
            if (rest.Contains('.', StringComparison.Ordinal)) continue;
            keys.Add(new KeySpec(rest, p.Unit, p.DefaultText, p.Description));
        }
        return [.. keys];
    }

    /// <summary>The nested mapping <paramref name="section"/> of the element, or null when absent (or not a mapping: the problem is recorded).</summary>
    public static MapReader? Section(MapReader parent, Parameter section, IReadOnlyList<KeySpec> keys)
    {
        var node = parent.Node(section);
        if (node is null) return null;
        string key = parent.LocalKey(section);
        return MapReader.ForNode(node, $"{parent.Section}.{key}", keys, parent.Problems, parent.Map.Pos, section.Key + ".", parent.Log);
    }

    /// <summary>A dotted-quad IPv4 address as a host-order uint (the declared default when absent).</summary>
    public static uint Ip(MapReader r, Parameter<string> p)
    {
        string text = r.Read(p);
        if (TryIp(text, out uint ip)) return ip;
        r.Problems.Add(r.PosOf(p), $"{r.Where(p)}: expected an IPv4 address such as 203.0.113.1, found '{text}'");
        TryIp(p.Default, out ip);
        return ip;
    }

    /// <summary>
    /// An IPv6 address "A" or range "FIRST-LAST" (FIRST &lt;= LAST) as nft's <c>snat ip6 to</c> takes it, or
    /// null when the text is no such thing (IPv4 addresses, IPv4-mapped ones and scope ids are refused).
    /// </summary>
    public static (Lab.Netfilter.InetAddr First, Lab.Netfilter.InetAddr Last)? Ipv6Range(string text)
    {
        var parts = text.Trim().Split('-');
        if (parts.Length is < 1 or > 2) return null;
        var addrs = new Lab.Netfilter.InetAddr[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!System.Net.IPAddress.TryParse(parts[i].Trim(), out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6
                || a.ScopeId != 0 || a.IsIPv4MappedToIPv6 || parts[i].Contains('%', StringComparison.Ordinal))
                return null;
            addrs[i] = Lab.Netfilter.InetAddr.From(a, out _);
        }
        var last = addrs[^1];
        return addrs[0] <= last ? (addrs[0], last) : null;
    }

    public static bool TryIp(string text, out uint ip)
    {
        ip = 0;
        var parts = text.Trim().Split('.');
        if (parts.Length != 4) return false;
        foreach (var part in parts)
        {
            if (!byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out byte b)) return false;
            ip = ip << 8 | b;
        }
        return true;
    }

    /// <summary>A port range "MIN-MAX" (or one port), or null when the key is absent (its default is the kernel's choice).</summary>
    public static (ushort Min, ushort Max)? PortRange(MapReader r, Parameter<string> p)
    {
        if (!r.TryRead(p, out string text)) return null;
        var parts = text.Split('-');
        if (parts.Length is 1 or 2
            && ushort.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort lo)
            && ushort.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out ushort hi)
            && lo >= 1 && hi >= lo)
            return (lo, hi);
        r.Problems.Add(r.PosOf(p), $"{r.Where(p)}: expected a port range such as 1024-65535, found '{text}'");
        return null;
    }
}
