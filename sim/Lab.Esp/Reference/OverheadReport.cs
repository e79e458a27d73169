using System.Globalization;
using Lab.Esp.Sa;
using Lab.Esp.Wire;

namespace Lab.Esp.Reference;

/// <summary>
/// <c>lab esp overhead</c>: the ESP packet for one inner packet, as a size and a breakdown.
/// Output contract: the first line is <c>outer packet: N bytes</c>; then the SA line, a
/// field/bytes table (one row per header or trailer field, then <c>total</c>), and with an MTU
/// the xfrm route MTU (xfrm_state_mtu) and the verdict (<see cref="MtuVerdict"/>).
/// </summary>
public static class OverheadReport
{
    public static void Write(in EspSaGeometry g, int innerBytes, int? mtu, bool dontFragment, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        int childMtu = mtu ?? 1500;
        var l = g.Layout(innerBytes, childMtu);
        o.WriteLine(string.Create(inv, $"outer packet: {l.Total} bytes (inner {innerBytes} bytes, overhead {l.Total - innerBytes} bytes)"));
        o.WriteLine(string.Create(inv,
            $"mode {ModeName(g.Mode)}, family {FamilyName(g.Family)}, inner {FamilyName(g.InnerFamily)}, encap {(g.Encap == EspEncap.EspInUdp ? "udp (RFC 3948)" : "none")}, cipher {EspCipherParams.Name(g.Cipher)} = {g.CipherParams.KernelName}"));

        string outerName = g.Mode == XfrmMode.Transport
            ? $"{FamilyLabel(g.Family)} header (the packet's own)"
            : $"outer {FamilyLabel(g.Family)} header";
        string payloadName = g.Mode switch
        {
            XfrmMode.Tunnel => "payload (whole inner packet)",
            XfrmMode.Transport => "payload (inner minus IP header)",
            _ => "payload (inner minus IP header, BEET)",
        };
        var rows = new List<(string, int)> { (outerName, l.OuterIpHeader) };
        if (l.Udp > 0) rows.Add(("UDP header", l.Udp));
        rows.Add(("ESP header (SPI, sequence number)", l.EspHeader));
        rows.Add(("IV", l.Iv));
        rows.Add((payloadName, l.Payload));
        if (g.TfcPad > 0) rows.Add(("TFC padding", l.TfcPadding));
        rows.Add(("padding", l.Padding));
        rows.Add(("pad length + next header", l.Trailer));
        rows.Add(("ICV", l.Icv));
        rows.Add(("total", l.Total));
        int width = 0;
        foreach (var (name, _) in rows) width = Math.Max(width, name.Length);
        o.WriteLine($"{"field".PadRight(width)}  {"bytes",5}");
        foreach (var (name, bytes) in rows) o.WriteLine(string.Create(inv, $"{name.PadRight(width)}  {bytes,5}"));

        if (mtu is int m)
        {
            var d = EspMtu.Decide(g, innerBytes, m, dontFragment);
            o.WriteLine(string.Create(inv, $"mtu {m}: xfrm_state_mtu {d.StateMtu} (largest inner packet that fits)"));
            o.WriteLine(d.Verdict switch
            {
                MtuVerdict.Fits => "verdict: fits",
                MtuVerdict.FragmentationNeeded => string.Create(inv, $"verdict: dropped, ICMP fragmentation needed mtu {d.ReportedMtu} (DF set), counter {d.Counter}"),
                MtuVerdict.PacketTooBig => string.Create(inv, $"verdict: dropped, ICMPv6 packet too big mtu {d.ReportedMtu}, counter {d.Counter}"),
                MtuVerdict.OuterFragmented => string.Create(inv, $"verdict: outer packet fragmented into {d.Fragments} fragments, counter {d.Counter}"),
                MtuVerdict.LocalMessageTooBig => string.Create(inv, $"verdict: local send fails with EMSGSIZE (route mtu {d.ReportedMtu})"),
                _ => string.Create(inv, $"verdict: inner packet fragmented into {d.Fragments} fragments before ESP, each its own ESP packet, counter {d.Counter}"),
            });
        }
    }

    public static string ModeName(XfrmMode m) => m switch
    {
        XfrmMode.Transport => "transport",
        XfrmMode.Tunnel => "tunnel",
        _ => "beet",
    };

    public static string FamilyName(IpFamily f) => f == IpFamily.Ipv4 ? "ipv4" : "ipv6";

    static string FamilyLabel(IpFamily f) => f == IpFamily.Ipv4 ? "IPv4" : "IPv6";
}
