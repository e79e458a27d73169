using System.Text;
using Lab.Core;
using Lab.Scenarios;
using Lab.Scenarios.Profiles;

namespace Lab.Simulation.Running;

/// <summary>Every model as <c>lab describe</c> shows it: the scenario format, each plugin, and the models that are not path elements.</summary>
public static class ModelDescriptions
{
    /// <summary>Descriptions from models that are not path elements (radio, netfilter tables); the cellular model is the cellular element's.</summary>
    static IEnumerable<ModelDescription> Standalone()
    {
        foreach (var name in Lab.Radio.RadioModelCatalog.Names)
        {
            if (Lab.Radio.RadioModelCatalog.Describe(name) is { } d) yield return d;
        }
        foreach (var name in Lab.Netfilter.NetfilterModels.Names)
        {
            if (Lab.Netfilter.NetfilterModels.Describe(name) is { } d) yield return d;
        }
    }

    /// <summary>
    /// Models that span several path elements, by name, with their elements: <c>lab describe esp</c>
    /// lists the keys of esp_out, esp_in and esp_crypto as ELEMENT.KEY, from the elements' declarations.
    /// </summary>
    public static IReadOnlyList<(string Name, string[] Elements)> Composites { get; } =
    [
        ("esp", ["esp_out", "esp_in", "esp_crypto"]),
        ("iptfs", ["iptfs_out", "iptfs_in"]),
    ];

    public static IReadOnlyList<ModelDescription> All()
    {
        var list = new List<ModelDescription> { ScenarioDescription() };
        foreach (var element in ModelCatalog.Elements)
        {
            foreach (var (name, elements) in Composites)
            {
                if (elements[0] == element.Type) list.Add(Composite(name, elements));
            }
            list.Add(element.Describe());
        }
        list.AddRange(Standalone());
        return list;
    }

    static ModelDescription Composite(string name, string[] elements)
    {
        var model = name == "esp" ? Lab.Esp.EspModel.Describe() : Lab.Esp.IpTfs.IpTfsModel.Describe();
        var parameters = new List<ParameterSpec>();
        foreach (var type in elements)
        {
            var element = ModelCatalog.Find(type) ?? throw new InvalidOperationException($"no path element '{type}'");
            parameters.AddRange(element.Specs.Select(p => p with { Key = type + "." + p.Key }));
        }
        return model with
        {
            Parameters = parameters,
            Notes = [.. model.Notes, $"Path elements: {string.Join(", ", elements)} (each is described under its own name; its keys are the ELEMENT.KEY rows here)."],
        };
    }

    /// <summary>
    /// An element's parameters as the Markdown table scenarios/README.md carries (a test keeps the two identical):
    /// <c>lab describe ELEMENT --markdown</c> prints it.
    /// </summary>
    public static string Markdown(ModelDescription d)
    {
        var sb = new StringBuilder();
        sb.Append("| key | unit | default | range | meaning | source |\n|---|---|---|---|---|---|\n");
        foreach (var p in d.Parameters)
        {
            sb.Append("| `").Append(p.Key).Append("` | ").Append(Cell(p.Unit)).Append(" | ").Append(Cell(p.Default)).Append(" | ")
                .Append(Cell(p.Range)).Append(" | ").Append(Cell(p.Description)).Append(" | ").Append(Cell(p.Source)).Append(" |\n");
        }
        return sb.ToString();
    }

    static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    static ModelDescription ScenarioDescription()
    {
        var ps = new List<ParameterSpec>();
        void Add(string section, IEnumerable<KeySpec> keys)
        {
            foreach (var k in keys) ps.Add(new ParameterSpec(section + k.Key, k.Type, k.Default, "", "lab scenario format (scenarios/README.md)", k.Description));
        }
        Add("", ScenarioSchema.TopLevel);
        Add("run.", ScenarioSchema.Run);
        Add("traffic[].", ScenarioSchema.Traffic);
        Add("path[].link.", ScenarioSchema.Link);
        Add("path[].rss.", ScenarioSchema.Rss);
        Add("path[].stage.", ScenarioSchema.Stage);
        Add("outputs.", ScenarioSchema.Outputs);
        Add("traffic[kind=script].packets[].", ScenarioSchema.ScriptPacket);
        Add("probes.", ScenarioSchema.Probes);
        return new ModelDescription("scenario", "The scenario format and the generic path elements (link, rss, stage)", "", ps,
            ["Rates count the wire: frame + 20 B preamble and inter-frame gap (IEEE 802.3), as line rate does."]);
    }

    public static string Format(ModelDescription d, CostProfile? profile = null)
    {
        var sb = new StringBuilder();
        sb.Append(d.Name).Append(": ").Append(d.Summary).Append('\n');
        if (d.KernelCounterpart.Length > 0) sb.Append("kernel: ").Append(d.KernelCounterpart).Append('\n');
        sb.Append('\n');
        foreach (var p in d.Parameters)
        {
            sb.Append(p.Key).Append('\n');
            sb.Append("    ").Append(p.Description).Append('\n');
            sb.Append("    unit: ").Append(p.Unit).Append("   default: ").Append(p.Default);
            if (p.Range.Length > 0) sb.Append("   range: ").Append(p.Range);
            sb.Append('\n');
            bool cost = CostDescription.CostKey(d, p) is not null;
            if (cost) sb.Append("    ").Append(CostDescription.ValueLine(d, p, profile)).Append('\n');
            if (p.Source.Length > 0) sb.Append(cost && CostDescription.Find(d, profile, CostDescription.CostKey(d, p)!) is not null ? "    default's source: " : "    source: ").Append(p.Source).Append('\n');
        }
        if (d.CostSection is not null) sb.Append('\n').Append(CostDescription.Tally(d, profile)).Append('\n');
        foreach (var n in d.Notes) sb.Append("\nnote: ").Append(n).Append('\n');
        return sb.ToString();
    }
}
