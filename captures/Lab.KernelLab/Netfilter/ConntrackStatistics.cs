using System.Globalization;

namespace Lab.KernelLab.Netfilter;

/// <summary>
/// Parses <c>conntrack -S</c> (conntrack-tools 1.4.x): one line per CPU of <c>key=value</c> pairs
/// (cpu=0 found=0 invalid=3 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0
/// clash_resolve=0 chaintoolong=0), the per-CPU struct ip_conntrack_stat of the namespace. Returns
/// the sums over all CPUs by the kernel's names (the cpu key itself is left out).
/// </summary>
public static class ConntrackStatistics
{
    public static IReadOnlyDictionary<string, long> Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var sums = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (string token in output.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            string key = token[..eq];
            if (key == "cpu") continue;
            if (!long.TryParse(token[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                throw new FormatException($"conntrack -S: '{token}' is not key=number");
            sums[key] = sums.GetValueOrDefault(key) + v;
        }
        return sums;
    }
}
