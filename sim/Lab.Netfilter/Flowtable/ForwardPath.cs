using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Nat;

namespace Lab.Netfilter.Flowtable;

/// <summary>Which path a forwarded packet took.</summary>
public enum ForwardVerdict : byte
{
    /// <summary>Forwarded by the NIC (hardware flowtable): no CPU time.</summary>
    Hardware,
    /// <summary>Ingress flowtable hit: sent from the ingress hook, later hooks skipped.</summary>
    FastPath,
    /// <summary>Classic path on an existing conntrack entry.</summary>
    SlowPath,
    /// <summary>Classic path that created a conntrack entry (and NAT binding).</summary>
    SlowPathNew,
    Dropped,
}

/// <summary>One packet's outcome: the path, its CPU cost on one core, and the drop reason if any.</summary>
public readonly record struct ForwardOutcome(ForwardVerdict Verdict, long CostPs, CtDropReason DropReason);

/// <summary>
/// Sees every packet <see cref="ForwardPath.Process"/> handled, after it was handled: its tuple as it
/// arrived, its TCP flags, the outcome, and the conntrack entry it was attached to (-1: none, e.g.
/// dropped before confirmation or untracked). For `lab validate`; null in ordinary runs.
/// </summary>
public interface IForwardPathObserver
{
    void Observe(ForwardPath path, in FlowTuple tuple, TcpFlags tcp, long now, in ForwardOutcome outcome, int conntrack);
}

/// <summary>The forward-chain rule set, as far as the cost and counters need it.</summary>
public sealed record ForwardRules
{
    /// <summary>Linear rules each forwarded slow-path packet evaluates.</summary>
    public int LinearRules { get; init; } = 10;

    /// <summary>Set or map lookups each forwarded slow-path packet does.</summary>
    public int SetLookups { get; init; }

    /// <summary>A <c>flow add @ft</c> rule in the forward chain.</summary>
    public bool FlowAdd { get; init; } = true;
}

/// <summary>
/// A forwarding box with conntrack, optional source NAT and an optional flowtable, processing one
/// packet at a time in hook order: ingress (flowtable lookup, nf_flow_offload_ip_hook), prerouting
/// (conntrack, DNAT), routing, forward (rules and <c>flow add @ft</c>), postrouting (SNAT, confirm),
/// transmit. Keeps the forward chain's packet counter as nft shows it, lab-only path counters, and returns each
/// packet's CPU cost from <see cref="ForwardingCosts"/>. The engine calls <see cref="Process"/> per packet.
/// </summary>
public sealed class ForwardPath
{
    public ConntrackTable Conntrack { get; }
    public FlowTable? Flowtable { get; }
    public NatPortAllocator? Nat { get; }
    public NatRange? Snat { get; }

    /// <summary>The IPv6 source NAT rule (nft inet: <c>snat ip6 to</c>, or the masquerade rule's IPv6 side), or null: IPv6 flows pass untranslated.</summary>
    public NatRange? Snat6 { get; init; }

    /// <summary>The source NAT rule that applies to a tuple of <paramref name="family"/> (nft's inet family matches ip and ip6 separately).</summary>
    public NatRange? SnatFor(L3Family family) => family == L3Family.Ipv4 ? Snat : Snat6;
    public ForwardingCosts Costs { get; }
    public ForwardRules Rules { get; }

    /// <summary>Packets that reached the forward chain (the chain's rule counter in nft).</summary>
    public long ForwardChainPackets;

    /// <summary>Lab-only (flowtable.lab_sw_packets): packets forwarded by the ingress flowtable in software (the kernel counts them per conntrack entry only with the flowtable's <c>counter</c> flag).</summary>
    public long FastPathPackets;

    /// <summary>Lab-only (flowtable.lab_hw_packets): packets forwarded by the NIC.</summary>
    public long HardwarePackets;

    /// <summary>Lab-only: packets dropped on any path (the reasons are in the drop counters).</summary>
    public long Dropped;

    public ForwardPath(ConntrackTable conntrack, FlowTable? flowtable, ForwardingCosts costs, ForwardRules rules,
        NatPortAllocator? nat = null, NatRange? snat = null)
    {
        Conntrack = conntrack;
        Flowtable = flowtable;
        Costs = costs;
        Rules = rules;
        Nat = nat;
        Snat = snat;
    }

    /// <summary>Runs the conntrack gc and the flowtable's work queue and gc up to <paramref name="now"/>.</summary>
    public void AdvanceTo(long now)
    {
        while (Conntrack.NextGcRunAt <= now) Conntrack.RunGc(Conntrack.NextGcRunAt);
        Flowtable?.AdvanceTo(now);
    }

    /// <summary>The conntrack entry the last packet was attached to (-1: none: dropped or untracked).</summary>
    public int LastConntrack { get; private set; } = -1;

    /// <summary>Called after every packet when set (one null check per packet otherwise).</summary>
    public IForwardPathObserver? Observer { get; set; }

    public ForwardOutcome Process(in FlowTuple tuple, TcpFlags tcp, long now)
    {
        var outcome = Handle(tuple, tcp, now, out int ct);
        LastConntrack = outcome.Verdict == ForwardVerdict.Dropped ? -1 : ct;
        Observer?.Observe(this, tuple, tcp, now, outcome, LastConntrack);
        return outcome;
    }

