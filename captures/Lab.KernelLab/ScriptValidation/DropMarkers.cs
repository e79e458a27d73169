using System.Net;
using Lab.Captures.Frames;

namespace Lab.KernelLab.ScriptValidation;

/// <summary>
/// The frames a script player sends right after each played packet, on the packet's own link, so that the drop trace says
/// which events belong to which packet. Each is an IPv4 header the DUT's ip_rcv_core (net/ipv4/ip_input.c, 5.17 and later:
/// 6.1 in the VM, 6.18 on the host) refuses before any hook or route sees it, with a reason no played packet can get:
/// <list type="bullet">
/// <item>link 0 (the client's, and the ESP ingress): a header whose checksum is wrong, <c>goto csum_error</c>, freed with
/// SKB_DROP_REASON_IP_CSUM;</item>
/// <item>link 1 (the server's): a header with IHL 4 (<c>iph->ihl &lt; 5</c>, <c>goto inhdr_error</c>), freed with
/// SKB_DROP_REASON_IP_INHDR.</item>
/// </list>
/// Both are addressed to the DUT's MAC (an ip_rcv_core drop of a frame for another host would be OTHERHOST) and carry IP
/// protocol 253 (RFC 3692, experimentation), which neither the flowtable's ingress hook nor GRO takes. They move
/// IpInHdrErrors / InCsumErrors in /proc/net/snmp, which no comparison reads, and never leave the DUT. One link delivers
/// in the order sent, so on a link a packet's drop events come before its marker and after the previous packet's.
/// </summary>
public static class DropMarkers
{
    /// <summary>The skb drop reason of link <paramref name="link"/>'s marker (0 or 1).</summary>
    public static string Reason(int link) => link == 0 ? "IP_CSUM" : "IP_INHDR";

    /// <summary>Whether <paramref name="reason"/> is a marker's, and of which link.</summary>
    public static bool IsMarker(string reason, out int link)
    {
        link = reason == "IP_CSUM" ? 0 : reason == "IP_INHDR" ? 1 : -1;
        return link >= 0;
    }

    const int Payload = 8;

    static readonly IPAddress Source = IPAddress.Parse("192.0.2.254"), Destination = IPAddress.Parse("192.0.2.253");

    /// <summary>Writes link <paramref name="link"/>'s marker (Ethernet, a 20-byte IPv4 header, 8 bytes) and returns its length.</summary>
    public static int Write(Span<byte> frame, int link, MacAddress source, MacAddress destination)
    {
        int at = PacketHeaders.WriteEthernet(frame, destination, source, EtherType.Ipv4);
        var ip = frame.Slice(at, PacketHeaders.Ipv4Length);
        at += PacketHeaders.WriteIpv4(ip, Source, Destination, 253, Payload, ttl: 1);
        frame.Slice(at, Payload).Clear();
        if (link == 0) ip[11] ^= 0xff; // the checksum no longer sums to 0xffff
        else
        {
            ip[0] = 0x44; // IHL 4: below the 5 words of a header
            PacketHeaders.FixIpv4Checksum(ip);
        }
        return at + Payload;
    }
}

/// <summary>The drop events the trace holds for one packet between its link's markers.</summary>
/// <param name="Events">The events attributed to it (other than markers); empty when the kernel recorded none for it.</param>
/// <param name="Ambiguous">Another dropped packet on the other link was being handled between the same markers: the events cannot be told apart.</param>
public sealed record PacketDrops(IReadOnlyList<KernelDrop> Events, bool Ambiguous);

