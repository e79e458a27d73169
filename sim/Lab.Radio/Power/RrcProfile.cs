namespace Lab.Radio.Power;

/// <summary>What a packet handed to the radio does while the radio sits in a quiet (no data) state.</summary>
public enum ArrivalAction
{
    /// <summary>Connected already (tail, DRX): the packet goes out at once; the tail restarts after it.</summary>
    ResumeConnected,
    /// <summary>Idle or inactive: pay <see cref="RrcSegment.Promotion"/> first, then send.</summary>
    Promote,
    /// <summary>
    /// UMTS CELL_FACH: a packet no larger than the RLC buffer threshold of its direction is sent on the
    /// shared channel without promotion and restarts the FACH timer; a larger one is promoted to DCH.
    /// </summary>
    StayIfSmallElsePromote,
}

/// <summary>A promotion: how long it takes and the power drawn meanwhile (Huang et al. measure both).</summary>
public sealed record RrcPromotion(RrcState State, long Duration, double PowerMw);

/// <summary>
/// One quiet state of the machine: entered when the previous one's timer expires (the first one when
/// the last transmission ends), left after <see cref="Duration"/> or on traffic. The last segment of a
/// profile lasts until traffic (<see cref="long.MaxValue"/>).
/// </summary>
public sealed record RrcSegment(
    RrcState State,
    long Duration,
    PowerPattern Power,
    ArrivalAction OnArrival,
    RrcPromotion? Promotion = null,
    int SmallPacketMaxBytesUplink = 0,
    int SmallPacketMaxBytesDownlink = 0)
{
    public const long UntilTraffic = long.MaxValue;
}

/// <summary>
/// Power of the radio while data flows, after Huang et al., MobiSys 2012, section 3.3 and Table 4:
/// P = alpha_u * t_u + alpha_d * t_d + beta, with t_u, t_d the uplink and downlink throughputs in
/// Mbit/s. A transmission of B bytes occupies the radio for 8B / rate at P(rate), so its energy is
/// alpha * 8B / 1e6 + beta * 8B / rate.
/// </summary>
public sealed record DataPowerModel(
    double AlphaUplinkMwPerMbps,
    double AlphaDownlinkMwPerMbps,
    double BetaMw,
    double UplinkBitsPerSecond,
    double DownlinkBitsPerSecond)
{
    public long Duration(int bytes, Direction direction)
    {
        double rate = direction == Direction.Uplink ? UplinkBitsPerSecond : DownlinkBitsPerSecond;
        return (long)Math.Round(bytes * 8.0 * SimTimeSecond / rate, MidpointRounding.AwayFromZero);
    }

    public double PowerMw(Direction direction) => direction == Direction.Uplink
        ? AlphaUplinkMwPerMbps * UplinkBitsPerSecond / 1e6 + BetaMw
        : AlphaDownlinkMwPerMbps * DownlinkBitsPerSecond / 1e6 + BetaMw;

    const double SimTimeSecond = 1e12;
}

/// <summary>
/// An RRC state machine as data: the quiet segments in the order their timers expire (tail states,
/// then the rest states), which one the radio starts in, and the data power model. Powers are the
/// radio's only: the phone's base power (screen off, CPU idle) is excluded, so the idle power between
/// paging occasions is 0 (Huang et al. report powers with the base subtracted; Video Optimizer's
/// lte.conf sets P_IDLE=0.0).
/// </summary>
public sealed record RrcProfile(
    string Name,
    string Title,
    IReadOnlyList<RrcSegment> Segments,
    int InitialSegment,
    DataPowerModel Data)
{
    /// <summary>Index of the first segment whose arrival action is not <see cref="ArrivalAction.ResumeConnected"/>:
    /// the radio has left the connected tail once it reaches it.</summary>
    public int FirstRestSegment
    {
        get
        {
            for (int i = 0; i < Segments.Count; i++)
                if (Segments[i].State is RrcState.Idle or RrcState.Inactive) return i;
            return Segments.Count - 1;
        }
    }

    /// <summary>Time from the end of the last transmission until the radio reaches its first rest state.</summary>
    public long TailDuration
    {
        get
        {
            long t = 0;
            for (int i = 0; i < FirstRestSegment; i++) t += Segments[i].Duration;
            return t;
        }
    }

    /// <summary>The promotion paid by a packet that finds the radio in its initial rest state.</summary>
    public RrcPromotion RestPromotion => Segments[InitialSegment].Promotion
        ?? throw new InvalidOperationException($"profile {Name}: the initial segment has no promotion");

    public static bool IsRest(RrcState s) => s is RrcState.Idle or RrcState.Inactive;
}
