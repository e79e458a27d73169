namespace Lab.Radio.Power;

/// <summary>
/// Runs an <see cref="RrcProfile"/> over a timeline of transmissions and integrates the radio's
/// energy exactly: every state's power is piecewise constant (<see cref="PowerPattern"/>), so energy
/// is a sum of power x duration over integer picosecond intervals, with no sampling step.
///
/// Rules (Huang et al., MobiSys 2012, section 3; Video Optimizer's RrcStateMachineFactoryImpl):
/// a packet that finds the radio idle or inactive pays the promotion first and is sent when it ends;
/// packets queue behind a promotion or a transmission in progress (one at a time, FIFO); a transmission
/// of B bytes lasts 8B/rate at the data power; when the last one ends, the tail segments run in order
/// and each packet during the tail restarts it (no promotion). In UMTS CELL_FACH a packet up to the RLC
/// threshold is sent without promotion, restarts the FACH timer and takes no time (its energy is the
/// FACH power already accounted). A packet arriving exactly when a timer expires finds the next state.
/// </summary>
public static class EnergyIntegrator
{
    /// <summary>
    /// Integrates [<paramref name="start"/>, <paramref name="end"/>). The radio starts in the profile's
    /// initial (rest) state, entered at <paramref name="start"/>. <paramref name="transmissions"/> must be
    /// sorted by time; those at or after <paramref name="end"/> are ignored.
    /// </summary>
    public static EnergyReport Run(RrcProfile profile, ReadOnlySpan<Transmission> transmissions, long start, long end)
    {
        var report = new EnergyReport(start, end);
        var segments = profile.Segments;
        int seg = profile.InitialSegment;
        long segStart = start;
        long quietFrom = start;
        long busyUntil = start;
        long previous = long.MinValue;
        foreach (var tx in transmissions)
        {
            if (tx.Time < previous) throw new ArgumentException("transmissions must be sorted by time", nameof(transmissions));
            previous = tx.Time;
            if (tx.Time < start) throw new ArgumentException("a transmission precedes the window start", nameof(transmissions));
            if (tx.Time >= end) break;
            long sendAt;
            if (tx.Time >= busyUntil)
            {
                (seg, segStart) = IntegrateQuiet(segments, seg, segStart, quietFrom, tx.Time, report);
                var s = segments[seg];
                bool promote = s.OnArrival switch
                {
                    ArrivalAction.ResumeConnected => false,
                    ArrivalAction.Promote => true,
                    _ => tx.Bytes > (tx.Direction == Direction.Uplink ? s.SmallPacketMaxBytesUplink : s.SmallPacketMaxBytesDownlink),
                };
                if (s.OnArrival == ArrivalAction.StayIfSmallElsePromote && !promote)
                {
                    report.SmallPacketsInFach++;
                    segStart = tx.Time;
                    quietFrom = tx.Time;
                    continue;
                }
                sendAt = tx.Time;
                if (promote)
                {
                    var p = s.Promotion ?? throw new InvalidOperationException($"profile {profile.Name}: segment {s.State} promotes but has no promotion");
                    report.Add(p.State, PowerPattern.Constant(p.PowerMw), tx.Time, tx.Time, tx.Time + p.Duration);
                    report.Promotions++;
                    sendAt = tx.Time + p.Duration;
                }
            }
            else
            {
                sendAt = busyUntil;
            }
            long duration = profile.Data.Duration(tx.Bytes, tx.Direction);
            report.Add(RrcState.Connected, PowerPattern.Constant(profile.Data.PowerMw(tx.Direction)), sendAt, sendAt, sendAt + duration);
            busyUntil = sendAt + duration;
            seg = 0;
            segStart = busyUntil;
            quietFrom = busyUntil;
        }
        if (quietFrom < end) IntegrateQuiet(segments, seg, segStart, quietFrom, end, report);
        return report;
    }

    /// <summary>Walks the quiet segments from (seg, segStart) over [from, to) and returns the segment the radio is in at <paramref name="to"/>.</summary>
    static (int Seg, long SegStart) IntegrateQuiet(IReadOnlyList<RrcSegment> segments, int seg, long segStart, long from, long to, EnergyReport report)
    {
        while (true)
        {
            var s = segments[seg];
            bool last = seg == segments.Count - 1 || s.Duration == RrcSegment.UntilTraffic;
            long segEnd = last ? long.MaxValue : segStart + s.Duration;
            report.Add(s.State, s.Power, segStart, from, Math.Min(to, segEnd));
            if (last || to < segEnd) return (seg, segStart);
            from = segEnd;
            segStart = segEnd;
            seg++;
        }
    }
}
