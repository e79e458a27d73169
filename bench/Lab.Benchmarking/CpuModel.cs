namespace Lab.Benchmarking;

/// <summary>
/// The CPU model a run was measured on: /proc/cpuinfo's first "model name" line, as the kernel
/// prints it (arch/x86/kernel/cpu/proc.c, show_cpuinfo). Ratios to the reference hold across load
/// but not across CPU models: cache sizes and latencies differ, and cache-bound benchmarks (a
/// 1M-flow table, a 4096-bit replay bitmap) move by a factor against the cache-resident reference.
/// </summary>
public static class CpuModel
{
    /// <summary>What a baseline without the field, or a machine without /proc/cpuinfo, reports.</summary>
    public const string Unknown = "unknown";

    /// <summary>This machine's CPU model, or null when /proc/cpuinfo has none (not Linux, or an architecture without the line).</summary>
    public static string? Current()
    {
        try
        {
            return Parse(File.ReadLines("/proc/cpuinfo"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The value of the first "model name" line of a /proc/cpuinfo text, trimmed; null when there is none.</summary>
    public static string? Parse(IEnumerable<string> cpuinfoLines)
    {
        foreach (var line in cpuinfoLines)
        {
            if (!line.StartsWith("model name", StringComparison.Ordinal)) continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) continue;
            string value = line[(colon + 1)..].Trim();
            return value.Length == 0 ? null : value;
        }
        return null;
    }
}