/// <summary>
/// Attributes an interval's drop events to its packets by the markers between them (<see cref="DropMarkers"/>). On each
/// link a packet's events come after the previous marker of that link and before its own. Across the two links:
/// <list type="bullet">
/// <item>When the markers came in the order the packets were sent (the host handles each frame in the sending thread's
/// softirq; the grammar keeps packets on opposite links 80 ms apart), an event belongs to the earliest-sent packet whose
/// marker has not come yet, if the kernel dropped it; a forwarded packet has no drop of its own, so an event while one is
/// being handled is none of the played packets' (an ICMP error's, or another frame's).</item>
/// <item>When they did not (the guest fell behind and polled the links' queues in another order), an event belongs to
/// whichever of the two links' open packets the kernel dropped; where both were dropped it is ambiguous for both.</item>
/// </list>
/// Events of <c>harnessReason</c> (the harness's own namespaces freeing the frames the DUT forwards to them) are skipped.
/// </summary>
public static class DropAttribution
{
    /// <summary>
    /// Per packet of the interval (in send order: its link and whether the kernel dropped it), its events; null when the
    /// events do not hold one marker per packet on each link (a recording from before the markers, or a lost event): then
    /// only counting can pair them (<see cref="KernelDropTrace.Pair"/>).
    /// </summary>
    public static IReadOnlyList<PacketDrops>? Attribute(IReadOnlyList<KernelDrop> events, IReadOnlyList<(int Link, bool Dropped)> packets,
        string? harnessReason = null, IReadOnlyList<string?>? expected = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(packets);
        if (packets.Count == 0) return [];
        var byLink = new[] { new List<int>(), new List<int>() };
        for (int i = 0; i < packets.Count; i++) byLink[packets[i].Link].Add(i);
        var closed = new List<int>(packets.Count);
        var seen = new int[2];
        foreach (var e in events)
        {
            if (!DropMarkers.IsMarker(e.Reason, out int l)) continue;
            if (seen[l] == byLink[l].Count) return null;
            closed.Add(byLink[l][seen[l]++]);
        }
        if (seen[0] != byLink[0].Count || seen[1] != byLink[1].Count) return null;
        bool inOrder = closed.Zip(closed.Skip(1)).All(x => x.First < x.Second);
        if (byLink[1].Count == 0 || byLink[0].Count == 0) return OneLink(events, packets, harnessReason, expected);

        var own = packets.Select(_ => new List<KernelDrop>()).ToArray();
        var ambiguous = new bool[packets.Count];
        var open = new int[2];
        int next = 0; // in order: the earliest-sent packet without its marker
        foreach (var e in events)
        {
            if (DropMarkers.IsMarker(e.Reason, out int link))
            {
                open[link]++;
                next++;
                continue;
            }
            if (e.Reason == harnessReason) continue;
            if (inOrder)
            {
                if (next < packets.Count && packets[next].Dropped) own[next].Add(e);
                continue;
            }
            var dropped = new List<int>(2);
            for (int l = 0; l < 2; l++)
                if (open[l] < byLink[l].Count && packets[byLink[l][open[l]]].Dropped) dropped.Add(byLink[l][open[l]]);
            if (dropped.Count == 1) own[dropped[0]].Add(e);
            else foreach (int p in dropped) ambiguous[p] = true;
        }
        return [.. own.Select((list, i) => new PacketDrops(list, ambiguous[i]))];
    }

    /// <summary>
    /// One link (an ESP play; a forward interval whose packets all came in on one side). The guest does not always free a
    /// dropped ESP packet before its marker: `lab validate` of script-esp-replay (IPv6 tunnel, a barrier after every packet)
    /// in the 6.1 guest showed the NOT_SPECIFIED of packets 7 and 8 each right after its own marker, in another run those of
    /// packets 3 and 5. So a dropped packet k takes one event from between marker k-1 and marker k+1, in send order, the
    /// earliest not taken yet, one of the reason the model's cause maps to (<paramref name="expected"/>) if there is one:
    /// an event late by one marker is still its own, and an accepted packet's late dup NETFILTER_DROP is not taken for an
    /// xfrm drop.
    /// </summary>
    static IReadOnlyList<PacketDrops> OneLink(IReadOnlyList<KernelDrop> events, IReadOnlyList<(int Link, bool Dropped)> packets,
        string? harnessReason, IReadOnlyList<string?>? expected)
    {
        // markerAt[k]: the position of packet k's marker in the events.
        var markerAt = new List<int>(packets.Count);
        for (int i = 0; i < events.Count; i++)
            if (DropMarkers.IsMarker(events[i].Reason, out _)) markerAt.Add(i);
        var taken = new bool[events.Count];
        var own = new List<KernelDrop>[packets.Count];
        for (int k = 0; k < packets.Count; k++)
        {
            own[k] = [];
            if (!packets[k].Dropped) continue;
            int from = k == 0 ? 0 : markerAt[k - 1] + 1, to = k + 1 < packets.Count ? markerAt[k + 1] : events.Count;
            int pick = -1;
            for (int i = from; i < to; i++)
            {
                if (taken[i] || DropMarkers.IsMarker(events[i].Reason, out _) || events[i].Reason == harnessReason) continue;
                if (pick < 0) pick = i;
                if (expected?[k] is { } want && events[i].Reason == want)
                {
                    pick = i;
                    break;
                }
            }
            if (pick < 0) continue;
            taken[pick] = true;
            own[k].Add(events[pick]);
        }
        return [.. own.Select(list => new PacketDrops(list, false))];
    }
}
