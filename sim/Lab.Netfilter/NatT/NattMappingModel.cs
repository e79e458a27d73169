using Lab.Core;

namespace Lab.Netfilter.NatT;

/// <summary>A NAT rebinding of a busy ESP-in-UDP tunnel (RFC 3948): the peer's outer port changes at <see cref="RebindAt"/>.</summary>
public sealed record RebindingScenario
{
    /// <summary>Line rate of each direction, bit/s (the tunnel is saturated both ways).</summary>
    public double LineRateBitsPerSecond { get; init; } = 10e9;

    /// <summary>Ethernet frame size including FCS; 20 B of preamble and inter-frame gap are added on the wire.</summary>
    public int FrameBytes { get; init; } = 1518;

    /// <summary>From the first XFRM_MSG_MAPPING to the SA update by the IKE daemon (netlink, daemon, XFRM_MSG_UPDSA).</summary>
    public long DaemonReaction { get; init; } = 100 * SimTime.Millisecond;

    /// <summary>XFRMA_MTIMER_THRESH in seconds; 0 = not set (one message per packet).</summary>
    public uint MappingMaxAgeSeconds { get; init; }

    public long RebindAt { get; init; } = SimTime.Second / 2;

    /// <summary>Delay from the rebinding to the first packet from the peer through the new mapping (0: the packet that created it).</summary>
    public long InboundPhase { get; init; }

    /// <summary>Delay from the rebinding to the first packet towards the peer (0: one leaves exactly then).</summary>
    public long ReturnPhase { get; init; }

    public void Validate()
    {
        if (!(LineRateBitsPerSecond > 0)) throw new LabInputException($"line rate must be positive, found {LineRateBitsPerSecond}");
        if (FrameBytes < 64 || FrameBytes > 65535) throw new LabInputException($"frame size must be 64..65535 B, found {FrameBytes}");
        if (DaemonReaction < 0 || InboundPhase < 0 || ReturnPhase < 0 || RebindAt < 0)
            throw new LabInputException("times must not be negative");
    }
}

public readonly record struct RebindingResult(
    long PacketInterval,
    double PacketsPerSecond,
    long DetectedAt,
    long UpdatedAt,
    long ReturnPacketsLost,
    long MappingMessages);

/// <summary>How the mapping was re-created after a silent expiry, and how the responder learnt of it.</summary>
public enum MappingRecovery : byte
{
    /// <summary>Keepalives kept the mapping alive: nothing expired.</summary>
    NeverExpired,
    /// <summary>Recreated by a NAT-T keepalive; the responder learnt the port from a later ESP packet or DPD.</summary>
    Keepalive,
    Dpd,
    Esp,
    /// <summary>Nothing from the NATed side re-created the mapping within the horizon.</summary>
    NotRecovered,
}

/// <summary>An idle ESP-in-UDP tunnel whose NAT mapping may expire silently.</summary>
public sealed record SilentExpiryScenario
{
    /// <summary>UDP mapping timeout of the NAT (RFC 4787 REQ-5: at least 2 min; Hätönen et al. found 30 s on home gateways).</summary>
    public long NatMappingTimeout { get; init; } = 30 * SimTime.Second;

    /// <summary>NAT-T keepalive interval of the NATed peer (RFC 3948: 20 s; strongSwan 20 s; Android 10 s); 0 = none.</summary>
    public long KeepaliveInterval { get; init; } = 20 * SimTime.Second;

    /// <summary>The NATed peer's IKE liveness check (DPD) interval when idle; 0 = none.</summary>
    public long DpdInterval { get; init; }

    /// <summary>The next ESP packet from the NATed peer (null = it stays silent).</summary>
    public long? NextEspFromPeerAt { get; init; }

    /// <summary>When traffic towards the NATed peer resumes, and its rate.</summary>
    public long ReturnResumeAt { get; init; }

    public double ReturnPacketsPerSecond { get; init; } = 100;

    /// <summary>A NAT that gives the same public port back (true) or a new one (false, typical CGNAT).</summary>
    public bool NatKeepsPort { get; init; }

    public long DaemonReaction { get; init; } = 100 * SimTime.Millisecond;

    /// <summary>Look this far (after the last traffic at time 0) for the recovery.</summary>
    public long Horizon { get; init; } = 3600 * SimTime.Second;
}

public readonly record struct SilentExpiryResult(
    MappingRecovery Recovery,
    long? ExpiredAt,
    long? RecreatedAt,
    long? LearnedAt,
    long ReturnPacketsLost);

/// <summary>
/// Mapping changes under a NAT-T tunnel (issue 5): the receiving kernel notices the new outer source
/// port per ESP packet (<see cref="XfrmMappingNotifier"/>), the IKE daemon updates the SA after its
/// reaction time, and until then the traffic towards the peer goes to the stale mapping and is lost.
/// NAT-T keepalives (one byte 0xFF) refresh the NAT mapping but never reach esp_input_done2:
/// xfrm4_udp_encap_rcv eats them ("Check if this is a keepalive packet. If so, eat it."), so they
/// do not tell the responder about a new port; an ESP packet or an IKE message (DPD) does.
/// </summary>
public static class NattMappingModel
{
    /// <summary>Time between back-to-back frames on the wire: (frame + 20 B) x 8 / rate.</summary>
    public static long PacketInterval(double bitsPerSecond, int frameBytes) =>
        (long)Math.Round((frameBytes + 20) * 8.0 * SimTime.Second / bitsPerSecond);

