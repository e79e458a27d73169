using System.Text.Json;
using System.Text.RegularExpressions;
using Lab.Core;
using Lab.Scenarios;
using Lab.Scenarios.Yaml;
using Lab.Simulation.Running;

namespace Lab.Cli.Tests;

/// <summary>
/// The contract between each model path element's one declaration and what users see: `lab describe
/// NAME` works under the name YAML uses, every described key binds with its described default (and
/// that default is the one the model runs with), no key is described twice, and scenarios/README.md
/// carries each element's table exactly as the declaration generates it.
/// </summary>
public sealed partial class ElementContractTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-contract-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static readonly string[] GenericElements = ["link", "rss", "stage"];

    static string Root()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    static (int Code, string Out, string Err) Lab(params string[] args)
    {
        var so = new StringWriter { NewLine = "\n" };
        var se = new StringWriter { NewLine = "\n" };
        int code = LabCommand.Run(args, so, se);
        return (code, so.ToString(), se.ToString());
    }

    /// <summary>Path element names in every scenario under scenarios/ and every YAML block of scenarios/README.md.</summary>
    static SortedSet<string> ElementNamesUsedInYaml()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var root = Path.Combine(Root(), "scenarios");
        var texts = Directory.GetFiles(root, "*.yaml", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(Path.GetDirectoryName(f)!).Equals("profiles", StringComparison.Ordinal))
            .Select(f => (Name: f, Text: File.ReadAllText(f))).ToList();
        foreach (Match m in YamlBlock().Matches(File.ReadAllText(Path.Combine(root, "README.md"))))
        {
            texts.Add(("README.md", m.Groups[1].Value));
            // A fragment (a list of path elements without the document around it) names its elements too.
            foreach (Match item in FragmentElement().Matches(m.Groups[1].Value)) names.Add(item.Groups[1].Value);
        }
        foreach (var (name, text) in texts)
        {
            YMap map;
            try
            {
                map = YamlLoader.LoadText(text, name);
            }
            catch (LabInputException)
            {
                continue; // a README fragment that is not a whole document
            }
            if (map["path"] is not YSeq path) continue;
            foreach (var item in path.Items)
                if (item is YMap m && m.Entries.Count > 0) names.Add(m.Entries[0].Key.Value);
        }
        return names;
    }

    [GeneratedRegex("```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    /// <summary>A list item whose one key opens a mapping (<c>- forward: {</c> or <c>- forward:</c> at the end of the line).</summary>
    [GeneratedRegex(@"^\s*- ([a-z_]+):\s*(\{|$)", RegexOptions.Multiline)]
    private static partial Regex FragmentElement();

    [Fact]
    public void Every_element_name_used_in_yaml_is_described_under_that_name()
    {
        var used = ElementNamesUsedInYaml();
        // The examples use every model element but cellular's companions; all must be found.
        Assert.Superset(new SortedSet<string>(["esp_out", "esp_in", "esp_crypto", "iptfs_out", "iptfs_in", "forward", "natt_rebind", "cellular", "reorder_probe", "loss"]), used);
        foreach (var name in used.Concat(ModelCatalog.Elements.Select(e => e.Type)).Distinct())
        {
            if (GenericElements.Contains(name)) continue;
            var (code, output, err) = Lab("describe", name);
            Assert.True(code == 0, $"lab describe {name}: {err}");
            Assert.StartsWith(name + ": ", output, StringComparison.Ordinal);
        }
        // The generic elements are the scenario format's: lab describe scenario lists their keys.
        var scenario = Lab("describe", "scenario").Out;
        foreach (var generic in GenericElements) Assert.Contains($"\npath[].{generic}.", scenario, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_traffic_kind_used_in_yaml_is_one_the_scenario_format_declares()
    {
        var kinds = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in Directory.GetFiles(Path.Combine(Root(), "scenarios"), "*.yaml", SearchOption.AllDirectories))
            foreach (Match m in KindLine().Matches(File.ReadAllText(f))) kinds.Add(m.Groups[1].Value);
        var declared = ScenarioSchema.Traffic.Single(k => k.Key == "kind").Type.Split('|');
        Assert.NotEmpty(kinds);
        Assert.Subset(new SortedSet<string>(declared), kinds);
        Assert.Contains("traffic[].kind", Lab("describe", "scenario").Out, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\bkind: *([a-z_-]+)")]
    private static partial Regex KindLine();

    /// <summary>
    /// Scenarios that between them reach every key of the scenario format itself (the model elements' keys
    /// are DeclaredParameterTests'): every traffic kind, a size list, flow_mix, both packet lists with every
    /// key (TCP flags, an ESP flow's spi and seq), probes, link, rss, stage, run and outputs.
    /// </summary>
    const string EveryFormatKey = """
        name: keys
        description: every key of the format
        run: { duration: 10ms, warmup: 1ms, seed: 3, replications: 1 }
        outputs: { timeseries: 0s, latency_cdf: false }
        probes: { at: [1ms], every: 5ms }
        traffic:
          - { name: a, kind: cbr, rate: 10Mbit/s, size: [{ size: 64B, weight: 2 }, { size: 1500B }], flows: 4, flow_mix: { alpha: 1.5, mean_packets: 10 }, dscp: 1, start: 0s, stop: 9ms }
          - { name: b, kind: onoff, rate: 10Mbit/s, on: 1ms, off: 1ms }
          - { name: c, kind: sequence, packets: [{ at: 1ms, size: 100B, flow: 2, seq: 5, dscp: 3 }] }
          - name: d
            kind: script
            packets:
              - { at: 1ms, flow: t, dir: orig, proto: tcp, src: "10.0.0.1:1000", dst: "10.0.0.2:80", flags: [syn], size: 80B, dscp: 0 }
              - { at: 2ms, flow: e, proto: esp, src: 10.0.0.1, dst: 10.0.0.2, spi: 0x2000, seq: 7 }
              - { at: 3ms, flow: t, dir: reply }
          - { name: p, kind: pcap, file: cap.pcap }
        path:
          - link: { name: l0, rate: 1Gbit/s, delay: 1us, queue: 100 }
          - rss: { name: cpu, cores: 2, ring: 64 }
          - stage: { name: s, cost: 100ns, per_byte: 0ns, dist: fixed }
        """;

    [Fact]
    public void Every_scenario_format_key_is_read_through_its_declaration_and_none_by_name()
    {
        File.Copy(Path.Combine(Root(), "sim", "Lab.Cli.Tests", "Fixtures", "udp4500-lo.pcap"), Path.Combine(_dir, "cap.pcap"));
        var log = new ReadLog();
        var loader = ModelCatalog.CreateLoader();
        loader.Log = log;
        var loaded = loader.LoadText(EveryFormatKey, Path.Combine(_dir, "s.yaml"));
        Assert.Equal(5, loaded.First.Traffic.Count);
        Assert.True(log.RawKeys.Count == 0, "scenario keys read by name, not through a declaration: " + string.Join(", ", log.RawKeys));
        var declared = ScenarioSchema.Declared.ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.Empty(log.Parameters.Where(p => !declared.Contains(p)).Select(p => p.Key));
        // extends, costs and sweep are resolved before the points are bound (ScenarioLoader.ResolveExtends,
        // ScenarioCostSources.Apply, the sweep's expansion), by their declared keys; every other key is read here.
        Assert.Equal(["costs", "extends", "sweep"], ScenarioSchema.Declared.Where(p => !log.Parameters.Contains(p)).Select(p => p.Key).Order(StringComparer.Ordinal));
        // 10 top-level keys, 4 run, 2 outputs, 2 probes, 13 traffic, 2 flow_mix, 2 size entry, 4 link, 3 rss, 4 stage,
        // 4 sequence-packet and 10 script-packet keys, and the dscp the two packet lists share: 61.
        Assert.Equal(61, declared.Count);
    }

    [Fact]
    public void No_scenario_format_section_describes_a_key_twice()
    {
        var sections = typeof(ScenarioSchema).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(KeySpec[])).ToList();
        Assert.True(sections.Count >= 12, $"only {sections.Count} sections");
        foreach (var f in sections)
        {
            var keys = ((KeySpec[])f.GetValue(null)!).Select(k => k.Key).ToList();
            Assert.True(keys.Count == keys.Distinct().Count(), $"{f.Name} describes a key twice: {string.Join(", ", keys)}");
        }
    }

    [Fact]
    public void No_key_and_no_model_is_described_twice()
    {
        var all = ModelDescriptions.All();
        Assert.Equal(all.Count, all.Select(d => d.Name).Distinct().Count());
        foreach (var d in all)
        {
            var dup = d.Parameters.GroupBy(p => p.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(dup.Count == 0, $"{d.Name} describes {string.Join(", ", dup)} twice");
        }
        // A model spanning elements (esp, iptfs) shows exactly its elements' rows, from their declarations.
        foreach (var (name, elements) in ModelDescriptions.Composites)
        {
            var composite = all.Single(d => d.Name == name);
            var expected = elements.SelectMany(e => ModelCatalog.Find(e)!.Specs.Select(p => p with { Key = e + "." + p.Key })).ToList();
            Assert.Equal(expected, composite.Parameters);
        }
    }

    /// <summary>Keys whose default is not a value one could write (it follows another key or the kernel's choice).</summary>
    static readonly string[] DerivedDefaults =
    [
        "cellular.harq_processes", "cellular.harq_rtt",
        "esp_in.encap", "esp_in.family", "esp_in.inner_family", "esp_in.mode", "esp_in.replay",
        "esp_out.inner_family",
        "forward.conntrack_buckets", "forward.conntrack_max", "forward.masquerade.ports", "forward.snat.ports",
        "iptfs_out.rate",
        "loss.first",
        "reorder_probe.bt",
    ];

    /// <summary>Keys that are mappings of other keys (each of those is checked).</summary>
    static bool IsSection(ElementDeclaration e, ParameterSpec p) =>
        p.Unit == "mapping" && e.Parameters.Any(q => q.Key.StartsWith(p.Key + ".", StringComparison.Ordinal));

    /// <summary>What an element needs around it to run: esp_crypto resumes an esp_in, iptfs_in receives an iptfs_out.</summary>
    static string Context(string type) => type switch
    {
        "esp_crypto" => "  - esp_in: { crypto: async }\n",
        "iptfs_in" => "  - iptfs_out: {}\n",
        _ => "",
    };

    static string Scenario(string type, string body) =>
        "name: contract\nrun: { duration: 1ms }\ntraffic:\n  - { name: t, kind: cbr, rate: 10Mbit/s, size: 200B }\npath:\n"
        + Context(type) + $"  - {type}: {body}\n";

    /// <summary>The element's configuration as bound from <paramref name="body"/>, as JSON (fields too) so arrays compare by content.</summary>
    string ConfigJson(string type, string body)
    {
        var loaded = ModelCatalog.CreateLoader().LoadText(Scenario(type, body), Path.Combine(_dir, "s.yaml"));
        var element = loaded.First.Path.OfType<ModelStageElement>().Last(e => e.Type == type);
        return JsonSerializer.Serialize(element.Config, element.Config.GetType(), new JsonSerializerOptions { IncludeFields = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }

    [Fact]
    public void Every_described_key_binds_with_its_default_and_that_default_is_the_one_the_model_runs_with()
    {
        var derived = new List<string>();
        int checkedKeys = 0;
        foreach (var element in ModelCatalog.Elements)
        {
            foreach (var p in element.Specs)
            {
                if (IsSection(element, p)) continue;
                string id = element.Type + "." + p.Key;
                if (p.Default.StartsWith('(') || p.Default.StartsWith("from ", StringComparison.Ordinal) || p.Default.Contains(" (", StringComparison.Ordinal))
                {
                    derived.Add(id);
                    continue;
                }
                // A nested key goes into its mapping; the baseline has the mapping too (snat: {} turns SNAT on),
                // and hardware offload needs a flowtable.
                int dot = p.Key.IndexOf('.', StringComparison.Ordinal);
                string extra = Needs(element.Type, p.Key);
                string baseline = dot < 0 ? $"{{ {extra.TrimEnd(' ', ',')} }}" : $"{{ {extra}{p.Key[..dot]}: {{}} }}";
                string value = YamlScalar(p.Default);
                string body = dot < 0 ? $"{{ {extra}{p.Key}: {value} }}" : $"{{ {extra}{p.Key[..dot]}: {{ {p.Key[(dot + 1)..]}: {value} }} }}";

                File.WriteAllText(Path.Combine(_dir, "s.yaml"), Scenario(element.Type, body));
                var (code, _, err) = Lab("check", Path.Combine(_dir, "s.yaml"));
                Assert.True(code == 0, $"{id}: {value} (its described default) does not check: {err}");
                Assert.True(ConfigJson(element.Type, baseline) == ConfigJson(element.Type, body),
                    $"{id}: the described default {p.Default} is not the one the model runs with");
                checkedKeys++;
            }
        }
        Assert.Equal(DerivedDefaults, derived.Order(StringComparer.Ordinal));
        Assert.True(checkedKeys > 120, $"only {checkedKeys} keys checked");
    }

    [GeneratedRegex(@"^(-?[0-9.]+)\.\.([0-9.]+)$")]
    private static partial Regex NumericRange();

    [Fact]
    public void Every_described_numeric_range_is_the_one_the_binding_enforces_with_a_position()
    {
        int ranges = 0;
        foreach (var element in ModelCatalog.Elements)
        {
            foreach (var p in element.Specs)
            {
                if (p.Unit is not ("integer" or "number" or "count" or "port" or "flows" or "seconds") || NumericRange().Match(p.Range) is not { Success: true } m) continue;
                double min = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                double max = double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                int dot = p.Key.IndexOf('.', StringComparison.Ordinal);
                string extra = Needs(element.Type, p.Key);
                foreach (double bad in new[] { min - 1, max + 1 })
                {
                    string value = bad.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    string body = dot < 0 ? $"{{ {extra}{p.Key}: {value} }}" : $"{{ {extra}{p.Key[..dot]}: {{ {p.Key[(dot + 1)..]}: {value} }} }}";
                    File.WriteAllText(Path.Combine(_dir, "s.yaml"), Scenario(element.Type, body));
                    var (code, _, err) = Lab("check", Path.Combine(_dir, "s.yaml"));
                    Assert.True(code == 2, $"{element.Type}.{p.Key}: {value} is outside the described range {p.Range} but checks");
                    // The scenario's last line holds the element: its value's position is named.
                    int line = Scenario(element.Type, body).Split('\n').Length - 1;
                    Assert.Contains($"s.yaml:{line}:", err, StringComparison.Ordinal);
                    Assert.Contains(p.Key[(dot + 1)..], err, StringComparison.Ordinal);
                }
                ranges++;
            }
        }
        Assert.True(ranges > 25, $"only {ranges} ranges checked");
    }

    /// <summary>What a key needs beside it: hardware offload a flowtable, an NR numerology radio: nr (LTE refuses it).</summary>
    static string Needs(string type, string key) => (type, key) switch
    {
        ("forward", _) when key.StartsWith("hw_offload.", StringComparison.Ordinal) => "flowtable: true, ",
        ("cellular", "numerology") => "radio: nr, ",
        _ => "",
    };

    /// <summary>A default as a YAML scalar: a string default like "" or a hex key stays as written.</summary>
    static string YamlScalar(string text) => text.Length == 0 ? "\"\"" : text;

    [Fact]
    public void The_readme_carries_each_elements_table_as_its_declaration_generates_it()
    {
        string readme = File.ReadAllText(Path.Combine(Root(), "scenarios", "README.md")).ReplaceLineEndings("\n");
        foreach (var element in ModelCatalog.Elements)
        {
            string block = $"<!-- generated: lab describe {element.Type} --markdown -->\n{ModelDescriptions.Markdown(element.Describe())}<!-- end {element.Type} -->";
            var (code, output, _) = Lab("describe", element.Type, "--markdown");
            Assert.Equal(0, code);
            Assert.Equal(ModelDescriptions.Markdown(element.Describe()), output);
            Assert.True(readme.Contains(block, StringComparison.Ordinal),
                $"scenarios/README.md: the {element.Type} table differs from its declaration; paste the output of lab describe {element.Type} --markdown between its markers");
        }
    }
}
