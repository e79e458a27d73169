namespace Lab.KernelLab.Calibration;

/// <summary>The host's CPU model name (/proc/cpuinfo "model name").</summary>
public static class HostCpu
{
    public static string Model() => ModelFrom(File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "");

    public static string ModelFrom(string cpuinfo)
    {
        foreach (string line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == "model name") return line[(colon + 1)..].Trim();
        }
        return "unknown";
    }
}
