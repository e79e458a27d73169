using System.CommandLine;
using System.Text;
using Lab.Cli.Running;
using Lab.Core;
using Lab.Models;
using Lab.Scenarios;
using Lab.Scenarios.Profiles;
using Lab.Scenarios.Yaml;

namespace Lab.Cli.Commands;

/// <summary><c>lab describe [MODEL]</c>: every parameter with unit, default, valid range and source.</summary>
public static class DescribeCommands
{
    /// <summary>Descriptions from models that are not path elements (radio, cellular, ...).</summary>
    static IEnumerable<ModelDescription> Standalone()
    {
        foreach (var name in new[] { "radio-lte", "radio-3g", "radio-nr", "cellular" })
        {
            if (Lab.Radio.RadioModelCatalog.Describe(name) is { } d) yield return d;
        }
        foreach (var name in Lab.Netfilter.NetfilterModels.Names)
        {
            if (Lab.Netfilter.NetfilterModels.Describe(name) is { } d) yield return d;
        }
    }

    public static IReadOnlyList<ModelDescription> All()
    {
        var list = new List<ModelDescription> { ScenarioDescription() };
        list.AddRange(ModelCatalog.Plugins.Select(WithKeyMetrics));
        list.AddRange(Standalone());
        return list;
    }

    static ModelDescription WithKeyMetrics(IModelPlugin plugin)
    {
        var d = plugin.Describe();
        if (plugin.KeyMetrics.Count == 0) return d;
        string keys = string.Join(", ", plugin.KeyMetrics.Select(k => "NAME." + k));
        return d with { Notes = [.. d.Notes, $"Key metrics (lab run's table for a sweep, lab report's slides): {keys}."] };
    }

    public static Command Create()
    {
        var model = new Argument<string?>("MODEL") { Description = "Model name (omit to list them)", Arity = ArgumentArity.ZeroOrOne };
        var costs = new Option<string?>("--costs") { Description = "A cost profile (lab calibrate): show which costs it measured and which stay assumptions" };
        var cmd = new Command("describe", "Show a model's parameters: unit, default, range and source") { model, costs };
        cmd.SetAction(pr =>
        {
            var output = pr.InvocationConfiguration.Output;
            var all = All();
            string? name = pr.GetValue(model);
            string? costsFile = pr.GetValue(costs);
            if (name is null && costsFile is not null) throw new LabInputException("--costs: expected a MODEL to describe with it (lab describe forward --costs FILE)");
            if (name is null)
            {
                int w = all.Max(d => d.Name.Length);
                foreach (var d in all) output.WriteLine($"{d.Name.PadRight(w)}  {d.Summary}");
                output.WriteLine("\nlab describe MODEL shows one model's parameters.");
                return LabCommand.Ok;
            }
            var found = all.FirstOrDefault(d => d.Name == name);
            if (found is null)
            {
                string? hint = Problems.Suggest(name, all.Select(d => d.Name));
                throw new LabInputException($"describe: unknown model '{name}'" + (hint is null ? $"; expected one of: {string.Join(", ", all.Select(d => d.Name))}" : $" (did you mean '{hint}'?)"));
            }
            CostProfile? profile = null;
            if (costsFile is not null)
            {
                if (found.CostSection is null)
                    throw new LabInputException($"--costs: model '{name}' takes no costs from a cost profile; expected one of: {string.Join(", ", all.Where(d => d.CostSection is not null).Select(d => d.Name))}");
                var flag = SourcePos.Flag("--costs " + costsFile);
                profile = ProfilePath.Read(Path.GetFullPath(costsFile), costsFile, flag, null);
            }
            output.Write(Format(found, profile));
            return LabCommand.Ok;
        });
        return cmd;
    }

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
