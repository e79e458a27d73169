using Lab.Engine;
using Lab.Radio.Power;
using Lab.Core;

namespace Lab.Radio.Keepalive;

/// <summary>Result of <see cref="KeepaliveSession.Run"/>.</summary>
public sealed record KeepaliveSessionResult(
    int KeepalivesSent,
    /// <summary>With suppression: how many fewer keepalives than the fixed grid (interval, 2 interval, ...) would have sent.</summary>
    int KeepalivesSuppressed,
    int MappingsLost,
    int Reestablishments,
    int MappingUpdates,
    int IkePackets,
    int DownlinkPacketsLost,
    double ApplicationProcessorMj,
    EnergyReport Radio)
{
    public double TotalMj => Radio.TotalEnergyMj + ApplicationProcessorMj;
}

/// <summary>
/// A NAT-T tunnel kept alive across a NAT whose UDP mapping times out, on a cellular radio.
///
/// Rules: the tunnel (and a mapping with a timeout drawn from <see cref="NatTimeout"/>) exists at
/// time 0. Only outbound packets refresh the mapping (RFC 4787 REQ-6, outbound refresh). A mapping
/// whose idle time exceeds its timeout (gap &gt; timeout) is lost at last-outbound + timeout; the next
/// outbound packet creates a new mapping with a new timeout. Downlink packets from the loss until the
/// tunnel works again never reach the phone (counted, not sent on the radio). Recovery: if that packet
/// is authenticated (ESP) and the peer updates mappings (RFC 7296 section 2.23; Linux raises
/// XFRM_MSG_MAPPING and the daemon updates the SA), the tunnel works again at once; otherwise (a NAT-T
/// keepalive is not authenticated and is ignored by the peer, RFC 3948 section 2.3) the tunnel is
/// re-established with IKE, whose packets go on the radio and refresh the new mapping.
/// Keepalives without suppression run on the fixed grid interval, 2 interval, ...; with suppression
/// the timer restarts at every outbound packet. Application uplink packets win ties.
/// </summary>
public static class KeepaliveSession
{
    public static KeepaliveSessionResult Run(
        RrcProfile profile,
        KeepaliveStrategy strategy,
        NatTimeout natTimeout,
        ReadOnlySpan<Transmission> application,
        long horizon,
        RandomStream rng,
        bool peerUpdatesMapping = true,
        TunnelReestablishment? reestablishment = null,
        KeepaliveCpuCost? cpu = null,
        long echoRoundTrip = 50 * SimTime.Millisecond)
    {
        if (strategy.Interval <= 0) throw new ArgumentOutOfRangeException(nameof(strategy), "the keepalive interval must be positive");
        var ike = reestablishment ?? TunnelReestablishment.Default;
        var cost = cpu ?? KeepaliveCpuCost.Default;
        var radio = new List<Transmission>(application.Length + 64);
        var outages = new List<(long From, long To)>();
        int sent = 0, suppressed = 0, lost = 0, reestablished = 0, updates = 0, ikePackets = 0;

        long mappingTimeout = natTimeout.Draw(rng);
        long lastOut = 0;
        long nextGrid = strategy.Interval;
        int ai = 0;
        while (true)
        {
            while (ai < application.Length && application[ai].Direction != Direction.Uplink) ai++;
            long app = ai < application.Length ? application[ai].Time : long.MaxValue;
            long keepalive = strategy.SuppressWhenTraffic ? lastOut + strategy.Interval : nextGrid;
            long t = Math.Min(app, keepalive);
            long refreshedUntil = t;
            if (t >= horizon) break;
            bool isKeepalive = keepalive < app;
            bool authenticated = !isKeepalive || strategy.Authenticated;
            if (lastOut + mappingTimeout < t)
            {
                lost++;
                long lossAt = lastOut + mappingTimeout;
                mappingTimeout = natTimeout.Draw(rng);
                if (authenticated && peerUpdatesMapping)
                {
                    updates++;
                    outages.Add((lossAt, t));
                }
                else
                {
                    reestablished++;
                    outages.Add((lossAt, t + ike.Duration));
                    for (int e = 0; e < ike.Exchanges; e++)
                    {
                        long req = t + e * ike.RoundTrip;
                        radio.Add(new Transmission(req, ike.RequestBytes, Direction.Uplink));
                        radio.Add(new Transmission(req + ike.RoundTrip, ike.ResponseBytes, Direction.Downlink));
                        ikePackets += 2;
                        refreshedUntil = req;
                    }
                }
            }
            if (isKeepalive)
            {
                radio.Add(new Transmission(t, strategy.UplinkBytes, Direction.Uplink));
                if (strategy.ElicitsReply) radio.Add(new Transmission(t + echoRoundTrip, strategy.UplinkBytes, Direction.Downlink));
                sent++;
                nextGrid += strategy.Interval;
            }
            else
            {
                radio.Add(application[ai]);
                ai++;
            }
            lastOut = refreshedUntil;
        }
        if (strategy.SuppressWhenTraffic)
        {
            // Keepalives the fixed grid would have sent, minus those sent: what suppression saved.
            suppressed = (int)Math.Max(0, (horizon - 1) / strategy.Interval - sent);
        }
        if (lastOut + mappingTimeout < horizon)
        {
            lost++;
            outages.Add((lastOut + mappingTimeout, horizon));
        }

        int downlinkLost = 0;
        foreach (var tx in application)
        {
            if (tx.Direction != Direction.Downlink || tx.Time >= horizon) continue;
            if (InOutage(outages, tx.Time)) downlinkLost++;
            else radio.Add(tx);
        }
        // Total order (equal keys are identical packets), so the sort is deterministic.
        radio.Sort(static (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time)
            : a.Direction != b.Direction ? a.Direction.CompareTo(b.Direction) : a.Bytes.CompareTo(b.Bytes));
        while (radio.Count > 0 && radio[^1].Time >= horizon) radio.RemoveAt(radio.Count - 1);
        var report = EnergyIntegrator.Run(profile, radio.ToArray(), 0, horizon);
        double ap = strategy.OffloadedToModem ? sent * cost.ModemOffloadMj : sent * cost.ApplicationProcessorWakeMj;
        return new KeepaliveSessionResult(sent, suppressed, lost, reestablished, updates, ikePackets, downlinkLost, ap, report);
    }

    static bool InOutage(List<(long From, long To)> outages, long t)
    {
        foreach (var (from, to) in outages)
            if (t >= from && t < to) return true;
        return false;
    }
}
