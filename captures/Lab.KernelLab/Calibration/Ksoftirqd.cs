using System.Globalization;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// CPU time of the per-CPU softirq threads (ksoftirqd/N): where the kernel runs softirqs it deferred (__do_softirq
/// restarted too often or for too long, and wakeup_softirqd). Their utime+stime from /proc/PID/stat (proc(5) fields 14
/// and 15, USER_HZ ticks) is already inside /proc/stat's busy time; read apart, it says how much of the forwarding
/// left the injecting thread's context.
/// </summary>
public static class Ksoftirqd
{
    /// <summary>Ticks per CPU index, for every ksoftirqd thread found (empty where /proc has none).</summary>
    public static IReadOnlyDictionary<int, long> Ticks()
    {
        var result = new Dictionary<int, long>();
        if (!Directory.Exists("/proc")) return result;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string pid = System.IO.Path.GetFileName(dir);
            if (pid.Length == 0 || !pid.All(char.IsAsciiDigit)) continue;
            string text;
            try
            {
                text = File.ReadAllText(System.IO.Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // the process ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (Parse(text) is { } t) result[t.Cpu] = t.Ticks;
        }
        return result;
    }

    /// <summary>(CPU, utime+stime) of a /proc/PID/stat line whose comm is ksoftirqd/N, else null.</summary>
    public static (int Cpu, long Ticks)? Parse(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
        if (open < 0 || close < open) return null;
        string comm = stat[(open + 1)..close];
        const string Prefix = "ksoftirqd/";
        if (!comm.StartsWith(Prefix, StringComparison.Ordinal) ||
            !int.TryParse(comm.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int cpu)) return null;
        // After the comm: state is field 3, so utime (field 14) and stime (field 15) are the 12th and 13th after it.
        string[] f = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 13) return null;
        if (!long.TryParse(f[11], NumberStyles.None, CultureInfo.InvariantCulture, out long utime) ||
            !long.TryParse(f[12], NumberStyles.None, CultureInfo.InvariantCulture, out long stime)) return null;
        return (cpu, utime + stime);
    }
}
