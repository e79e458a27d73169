using Lab.Core;
using Lab.Scenarios;
using Lab.Scenarios.Yaml;
using Lab.Simulation.Running;

namespace Lab.Simulation.Tests;

/// <summary>
/// Each element's binding reads exactly its declared parameters and reads each through its declaration
/// (<see cref="MapReader.Read{T}(Parameter{T})"/>), so the default and range the binding uses are the
/// ones <c>lab describe</c> prints; and a choice refuses a value outside its list with the value's position.
/// </summary>
public sealed class DeclaredParameterTests
{
    /// <summary>
    /// Element bodies that between them reach every key: every nested mapping present (empty), hardware
    /// offload needing a flowtable, and masquerade as a mapping in a body of its own (with snat present the
    /// masquerade keys are not read: the element takes one or the other).
    /// </summary>
    static IEnumerable<string> Bodies(string type) => type switch
    {
        "forward" => ["{ flowtable: true, hw_offload: {}, snat: {}, timeouts: {}, costs: {} }", "{ masquerade: {} }"],
        _ => ["{}"],
    };

    static ReadLog Bind(ElementDeclaration element, string body, Problems problems)
    {
        var map = YamlLoader.LoadText($"e: {body}\n", "element.yaml")["e"] as YMap ?? throw new InvalidOperationException(body);
        var log = new ReadLog();
        var reader = new MapReader(map, "path[0]." + element.Type, element.Keys, problems, "", log);
        element.Bind(reader, element.Type);
        return log;
    }

    [Fact]
    public void Every_element_reads_each_declared_key_through_its_declaration_and_no_other_key()
    {
        int keys = 0;
        foreach (var element in ModelCatalog.Elements)
        {
            var read = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
            var raw = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var body in Bodies(element.Type))
            {
                var problems = new Problems();
                var log = Bind(element, body, problems);
                Assert.False(problems.Any, $"{element.Type} {body}: {string.Join("; ", problems.All)}");
                read.UnionWith(log.Parameters);
                raw.UnionWith(log.RawKeys);
            }
            Assert.True(raw.Count == 0, $"{element.Type} reads keys by name, not through a declaration: {string.Join(", ", raw)}");
            var declared = element.Parameters.ToHashSet(ReferenceEqualityComparer.Instance);
            var unread = element.Parameters.Where(p => !read.Contains(p)).Select(p => p.Key).ToList();
            var undeclared = read.Where(p => !declared.Contains(p)).Select(p => p.Key).ToList();
            Assert.True(unread.Count == 0, $"{element.Type} declares but never reads: {string.Join(", ", unread)}");
            Assert.True(undeclared.Count == 0, $"{element.Type} reads parameters it does not declare: {string.Join(", ", undeclared)}");
            keys += declared.Count;
        }
        // 10 elements with 167 keys today; forward alone declares 67 (its 17 costs among them).
        Assert.True(keys > 150, $"only {keys} keys checked");
    }

    [Theory]
    [InlineData("esp_out", "mode", "tunel", "expected one of tunnel, transport, beet, found 'tunel' (did you mean 'tunnel'?)")]
    [InlineData("esp_in", "crypto", "parallel", "expected one of sync, async, found 'parallel'")]
    [InlineData("forward", "hz", "fast", "expected one of 100, 250, 300, 1000, found 'fast'")]
    [InlineData("cellular", "delivery", "random", "expected one of in-order, out-of-order, found 'random'")]
    [InlineData("iptfs_out", "cipher", "aes", "expected one of gcm16, cbc-sha256, null, null-noauth, found 'aes'")]
    public void A_choice_outside_its_list_is_refused_at_the_values_position(string type, string key, string value, string expected)
    {
        var element = ModelCatalog.Find(type)!;
        var problems = new Problems();
        Bind(element, $"{{ {key}: {value} }}", problems);
        var problem = Assert.Single(problems.All);
        // "e: { KEY: VALUE }": the key starts in column 6, the value two columns after the key's end.
        Assert.Equal($"element.yaml:1:{6 + key.Length + 2}: path[0].{type}.{key}: {expected}", problem);
    }

    [Fact]
    public void A_derived_default_is_described_and_has_no_value_of_its_own()
    {
        var loss = ModelCatalog.Find("loss")!;
        var first = Assert.IsType<Parameter<long>>(loss.Parameters.Single(p => p.Key == "first"));
        Assert.Equal("(every)", first.DefaultText);
        Assert.False(first.HasDefault);
        Assert.Throws<InvalidOperationException>(() => first.Default);
    }
}