    /// <summary>Packets of a stream starting at <paramref name="first"/> with spacing <paramref name="interval"/> sent before <paramref name="end"/>.</summary>
    public static long PacketsBefore(long first, long interval, long end) =>
        end <= first ? 0 : (end - first + interval - 1) / interval;

    public static RebindingResult Rebinding(RebindingScenario s)
    {
        s.Validate();
        long t = PacketInterval(s.LineRateBitsPerSecond, s.FrameBytes);
        long detected = s.RebindAt + s.InboundPhase;
        long updated = detected + s.DaemonReaction;
        long lost = PacketsBefore(s.RebindAt + s.ReturnPhase, t, updated);

        long messages;
        if (s.MappingMaxAgeSeconds == 0)
        {
            // every inbound ESP packet from the new port until the SA is updated
            messages = PacketsBefore(detected, t, updated);
        }
        else
        {
            // the first packet reports; the next report needs a later whole-second counter more than maxage ahead
            messages = 0;
            long at = detected;
            while (at < updated)
            {
                messages++;
                long nextSecond = (at / SimTime.Second + s.MappingMaxAgeSeconds + 1) * SimTime.Second;
                long k = (nextSecond - detected + t - 1) / t; // first inbound packet at or after nextSecond
                at = detected + k * t;
            }
        }
        return new RebindingResult(t, SimTime.Second / (double)t, detected, updated, lost, messages);
    }

    public static SilentExpiryResult SilentExpiry(SilentExpiryScenario s)
    {
        if (s.NatMappingTimeout <= 0) throw new LabInputException("NAT mapping timeout must be positive");
        long last = 0;
        long? expired = null;
        long recreated = 0;
        var by = MappingRecovery.NotRecovered;
        while (true)
        {
            var (next, kind) = NextOutbound(s, last);
            if (next - last >= s.NatMappingTimeout)
            {
                expired = last + s.NatMappingTimeout;
                if (next <= s.Horizon)
                {
                    recreated = next;
                    by = kind;
                }
                break;
            }
            if (next > s.Horizon) return new SilentExpiryResult(MappingRecovery.NeverExpired, null, null, null, 0);
            last = next;
        }
        if (by == MappingRecovery.NotRecovered)
            return new SilentExpiryResult(by, expired, null, null, LostBetween(s, expired.Value, s.Horizon));

        long learned;
        if (s.NatKeepsPort)
        {
            learned = recreated; // same port: nothing to learn, traffic flows again once the mapping exists
        }
        else
        {
            // the responder learns from the first ESP packet (XFRM_MSG_MAPPING) or IKE message after the re-creation
            long esp = s.NextEspFromPeerAt is long e && e >= recreated ? e : long.MaxValue;
            long dpd = s.DpdInterval > 0 ? FirstMultipleAtOrAfter(s.DpdInterval, recreated) : long.MaxValue;
            long first = Math.Min(esp, dpd);
            if (first == long.MaxValue || first > s.Horizon)
                return new SilentExpiryResult(by, expired, recreated, null, LostBetween(s, expired.Value, s.Horizon));
            learned = first + s.DaemonReaction;
        }
        return new SilentExpiryResult(by, expired, recreated, learned, LostBetween(s, expired.Value, learned));
    }

    static (long At, MappingRecovery Kind) NextOutbound(SilentExpiryScenario s, long after)
    {
        long ka = s.KeepaliveInterval > 0 ? FirstMultipleAtOrAfter(s.KeepaliveInterval, after + 1) : long.MaxValue;
        long dpd = s.DpdInterval > 0 ? FirstMultipleAtOrAfter(s.DpdInterval, after + 1) : long.MaxValue;
        long esp = s.NextEspFromPeerAt is long e && e > after ? e : long.MaxValue;
        if (esp <= ka && esp <= dpd) return (esp, MappingRecovery.Esp);
        return dpd < ka ? (dpd, MappingRecovery.Dpd) : (ka, MappingRecovery.Keepalive);
    }

    static long FirstMultipleAtOrAfter(long interval, long t) => (t + interval - 1) / interval * interval;

    static long LostBetween(SilentExpiryScenario s, long from, long to)
    {
        if (s.ReturnPacketsPerSecond <= 0) return 0;
        long interval = (long)Math.Round(SimTime.Second / s.ReturnPacketsPerSecond);
        long start = Math.Max(from, s.ReturnResumeAt);
        // the return stream runs at ReturnResumeAt + k x interval
        long firstK = start <= s.ReturnResumeAt ? 0 : (start - s.ReturnResumeAt + interval - 1) / interval;
        long first = s.ReturnResumeAt + firstK * interval;
        return PacketsBefore(first, interval, to);
    }
}
