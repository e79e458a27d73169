using System.Text;
using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios.Tests;

/// <summary>Hostile YAML (issue 16, item 7 and 9): every limit ends in one positioned message, and loading stays linear.</summary>
public sealed class YamlLoaderLimitsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-yaml-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static string Error(Action load) => Assert.Throws<LabInputException>(load).Message;

    [Fact]
    public void A_billion_laughs_bomb_stops_at_the_node_limit()
    {
        // Nine levels of nine aliases would expand to 9^9 = 387,420,489 scalars.
        var sb = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i <= 8; i++) sb.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");
        string e = Error(() => YamlLoader.LoadText(sb.ToString(), "bomb.yaml"));
        Assert.StartsWith("bomb.yaml:", e, StringComparison.Ordinal);
        Assert.Contains("expected at most 1000000 YAML nodes with every alias expanded", e, StringComparison.Ordinal);
    }

    [Fact]
    public void The_node_limit_names_the_alias_that_passes_it()
    {
        // root, key a, the list and its 3 scalars: 6; key b and its list: 8; each *a adds 4
        // (a list and 3 scalars): 12, 16, 20, then 24 > 20 at the fourth alias, column 17.
        string yaml = "a: &a [x, x, x]\nb: [*a, *a, *a, *a]\n";
        string e = Error(() => YamlLoader.LoadText(yaml, "t.yaml", new YamlLimits { MaxNodes = 20 }));
        Assert.StartsWith("t.yaml:2:17: expected at most 20 YAML nodes with every alias expanded", e, StringComparison.Ordinal);
        var map = YamlLoader.LoadText(yaml, "t.yaml", new YamlLimits { MaxNodes = 24 });
        Assert.Equal(4, ((YSeq)map["b"]!).Items.Count);
    }

    [Fact]
    public void An_alias_is_a_copy_so_changing_one_use_leaves_the_other()
    {
        var map = YamlLoader.LoadText("a: &x { rate: 1Gbit/s }\nb: *x\n", "t.yaml");
        var a = (YMap)map["a"]!;
        var b = (YMap)map["b"]!;
        Assert.NotSame(a, b);
        b.Set("rate", new YScalar(b.Pos, "2Gbit/s"), b.Pos);
        Assert.Equal("1Gbit/s", ((YScalar)a["rate"]!).Value);
    }

    [Fact]
    public void An_alias_without_its_anchor_is_named()
    {
        string e = Error(() => YamlLoader.LoadText("a: *nowhere\n", "t.yaml"));
        Assert.Equal("t.yaml:1:4: alias '*nowhere' refers to no anchor defined above it", e);
    }

    [Fact]
    public void A_hundred_thousand_nested_brackets_are_refused_at_the_limit_not_by_a_stack_overflow()
    {
        // The root mapping is level 1 and the bracket at column 7 level 2, so the bracket at
        // column 6 + 64 = 70 would be level 65.
        string e = Error(() => YamlLoader.LoadText("name: " + new string('[', 100_000), "deep.yaml"));
        Assert.Equal("deep.yaml:1:70: expected mappings and lists nested at most 64 deep, found deeper nesting here", e);
    }

    [Fact]
    public void Nesting_up_to_the_limit_loads()
    {
        // 63 brackets under the root mapping: 64 levels.
        var map = YamlLoader.LoadText("a: " + new string('[', 63) + new string(']', 63), "t.yaml");
        int depth = 1;
        for (YNode n = map["a"]!; n is YSeq s && s.Items.Count > 0; n = s.Items[0]) depth++;
        Assert.Equal(63, depth); // the innermost list is empty
    }

    [Fact]
    public void A_file_above_the_size_limit_is_refused_before_parsing()
    {
        string f = Path.Combine(_dir, "big.yaml");
        File.WriteAllText(f, "name: " + new string('x', 2000) + "\n");
        string e = Error(() => YamlLoader.LoadFile(f, new YamlLimits { MaxFileBytes = 1024 }));
        Assert.Equal($"{f}:1:1: expected a scenario file of at most 1024 bytes, found a longer one", e);
        Assert.Equal(2000, ((YScalar)YamlLoader.LoadFile(f)["name"]!).Value.Length);
    }

    [Fact]
    public void Invalid_utf8_is_refused_at_its_line_and_column()
    {
        string f = Path.Combine(_dir, "u.yaml");
        // "name: é" then 0xFF: line 2, after 6 ASCII characters and one two-byte character: column 8.
        File.WriteAllBytes(f, [.. "run: {}\nname: "u8, 0xC3, 0xA9, 0xFF, .. "\n"u8]);
        Assert.Equal($"{f}:2:8: expected UTF-8 text, found the byte 0xff, which is not valid UTF-8 here", Error(() => YamlLoader.LoadFile(f)));
    }

    [Fact]
    public void A_leading_byte_order_mark_is_skipped()
    {
        string f = Path.Combine(_dir, "bom.yaml");
        File.WriteAllBytes(f, [0xEF, 0xBB, 0xBF, .. "name: t\n"u8]);
        Assert.Equal("t", ((YScalar)YamlLoader.LoadFile(f)["name"]!).Value);
    }

    [Fact]
    public void A_duplicate_key_is_named_with_both_positions()
    {
        string e = Error(() => YamlLoader.LoadText("name: a\nrun: {}\nname: b\n", "t.yaml"));
        Assert.Equal("t.yaml:3:1: duplicate key 'name' (first at line 1, column 1); each key may appear once in a mapping", e);
    }

    [Fact]
    public void Loading_a_large_mapping_costs_key_comparisons_linear_in_its_keys()
    {
        // The old loader scanned the mapping for every new key: n^2/2 = 20 billion comparisons
        // for these 200,000 keys. Hashed keys compare only on a hash match: well under one per key.
        const int n = 200_000;
        var sb = new StringBuilder(n * 16);
        for (int i = 0; i < n; i++) sb.Append("key").Append(i).Append(": v\n");
        var map = YamlLoader.LoadText(sb.ToString(), "t.yaml");
        Assert.Equal(n, map.Entries.Count);
        Assert.True(map.KeyComparisons < n / 100, $"{map.KeyComparisons} comparisons to load {n} keys");
        // A lookup of every key: one matching comparison each, plus rare hash collisions.
        for (int i = 0; i < n; i++) Assert.NotNull(map["key" + i]);
        Assert.InRange(map.KeyComparisons, n, n + n / 100);
    }
}
