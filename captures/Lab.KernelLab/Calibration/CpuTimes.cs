using System.Globalization;
using Lab.Captures.Native;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// One CPU's cumulative times from /proc/stat (proc(5)), in USER_HZ ticks: user nice system idle iowait irq
/// softirq steal (guest time is already inside user). Busy time is user+nice+system+irq+softirq: steal (the
/// hypervisor ran someone else), idle and iowait are not this kernel's work.
/// </summary>
public readonly record struct CpuTimes(long User, long Nice, long System, long Idle, long IoWait, long Irq, long SoftIrq, long Steal)
{
    public long Busy => User + Nice + System + Irq + SoftIrq;

    public static CpuTimes operator -(CpuTimes a, CpuTimes b) => new(a.User - b.User, a.Nice - b.Nice, a.System - b.System,
        a.Idle - b.Idle, a.IoWait - b.IoWait, a.Irq - b.Irq, a.SoftIrq - b.SoftIrq, a.Steal - b.Steal);

    public static CpuTimes operator +(CpuTimes a, CpuTimes b) => new(a.User + b.User, a.Nice + b.Nice, a.System + b.System,
        a.Idle + b.Idle, a.IoWait + b.IoWait, a.Irq + b.Irq, a.SoftIrq + b.SoftIrq, a.Steal + b.Steal);
}

/// <summary>The per-CPU lines of one /proc/stat reading (cpu0, cpu1, ...; the summary "cpu" line is not kept).</summary>
public sealed record ProcStat(IReadOnlyList<CpuTimes> Cpus)
{
    /// <summary>USER_HZ: the unit of /proc/stat times (sysconf(_SC_CLK_TCK); 100 on every Linux architecture the lab runs on).</summary>
    public static long TicksPerSecond { get; } = ClockTicks();

    public static ProcStat Read() => Parse(File.ReadAllText("/proc/stat"));

    public static ProcStat Parse(string text)
    {
        var cpus = new List<CpuTimes>();
        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal) || line.Length < 4 || !char.IsAsciiDigit(line[3])) continue;
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 9) throw new FormatException($"/proc/stat: expected at least 8 times on '{line}'");
            long V(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            int index = int.Parse(f[0].AsSpan(3), CultureInfo.InvariantCulture);
            while (cpus.Count <= index) cpus.Add(default);
            cpus[index] = new CpuTimes(V(1), V(2), V(3), V(4), V(5), V(6), V(7), V(8));
        }
        if (cpus.Count == 0) throw new FormatException("/proc/stat: no cpuN lines");
        return new ProcStat(cpus);
    }

    /// <summary>Per-CPU differences (this minus <paramref name="earlier"/>).</summary>
    public IReadOnlyList<CpuTimes> Since(ProcStat earlier)
    {
        var d = new CpuTimes[Math.Min(Cpus.Count, earlier.Cpus.Count)];
        for (int i = 0; i < d.Length; i++) d[i] = Cpus[i] - earlier.Cpus[i];
        return d;
    }

    public static double TicksToNanoseconds(long ticks) => ticks * (1e9 / TicksPerSecond);

    static long ClockTicks()
    {
        long hz = Libc.SysConf(Libc.SC_CLK_TCK);
        return hz > 0 ? hz : 100;
    }
}
