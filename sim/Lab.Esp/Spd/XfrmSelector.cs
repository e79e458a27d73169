namespace Lab.Esp.Spd;

/// <summary>
/// struct xfrm_selector and xfrm_selector_match (__xfrm4_selector_match /
/// __xfrm6_selector_match in net/xfrm/xfrm_policy.c, Linux v6.12): destination and source
/// prefixes, ports under their masks, and the protocol (0 = any). Ports are compared with
/// masks, so a selector without a port has mask 0 and matches every port.
/// </summary>
public readonly record struct XfrmSelector(
    XfrmAddress Daddr, byte PrefixLenD,
    XfrmAddress Saddr, byte PrefixLenS,
    byte Proto = 0,
    ushort Dport = 0, ushort DportMask = 0,
    ushort Sport = 0, ushort SportMask = 0)
{
    /// <summary>Selector from "10.0.0.0/8"-style prefixes; a port of 0 means any (mask 0).</summary>
    public static XfrmSelector Create(string src, string dst, byte proto = 0, ushort sport = 0, ushort dport = 0)
    {
        var (s, sl) = ParsePrefix(src);
        var (d, dl) = ParsePrefix(dst);
        if (s.Family != d.Family) throw new FormatException($"selector mixes families: {src} and {dst}");
        return new XfrmSelector(d, dl, s, sl, proto,
            dport, dport == 0 ? (ushort)0 : ushort.MaxValue,
            sport, sport == 0 ? (ushort)0 : ushort.MaxValue);
    }

    static (XfrmAddress, byte) ParsePrefix(string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        var addr = XfrmAddress.Parse(slash < 0 ? text : text[..slash]);
        int max = addr.Family == IpFamily.Ipv4 ? 32 : 128;
        int len = slash < 0 ? max : int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (len < 0 || len > max) throw new FormatException($"prefix length {len} out of range 0..{max} in {text}");
        return (addr, (byte)len);
    }

    /// <summary>xfrm_selector_match.</summary>
    public bool Matches(in XfrmFlow fl) =>
        fl.Daddr.MatchesPrefix(Daddr, PrefixLenD) &&
        fl.Saddr.MatchesPrefix(Saddr, PrefixLenS) &&
        ((fl.Dport ^ Dport) & DportMask) == 0 &&
        ((fl.Sport ^ Sport) & SportMask) == 0 &&
        (fl.Proto == Proto || Proto == 0);
}
