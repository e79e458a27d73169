using System.Globalization;
using System.Text;

namespace Lab.KernelLab.Calibration;

/// <summary>The router's nft ruleset for a <see cref="RouterConfig"/> (nftables 1.0 syntax), given its inside and outside interfaces.</summary>
public static class RouterRuleset
{
    public const string Table = "labcal";

    /// <summary>Elements of the lookup set: TEST-NET-1 addresses (RFC 5737), never the traffic's source.</summary>
    public const int SetElements = 64;

    public static string Build(RouterConfig c, string inside, string outside)
    {
        var sb = new StringBuilder();
        sb.Append("table ip ").Append(Table).Append(" {\n");
        if (c.SetLookups > 0)
        {
            sb.Append("  set blocked {\n    type ipv4_addr\n    elements = { ");
            for (int i = 0; i < SetElements; i++) sb.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"192.0.2.{i + 1}");
            sb.Append(" }\n  }\n");
        }
        if (c.Flowtable)
            sb.Append(CultureInfo.InvariantCulture, $"  flowtable ft {{\n    hook ingress priority 0; devices = {{ {inside}, {outside} }};\n  }}\n");
        sb.Append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        for (int i = 0; i < c.LinearRules; i++)
            // Two expressions evaluated per rule (meta l4proto matches, ip saddr does not); 203.0.113.0/24 is TEST-NET-3.
            sb.Append(CultureInfo.InvariantCulture, $"    meta l4proto udp ip saddr 203.0.113.{i % 254 + 1} drop\n");
        for (int i = 0; i < c.SetLookups; i++)
            sb.Append("    ip saddr @blocked drop\n");
        if (c.Conntrack) sb.Append("    ct state invalid drop\n");
        if (c.FlowAdd) sb.Append("    meta l4proto udp flow add @ft\n");
        sb.Append("  }\n");
        if (c.Masquerade)
            sb.Append(CultureInfo.InvariantCulture, $"  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n{Holders(c, outside)}    oifname \"{outside}\" {Ports(c)}\n  }}\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    // The nat_attempt windows' holding client keeps its ports over the whole range (PortClashPlan); NAT statements end the chain.
    static string Holders(RouterConfig c, string outside) => c.MasqueradePorts > 0
        ? $"    ip saddr {FormatIp(PortClashPlan.HoldingClient)} oifname \"{outside}\" masquerade\n"
        : "";

    static string FormatIp(uint ip) => string.Create(CultureInfo.InvariantCulture, $"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}");

    // nft takes a port mapping only after a transport protocol match.
    static string Ports(RouterConfig c) => c.MasqueradePorts > 0
        ? string.Create(CultureInfo.InvariantCulture, $"meta l4proto udp masquerade to :{PortClashPlan.RangeStart}-{PortClashPlan.RangeStart + c.MasqueradePorts - 1}")
        : "masquerade";
}
