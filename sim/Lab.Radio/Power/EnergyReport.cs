namespace Lab.Radio.Power;

/// <summary>Time and energy per RRC state over a window [Start, End), plus counters.</summary>
public sealed class EnergyReport
{
    static readonly int StateCount = Enum.GetValues<RrcState>().Length;

    public EnergyReport(long start, long end)
    {
        if (end < start) throw new ArgumentException("the window ends before it starts", nameof(end));
        Start = start;
        End = end;
        EnergyMjByState = new double[StateCount];
        TimeByState = new long[StateCount];
    }

    public long Start { get; }
    public long End { get; }
    public double[] EnergyMjByState { get; }
    public long[] TimeByState { get; }

    /// <summary>Promotions paid (IDLE/INACTIVE to connected, FACH to DCH).</summary>
    public int Promotions { get; internal set; }

    /// <summary>UMTS packets sent on CELL_FACH without promotion.</summary>
    public int SmallPacketsInFach { get; internal set; }

    public double EnergyMj(RrcState s) => EnergyMjByState[(int)s];

    public long Time(RrcState s) => TimeByState[(int)s];

    public double TotalEnergyMj
    {
        get
        {
            double e = 0;
            foreach (double x in EnergyMjByState) e += x;
            return e;
        }
    }

    /// <summary>Energy of everything above the rest states (promotion, data, tail): what traffic costs.</summary>
    public double ActiveEnergyMj => TotalEnergyMj - EnergyMj(RrcState.Idle) - EnergyMj(RrcState.Inactive);

    public double AveragePowerMw => End == Start ? 0 : TotalEnergyMj / ((End - Start) / 1e12);

    internal void Add(RrcState state, PowerPattern power, long segmentStart, long from, long to)
    {
        long a = Math.Max(from, Start);
        long b = Math.Min(to, End);
        if (b <= a) return;
        EnergyMjByState[(int)state] += power.EnergyMj(a - segmentStart, b - segmentStart);
        TimeByState[(int)state] += b - a;
    }
}