    ForwardOutcome Handle(in FlowTuple tuple, TcpFlags tcp, long now, out int ct)
    {
        ct = -1;
        AdvanceTo(now);
        var c = Costs;
        long cost = c.RxIngress;

        if (Flowtable is { } ft)
        {
            int flow = ft.Lookup(tuple, out _);
            if (flow >= 0) ct = ft.Entry(flow).Ct;
            if (flow >= 0 && ft.InHardware(flow, now) && FlowTable.HardwareRuleMatches(tcp))
            {
                ft.HwPacket(flow, now);
                HardwarePackets++;
                return new ForwardOutcome(ForwardVerdict.Hardware, 0, CtDropReason.None);
            }
            cost += c.FlowtableLookup;
            if (flow >= 0 && ft.StateCheck(flow, tcp, now))
            {
                ft.Refresh(flow, now);
                FastPathPackets++;
                return new ForwardOutcome(ForwardVerdict.FastPath, cost + c.FastPathXmit, CtDropReason.None);
            }
        }

        // PREROUTING: conntrack
        bool isNew = false;
        ct = Conntrack.Find(tuple, now, out var dir);
        for (int round = 0; ; round++)
        {
            if (ct < 0)
            {
                ct = Conntrack.InitConntrack(tuple, now, out var reason);
                if (ct < 0) return Drop(cost + c.ConntrackCreate, reason);
                isNew = true;
                dir = CtDir.Original;
                cost += c.ConntrackCreate;
            }
            else
            {
                cost += c.ConntrackLookup;
            }
            var v = Conntrack.HandlePacket(ct, dir, tcp, now);
            if (v == CtVerdict.Repeat && round == 0)
            {
                ct = -1;
                continue;
            }
            if (v == CtVerdict.Drop) return Drop(cost, CtDropReason.ProtocolDrop);
            if (v == CtVerdict.Invalid)
            {
                // nf_conntrack_in (nf_conntrack_core.c, 6.x): a packet the tracker calls invalid leaves with
                // skb->_nfct = 0, new entry or not, so it is untracked from here on: the NAT hooks pass it
                // untranslated (nf_nat_inet_fn: no ct, NF_ACCEPT) and nothing offloads or confirms it.
                if (isNew) Conntrack.FreeUnconfirmed(ct);
                ct = -1;
                isNew = false;
            }
            break;
        }
        cost += c.Dnat + c.Routing;

        // ROUTING: the NAT's public address is no destination of its own. A packet that PREROUTING did not de-NAT
        // (no entry, an invalid packet left untracked, or the original direction of an entry) and that is still
        // addressed to it is not forwarded. The model follows the lab's DUT, where the address is routed nowhere:
        // ip_route_input_slow (net/ipv4/route.c, 6.18) makes it RTN_UNREACHABLE, ip_error frees it (IP_INNOROUTES), and
        // an entry it created is never confirmed (nf_confirm runs in POSTROUTING). On a masquerading router the address
        // is the router's own: the packet goes up its stack instead, not forwarded either, and its entry would be
        // confirmed in INPUT; the model has no local stack and does not imitate that.
        // ip_error (forwarding on) also sends an ICMP net unreachable back. icmp_glue_bits (net/ipv4/icmp.c) attaches
        // the offending packet's entry to it (nf_ct_attach, as RELATED), and nf_conntrack_in lets an skb with an entry
        // pass; an untracked packet has none, so the ICMP goes through nf_conntrack_handle_icmp, whose inner-tuple
        // lookup finds no entry: conntrack -S counts error. (ICMP rate limits, icmp_ratelimit 1 s with a burst of 6 per
        // destination, are not modelled: beyond them the kernel sends, and counts, fewer.)
        // IPv6 the same: ip6_route_input finds no route (the null entry), ip6_pkt_drop frees the packet
        // (IPSTATS_MIB_INNOROUTES, drop reason IP_INNOROUTES) and sends an ICMPv6 no-route unreachable, which
        // icmpv6_getfrag attaches to the packet's entry (nf_ct_attach) as icmp_glue_bits does, so conntrack -S
        // counts the same (net/ipv6/route.c, net/ipv6/icmp.c, 6.18).
        if (SnatFor(tuple.Family) is { } pool && pool.ContainsAddress(tuple.DstIp)
            && !(ct >= 0 && dir == CtDir.Reply && Conntrack.Entry(ct).Is(ConntrackStatus.SrcNat)))
        {
            if (isNew) Conntrack.FreeUnconfirmed(ct);
            else if (ct < 0) Conntrack.Stats.error++;
            ct = -1;
            return Drop(cost, CtDropReason.NoRoute);
        }

        // FORWARD
        ForwardChainPackets++;
        cost += c.ForwardChainBase + Rules.LinearRules * c.PerLinearRule + Rules.SetLookups * c.PerSetLookup;
        if (Rules.FlowAdd && Flowtable is { } table && ct >= 0 && FlowTable.Eligible(Conntrack.Entry(ct), tcp))
        {
            cost += c.FlowOffloadAdd;
            table.Add(ct, now);
        }

        // POSTROUTING
        if (isNew)
        {
            if (Nat is { } nat && SnatFor(tuple.Family) is { } range)
            {
                nat.SetupSnat(ct, range, now);
                cost += c.NatSetup + nat.LastAttempts * c.PerNatAttempt;
            }
            cost += c.Confirm;
            if (Conntrack.Confirm(ct, now, out int confirmed, out var reason) == CtVerdict.Drop) return Drop(cost, reason);
            ct = confirmed; // a resolved clash attaches the packet to the entry already in the table
            return new ForwardOutcome(ForwardVerdict.SlowPathNew, cost + c.Xmit, CtDropReason.None);
        }
        if (ct >= 0 && Conntrack.Entry(ct).Is(ConntrackStatus.SrcNat)) cost += c.Snat;
        return new ForwardOutcome(ForwardVerdict.SlowPath, cost + c.Xmit, CtDropReason.None);
    }

    ForwardOutcome Drop(long cost, CtDropReason reason)
    {
        Dropped++;
        return new ForwardOutcome(ForwardVerdict.Dropped, cost, reason);
    }
}
