using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.KernelLab.Netfilter;

/// <summary>A named nft counter object's values (struct nft_counter: packets and bytes).</summary>
public readonly record struct NftCounter(long Packets, long Bytes);

/// <summary>Parses named counters from <c>nft list counters</c> / <c>nft list counter FAMILY TABLE NAME</c> output (nft 1.0.x).</summary>
public static partial class NftCounters
{
    /// <summary>Counter name to values, in the order nft printed them. Throws if a counter block has no values.</summary>
    public static IReadOnlyDictionary<string, NftCounter> Parse(string output)
    {
        var result = new Dictionary<string, NftCounter>(StringComparer.Ordinal);
        foreach (Match m in CounterBlock().Matches(output))
        {
            result[m.Groups["name"].Value.Trim('"')] = new NftCounter(
                long.Parse(m.Groups["packets"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["bytes"].Value, CultureInfo.InvariantCulture));
        }
        int blocks = CounterHeader().Count(output);
        if (blocks != result.Count)
            throw new FormatException($"nft output has {blocks} counter blocks but {result.Count} with 'packets N bytes M': '{output.Trim()}'");
        return result;
    }

    [GeneratedRegex(@"\bcounter\s+(?<name>""?[A-Za-z0-9_.-]+""?)\s*\{\s*packets\s+(?<packets>[0-9]+)\s+bytes\s+(?<bytes>[0-9]+)")]
    private static partial Regex CounterBlock();

    [GeneratedRegex(@"\bcounter\s+""?[A-Za-z0-9_.-]+""?\s*\{")]
    private static partial Regex CounterHeader();
}
