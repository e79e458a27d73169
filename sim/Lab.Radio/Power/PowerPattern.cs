namespace Lab.Radio.Power;

/// <summary>
/// Piecewise-constant power of one radio state: either a constant, or a periodic pattern of an
/// on-duration at <see cref="OnPowerMw"/> at the start of every <see cref="Cycle"/>, followed by
/// <see cref="OffPowerMw"/> for the rest of the cycle (DRX on-duration, paging occasion).
/// Energy is integrated exactly, not sampled and not averaged: a fragment of a cycle costs exactly
/// what its on and off parts cost. The cycle is aligned to the moment the state is entered (as in
/// Huang et al.'s model and AT&amp;T Video Optimizer's ProfileFactoryImpl.energyLTE); the real
/// on-durations are aligned to the SFN (TS 36.321 section 5.7, TS 36.304 section 7.1), so each entry
/// into a state can be off by at most one on-duration (1 ms of DRX, 43.2 ms of paging).
/// </summary>
public readonly record struct PowerPattern(long Cycle, long OnDuration, double OnPowerMw, double OffPowerMw)
{
    public static PowerPattern Constant(double milliwatts) => new(0, 0, milliwatts, milliwatts);

    public static PowerPattern Periodic(long cycle, long onDuration, double onMw, double offMw)
    {
        if (cycle <= 0) throw new ArgumentOutOfRangeException(nameof(cycle), "a periodic pattern needs a positive cycle");
        if (onDuration < 0 || onDuration > cycle) throw new ArgumentOutOfRangeException(nameof(onDuration), "the on-duration must lie within the cycle");
        return new PowerPattern(cycle, onDuration, onMw, offMw);
    }

    public bool IsConstant => Cycle <= 0;

    /// <summary>Time spent at the on-power between the state's entry (offset 0) and <paramref name="offset"/>.</summary>
    public long OnTimeTo(long offset)
    {
        if (IsConstant) return 0;
        long full = offset / Cycle;
        long rem = offset - full * Cycle;
        return full * OnDuration + Math.Min(rem, OnDuration);
    }

    /// <summary>Energy in millijoules between offsets <paramref name="from"/> and <paramref name="to"/> (picoseconds since entry).</summary>
    public double EnergyMj(long from, long to)
    {
        if (IsConstant) return OffPowerMw * (to - from) / SimTimeScale;
        long on = OnTimeTo(to) - OnTimeTo(from);
        long off = to - from - on;
        return (OnPowerMw * on + OffPowerMw * off) / SimTimeScale;
    }

    /// <summary>Average power over whole cycles, for display only (the integrator never uses it).</summary>
    public double AveragePowerMw => IsConstant ? OffPowerMw : (OnPowerMw * OnDuration + OffPowerMw * (Cycle - OnDuration)) / Cycle;

    /// <summary>mW x ps / 1e12 = mJ.</summary>
    internal const double SimTimeScale = 1e12;
}
