using System.Globalization;

namespace Lab.Benchmarking;

/// <summary>
/// The machine's load while benchmarks ran. Ratios to the reference cancel a slower clock, but not
/// contention for caches and memory: on the 2-core EPYC at load average 30-40 (other tenants'
/// builds), the cache-bound replay benchmarks stayed 60% slower through five confirmation runs
/// while the compute-bound reference did not move. A comparison made under such load says so.
/// </summary>
public static class MachineLoad
{
    /// <summary>The 1-minute load average (/proc/loadavg), or null where the kernel does not give it.</summary>
    public static double? OneMinute()
    {
        try
        {
            string first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A warning when the highest load seen exceeds the cores plus one (the benchmark's own
    /// process), or null. The warning names the load and the cores.
    /// </summary>
    public static string? Warning(double? highest, int cores)
    {
        if (highest is not { } load || load <= cores + 1) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"WARNING: load average {load:0.#} on {cores} cores while measuring: other work competed for the caches, and cache-bound benchmarks read slower than the reference cancels; compare on a quiet machine before chasing a slowdown");
    }
}
