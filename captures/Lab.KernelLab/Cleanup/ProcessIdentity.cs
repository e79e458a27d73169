using System.Globalization;

namespace Lab.KernelLab.Cleanup;

/// <summary>
/// A process as the kernel tells processes apart over time: its pid and its start time (field 22
/// of /proc/PID/stat, clock ticks after boot; proc(5)). A pid alone is reused after the process
/// ends; the pair is not, so a marker recording it says exactly whether its owner still runs.
/// The .NET runtime names its diagnostic sockets with the same pair (dotnet-diagnostic-PID-START-socket).
/// </summary>
public readonly record struct ProcessIdentity(int Pid, long StartTicks)
{
    static readonly Lazy<ProcessIdentity> Self = new(() =>
        Read(Environment.ProcessId) ?? new ProcessIdentity(Environment.ProcessId, 0));

    /// <summary>This process.</summary>
    public static ProcessIdentity Current => Self.Value;

    /// <summary>The running process <paramref name="pid"/>, or null when there is none (a zombie counts as gone).</summary>
    public static ProcessIdentity? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so fields count from the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        if (fields.Length < 20 || fields[0] is "Z" or "X") return null;
        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start)
            ? new ProcessIdentity(pid, start) : null;
    }

    /// <summary>True while this very process (not a later one with the same pid) runs.</summary>
    public bool IsAlive => Read(Pid) is { } now && now.StartTicks == StartTicks;

    /// <summary>PID-START, the form marker folders are named by.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Pid}-{StartTicks}");

    public static bool TryParse(string text, out ProcessIdentity identity)
    {
        identity = default;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !int.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long start)
            || pid <= 0)
            return false;
        identity = new ProcessIdentity(pid, start);
        return true;
    }
}
